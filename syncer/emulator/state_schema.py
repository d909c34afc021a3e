"""The shape of an emulator state file, checked against ``state.schema.json`` (JSON Schema 2020-12).

Each subschema's ``x-message`` is the problem reported when a value fails it (formatted with the
value as ``{value!r}``); an object's ``x-unknown`` (with ``{hint}`` from ``x-hints``) is what
an unknown key gets instead of "unknown field". Problems name the field: ``levels[0].id: ...``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator


@cache
def state_validator() -> Draft202012Validator:
    """The validator for ``syncer/emulator/state.schema.json`` (read once)."""
    text = resources.files("syncer.emulator").joinpath("state.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(data: object, fast: bool = True) -> list[str]:
    """Every way ``data`` breaks the schema, one line each, in the order of the file's fields.

    A store's long lists (levels, items) are checked row by row with a predicate compiled from
    the row's subschema (``_compiled``), which only ever says "certainly valid"; jsonschema
    checks the rest of the document and every row the predicate does not pass, so the problems
    are jsonschema's own, and a 100,000-level file is checked in a fraction of a second.
    ``fast=False`` gives every row to jsonschema (what the test compares against).
    """
    validator = state_validator()
    order = list(validator.schema["properties"])
    found: list[tuple[tuple, str]] = []
    rest, rows = _split(data, validator.schema) if fast else (data, [])
    checks = [(validator, rest, ())]
    checks += [(validator.evolve(schema=schema), row, (name, i)) for name, schema, i, row in rows]
    for checker, instance, prefix in checks:
        for error in checker.iter_errors(instance):
            path = prefix + tuple(error.absolute_path)
            for sub_path, message in _messages(error, path):
                found.append((_sort_key(sub_path, order), _where(sub_path) + message))
    problems: list[str] = []
    for _key, problem in sorted(found, key=lambda pair: pair[0]):
        if problem not in problems:
            problems.append(problem)
    return problems


#: Keywords of a top-level list's schema that say nothing about its rows' order or number.
_LIST_KEYWORDS = {"type", "items", "description", "title", "x-message"}


def _split(data: object, schema: dict) -> tuple[object, list[tuple[str, dict, int, object]]]:
    """``data`` without the rows of its lists that a compiled predicate passes, and the rows it
    does not pass: ``(list name, row schema, index, row)``."""
    if not isinstance(data, dict):
        return data, []
    rest, rows = dict(data), []
    for name, sub in schema.get("properties", {}).items():
        valid = _row_predicate(name) if set(sub) <= _LIST_KEYWORDS and sub.get("type") == "array" \
            else None
        if valid is None or not isinstance(data.get(name), list):
            continue
        rest[name] = []
        rows += [(name, sub["items"], i, row) for i, row in enumerate(data[name])
                 if not valid(row)]
    return rest, rows


@cache
def _row_predicate(name: str) -> Callable[[object], bool] | None:
    items = state_validator().schema["properties"][name].get("items")
    return _compiled(items) if isinstance(items, dict) else None


_TYPES: dict[str, Callable[[object], bool]] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,  # 1.0 is an integer to JSON Schema: left to jsonschema
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
}
_ANNOTATIONS = {"description", "title", "x-message", "x-unknown", "x-hints"}


def _compiled(schema: dict) -> Callable[[object], bool] | None:
    """A predicate that is true only for values ``schema`` accepts (it may be false for some it
    accepts too), or None for a schema with a keyword it does not know."""
    tests: list[Callable[[object], bool]] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword in ("properties", "additionalProperties"):
            continue
        if keyword == "type":
            kinds = [_TYPES[t] for t in ([value] if isinstance(value, str) else value)]
            tests.append(lambda v, kinds=kinds: any(kind(v) for kind in kinds))
        elif keyword == "enum":
            tests.append(lambda v, value=value: any(type(v) is type(e) and v == e for e in value))
        elif keyword == "minLength":
            tests.append(lambda v, n=value: type(v) is not str or len(v) >= n)
        elif keyword == "pattern":
            tests.append(lambda v, rx=re.compile(value): type(v) is not str or bool(rx.search(v)))
        elif keyword in ("minimum", "exclusiveMinimum"):
            strict = keyword == "exclusiveMinimum"
            tests.append(lambda v, n=value, strict=strict: type(v) not in (int, float)
                         or (v > n if strict else v >= n))
        elif keyword == "required":
            tests.append(lambda v, keys=value: type(v) is not dict or all(k in v for k in keys))
        elif keyword == "items":
            each = _compiled(value)
            if each is None:
                return None
            tests.append(lambda v, each=each: type(v) is not list or all(map(each, v)))
        else:
            return None
    properties = {}
    for key, sub in schema.get("properties", {}).items():
        properties[key] = _compiled(sub)
        if properties[key] is None:
            return None
    others = schema.get("additionalProperties", True)  # whether other keys are allowed
    if others not in (True, False):
        return None
    if properties or not others:
        def fields(v, properties=properties, others=others) -> bool:
            if type(v) is not dict:
                return True
            for key, item in v.items():
                check = properties.get(key)
                if check is None:
                    if not others:
                        return False
                elif not check(item):
                    return False
            return True
        tests.append(fields)
    return lambda v: all(test(v) for test in tests)


def _messages(error, path: tuple):
    schema = error.schema
    if error.validator == "additionalProperties":
        known = schema.get("properties", {})
        hints = schema.get("x-hints", {})
        template = schema.get("x-unknown", "unknown field")
        for key in sorted(k for k in error.instance if k not in known):
            yield path + (key,), template.format(hint=hints.get(key, ""))
    elif error.validator == "required":
        properties = schema.get("properties", {})
        for key in error.validator_value:
            if key not in error.instance:
                message = properties.get(key, {}).get("x-message", "required")
                yield path + (key,), message.format(value=None)
    else:
        template = schema.get("x-message")
        yield path, template.format(value=error.instance) if template else error.message


def _where(path: tuple) -> str:
    """``("levels", 0, "id")`` -> ``"levels[0].id: "``; the top level itself -> ``""``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return f"{text}: " if text else ""


def _sort_key(path: tuple, order: list[str]) -> tuple:
    # Unknown top-level fields first, then the known ones in the schema's order.
    if not path:
        return ()
    head = order.index(path[0]) if path[0] in order else -1
    return (head, *((isinstance(p, str), p if isinstance(p, str) else f"{p:012d}")
                    for p in path[1:]))
