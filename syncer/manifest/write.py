"""Manifests out: the YAML text ``syncer import`` writes, in the style of hand-written ones.

Pure. One location per file, keys sorted, one level per line as a flow mapping
(``SKU: {active: true, available: 40}``), the schema comment on the first line. A key is written
plain only when every YAML reader (1.1 as pyyaml, 1.2 core) reads it back as that same string;
anything else (``0123``, ``yes``, ``null``, ``1e3``, ``a: b``, a leading space) is double-quoted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import yaml

from syncer.model import ADJUSTABLE
from syncer.resources import schema_path

#: Characters a plain key may hold (letters and digits of any script, and a few marks).
_PLAIN_KEY = re.compile(r"[^\W][\w.\-/()+]*(?:(?: |:(?! ))[\w.\-/()+]+)*", re.UNICODE)
#: Scalars YAML 1.2 core resolves to a number, boolean or null (pyyaml, being 1.1, misses some).
_YAML12_SPECIAL = re.compile(
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|true|True|TRUE|false|False|FALSE|null|Null|NULL|~"
)
_RESOLVER = yaml.resolver.Resolver()
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}


@dataclass(frozen=True, slots=True)
class LevelEntry:
    """One level to write: the item key (SKU or item gid), whether active, managed quantities,
    and a comment for the end of its line (one line, no ``#``; empty for none)."""

    item: str
    active: bool
    quantities: Mapping[str, int]
    comment: str = ""


def yaml_key(text: str) -> str:
    """``text`` as a mapping key: plain where that reads back as the same string, else quoted.

    >>> [yaml_key(k) for k in ["TSHIRT-RED-M", "Warehouse East", "0123", "yes", "a: b", "1e3"]]
    ['TSHIRT-RED-M', 'Warehouse East', '"0123"', '"yes"', '"a: b"', '"1e3"']
    """
    if not needs_quotes(text):
        return text
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def needs_quotes(text: str) -> bool:
    """Whether ``text`` as a plain scalar would read back as anything but this string."""
    return not _plain_ok(text)


def _plain_ok(text: str) -> bool:
    if not _PLAIN_KEY.fullmatch(text) or _YAML12_SPECIAL.fullmatch(text):
        return False
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    return tag == "tag:yaml.org,2002:str"


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF) or (
        0xD800 <= code <= 0xDFFF
    ):
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return ch


def level_value(entry: LevelEntry) -> str:
    """The flow mapping of one level: ``{active: true, available: 40}`` (quantities sorted).

    >>> level_value(LevelEntry("MUG", False, {}))
    '{active: false}'
    """
    parts = [f"active: {'true' if entry.active else 'false'}"]
    parts += [f"{name}: {entry.quantities[name]}" for name in ADJUSTABLE if name in
              entry.quantities]
    return "{" + ", ".join(parts) + "}"


def render_manifest(location: str, entries: Iterable[LevelEntry], schema: str,
                    header: str = "") -> str:
    """The manifest text for one location: schema comment, optional header comment, levels.

    ``location`` is the location key (name or gid); ``entries`` are written sorted by item key.
    """
    lines = [f"# yaml-language-server: $schema={schema}"]
    lines += [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["apiVersion: syncer/v1", "kind: InventoryLevels", "locations:"]
    entries = sorted(entries, key=lambda entry: entry.item)
    if not entries:
        lines.append(f"  {yaml_key(location)}: {{}}")
    else:
        lines.append(f"  {yaml_key(location)}:")
        lines += [f"    {yaml_key(e.item)}: {level_value(e)}" + (f"  # {e.comment}" if e.comment
                                                                 else "") for e in entries]
    return "\n".join(lines) + "\n"


def file_stem(name: str) -> str:
    """A file name stem for a location name: lower case, runs of other characters as ``-``.

    >>> file_stem("Warehouse East (NJ)"), file_stem("東京"), file_stem("!!")
    ('warehouse-east-nj', '東京', '')
    """
    return re.sub(r"[\W_]+", "-", name.lower(), flags=re.UNICODE).strip("-")


def schema_reference(directory: str | os.PathLike[str]) -> str:
    """The manifest schema for the comment of a file in ``directory``: a relative path, or a
    ``file://`` URI when the relative path would climb more than four levels."""
    schema = schema_path("manifest.schema.json").resolve()
    relative = os.path.relpath(schema, os.path.abspath(directory))
    return relative if relative.count("..") <= 4 else schema.as_uri()
