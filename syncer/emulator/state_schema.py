"""The shape of an emulator state file, checked against ``state.schema.json`` (JSON Schema 2020-12).

Each subschema's ``x-message`` is the problem reported when a value fails it (formatted with the
value as ``{value!r}``); an object's ``x-unknown`` (with ``{hint}`` from ``x-hints``) is what
an unknown key gets instead of "unknown field". Problems name the field: ``levels[0].id: ...``.
"""

from __future__ import annotations

import json
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


def schema_problems(data: object) -> list[str]:
    """Every way ``data`` breaks the schema, one line each, in the order of the file's fields."""
    validator = state_validator()
    order = list(validator.schema["properties"])
    found: list[tuple[tuple, str]] = []
    for error in validator.iter_errors(data):
        path = tuple(error.absolute_path)
        for sub_path, message in _messages(error, path):
            found.append((_sort_key(sub_path, order), _where(sub_path) + message))
    problems: list[str] = []
    for _key, problem in sorted(found, key=lambda pair: pair[0]):
        if problem not in problems:
            problems.append(problem)
    return problems


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
