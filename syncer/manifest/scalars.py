"""Scalar values as YAML 1.2 core reads them, in the forms every YAML version reads alike.

An unquoted value is a number, boolean or null only in a form YAML 1.1 and YAML 1.2 agree on,
with one choice: decimal digits are decimal (``010`` is 10, as YAML 1.2, the editor schema and
people read it; YAML 1.1 reads octal 8). So a quantity is ``[0-9]+``, ``active`` is ``true`` or
``false`` (``True``/``TRUE`` too), and a percentage may be ``12.5`` or ``1.25e+1``. A value YAML
1.1 or 1.2 reads as a number, boolean or null in any other form (``0x10``, ``0o10``, ``0b11``,
``1:30``, ``1_000``, ``+5``, ``1e3``, ``.inf``, ``yes``, ``no``, ``on``, ``off``, ``y``, ``n``)
is a ``Lookalike``: text no schema type accepts, so the schema check reports what was written and
how each YAML version reads it, and a quantity never silently becomes another number.
"""

from __future__ import annotations

import math
import re

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from syncer.errors import quoted

TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT = TAG + "str", TAG + "int", TAG + "float"
_BOOL, _NULL = TAG + "bool", TAG + "null"
#: Tags whose scalars are kept as text (timestamps stay as written).
TEXT_TAGS = frozenset({_STR, TAG + "timestamp", TAG + "value", TAG + "yaml", TAG + "merge"})
#: Explicit tags that take the same forms as plain values, and what those forms are.
TYPED_TAGS = {_INT: "decimal digits", _FLOAT: "a decimal number such as 12.5",
              _BOOL: "true or false", _NULL: "null"}
#: pyyaml's implicit resolvers: first character (None: any) -> [(tag, pattern)].
_IMPLICIT: dict[str | None, list[tuple[str, re.Pattern[str]]]] = Resolver.yaml_implicit_resolvers
_WILDCARD = _IMPLICIT.get(None, [])
_CONSTRUCTOR = SafeConstructor()
#: Plain scalars every YAML version reads alike, resolved without regular expressions (the hot
#: path of the parser). Nulls spelt as a word are left to ``read_plain`` so the parser can record
#: how they were written.
PLAIN: dict[str, bool | int | None] = {w: True for w in ("true", "True", "TRUE")}
PLAIN |= {w: False for w in ("false", "False", "FALSE")}
PLAIN.update({"": None, "0": 0})
_NULLS = ("null", "Null", "NULL", "~", "")
_DECIMAL = re.compile(r"-?[0-9]+")
_FRACTION = re.compile(r"-?[0-9]+\.[0-9]+")
#: YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), for messages.
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
#: YAML 1.1 booleans pyyaml leaves out (https://yaml.org/type/bool.html); other readers take them.
_YAML11_BOOLS = {"y": True, "Y": True, "n": False, "N": False}


def read_tagged(tag: str, text: str) -> tuple[object, str | None]:
    """An explicit ``!!int``/``!!float``/``!!bool``/``!!null`` scalar: ``(value, None)`` when
    ``text`` is written in a form a plain value of that type takes, else ``(None, problem)``.

    >>> read_tagged(TAG + "int", "007"), read_tagged(TAG + "bool", "yes")
    ((7, None), (None, "cannot read 'yes' as !!bool: write true or false"))
    """
    read = read_plain(text)
    if tag == _FLOAT and isinstance(read, int | float) and not isinstance(read, bool | Lookalike):
        return float(read), None
    if type(read) is {_INT: int, _BOOL: bool, _NULL: type(None)}.get(tag):
        return read, None
    return None, (f"cannot read {quoted(text[:40])} as {tag.replace(TAG, '!!')}: write "
                  f"{TYPED_TAGS[tag]}")


class Lookalike(str):
    """An unquoted value YAML reads as a number, boolean or null in a form syncer does not accept
    (``0x10``, ``yes``, ``1:30``...): the text as written, with how YAML 1.1 and 1.2 read it.

    >>> Lookalike.of("0x10").readings()
    'YAML 1.1 and 1.2 read it as the number 16'
    >>> Lookalike.of("yes").readings()
    "YAML 1.1 reads it as true, YAML 1.2 as the text 'yes'"
    """

    __slots__ = ("yaml11", "yaml12")
    yaml11: object
    yaml12: object

    @classmethod
    def of(cls, text: str) -> Lookalike:
        self = cls(text)
        self.yaml11, self.yaml12 = _yaml11_value(text), _yaml12_value(text)
        return self

    def readings(self) -> str:
        old, new = _shown(self.yaml11), _shown(self.yaml12)
        if old == new:
            return f"YAML 1.1 and 1.2 read it as {old}"
        return f"YAML 1.1 reads it as {old}, YAML 1.2 as {new}"


def read_plain(text: str) -> object:
    """An unquoted scalar's value: decimal digits (``010`` is 10, as in YAML 1.2), finite numbers
    with a fraction or exponent, booleans and nulls in the forms YAML 1.1 and 1.2 agree on; text
    that no YAML reads as anything but text; else a ``Lookalike``.

    >>> [read_plain(t) for t in ("010", "-3", "2.5", "True", "~", "SKU-1", "0x10", "on", ".5")]
    [10, -3, 2.5, True, None, 'SKU-1', '0x10', 'on', 0.5]
    >>> type(read_plain("on")).__name__
    'Lookalike'
    """
    if text in PLAIN:
        return PLAIN[text]
    if text in _NULLS:
        return None
    if _DECIMAL.fullmatch(text):
        return int(text)
    if _FRACTION.fullmatch(text):
        return float(text)
    old, new = _yaml11_value(text), _yaml12_value(text)
    if type(old) is str and type(new) is str:
        return text
    if type(old) is float and old == new and math.isfinite(old):
        return WrittenFloat.of(old, text)  # 1.5e+3, .5: every YAML reads the same number
    return Lookalike.of(text)


class WrittenFloat(float):
    """A number every YAML reads alike but written other than as a decimal fraction (``.5``,
    ``1.5e+3``): its value, and ``text`` as written, for messages."""

    __slots__ = ("text",)
    text: str

    @classmethod
    def of(cls, value: float, text: str) -> WrittenFloat:
        self = cls(value)
        self.text = text
        return self


def _yaml11_value(text: str) -> object:
    """``text`` as pyyaml's YAML 1.1 resolver reads it (plus y/n), or ``text`` when it is text."""
    if text in _YAML11_BOOLS:
        return _YAML11_BOOLS[text]
    tag = _resolve(text)
    try:
        if tag == _INT:
            return _CONSTRUCTOR.construct_yaml_int(ScalarNode(tag, text))
        if tag == _FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(ScalarNode(tag, text))
        if tag == _BOOL:
            return _CONSTRUCTOR.bool_values[text.lower()]
    except (ValueError, KeyError, IndexError, yaml.YAMLError):
        return text
    return None if tag == _NULL else text


def _yaml12_value(text: str) -> object:
    """``text`` as the YAML 1.2 core schema reads it, or ``text`` when it is text."""
    if text in _NULLS:
        return None
    if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return text.lower() == "true"
    if _CORE_INT.fullmatch(text):
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        return int(text[2:] if base != 10 else text, base)
    if _CORE_FLOAT.fullmatch(text):
        lowered = text.lower()
        return float(lowered.replace(".", "") if lowered.lstrip("+-") in (".inf", ".nan") else text)
    return text


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the text {quoted(value)}"
    return f"the number {value}"


def _resolve(value: str) -> str:
    resolvers = _IMPLICIT.get(value[0] if value else "", [])
    for tag, regexp in resolvers:
        if regexp.match(value):
            return tag
    for tag, regexp in _WILDCARD:
        if regexp.match(value):
            return tag
    return _STR
