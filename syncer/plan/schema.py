"""Checks a plan document against ``schemas/plan.schema.json``; a problem names its JSON path.

jsonschema is the authority on what is valid, but it takes about 0.3 ms a change (most of a
minute for a plan of 161,000 changes). So the document is validated with its changes left out,
and each change goes through a quick check compiled from the schema's own definition of its
kind, which only ever accepts values the schema accepts (it gives up on any keyword it does not
know); a change it does not accept is validated with jsonschema, which says what is wrong. Steps
(their index lists hold every change again) are checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, cast
from uuid import UUID

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from syncer.errors import quoted
from syncer.resources import load_json_schema

SCHEMA = "plan.schema.json"
_MESSAGE_LIMIT = 200
_JSON_TYPES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "null": "null", "object": "an object",
               "array": "a list"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "null": (type(None),), "object": (dict,), "array": (list,),
}

#: A quick check of a JSON value (any JSON: the check itself looks at its type).
Check = Callable[[Any], bool]


def saved_plan_keys() -> tuple[str, ...]:
    """The keys a saved plan must have: a plan's, ``plan_id``, and what ``plan_id`` requires."""
    schema = load_json_schema(SCHEMA)
    return (*schema["required"], "plan_id", *schema["dependentRequired"]["plan_id"])


def schema_problem(document: Mapping[str, Any]) -> str | None:
    """What is wrong with ``document`` under the plan schema (one problem), or None."""
    body, kinds, step = _validators()
    error = best_match(body.iter_errors({**document, "changes": [], "steps": []}))
    if error is not None:
        return _explain(error, "")
    for key in ("changes", "steps"):
        if not isinstance(document[key], list):
            return f"{key} is not a list"
    step_ok = _step_check()
    for n, value in enumerate(document["steps"]):
        if not (step_ok is not None and step_ok(value)):
            error = best_match(step.iter_errors(value))
            if error is not None:
                return _explain(error, f"steps[{n}]")
    checks = _change_checks()
    for n, change in enumerate(document["changes"]):
        kind = change.get("kind") if isinstance(change, dict) else None
        check = checks.get(kind) if isinstance(kind, str) else None
        if check is not None and check(change):
            continue
        where = f"changes[{n}]"
        if not isinstance(change, dict):
            return f"{where} is not an object"
        if kind not in kinds:
            return f"{where}.kind is {quoted(kind)}, not one of {', '.join(sorted(kinds))}"
        error = best_match(kinds[kind].iter_errors(change))
        if error is not None:
            return _explain(error, where)
    return None


@cache
def _validators() -> tuple[Draft202012Validator, dict[str, Draft202012Validator],
                           Draft202012Validator]:
    """The whole document's, each change kind's, and a step's."""
    schema = load_json_schema(SCHEMA)
    checker = Draft202012Validator.FORMAT_CHECKER

    def validator(sub: Mapping[str, Any]) -> Draft202012Validator:
        return Draft202012Validator({"$defs": schema["$defs"], **sub}, format_checker=checker)

    kinds = {branch["properties"]["kind"]["const"]: validator(branch)
             for branch in schema["$defs"]["change"]["oneOf"]}
    return validator(schema), kinds, validator(schema["$defs"]["step"])


def _explain(error: ValidationError, prefix: str) -> str:
    where = (prefix + error.json_path[1:]).lstrip(".")
    if error.validator == "type":
        wanted = error.validator_value
        # "type" is a string or a list of them (validator_value is set for every keyword)
        names = [wanted] if isinstance(wanted, str) else cast("list[str]", wanted)
        return f"{where or 'the document'} is not {' or '.join(_JSON_TYPES[n] for n in names)}"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in cast("list[str]", error.validator_value) if k not in error.instance]
        return f"{where or 'the document'} lacks {', '.join(missing)}"
    message = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 3] + "..."
    return f"{where}: {message}" if where else message


@cache
def _change_checks() -> dict[str, Check]:
    """kind -> quick check of a change of that kind, for the kinds the compiler understands."""
    checks = {}
    for branch in load_json_schema(SCHEMA)["$defs"]["change"]["oneOf"]:
        check = _object_check(branch)
        if check is not None:
            checks[branch["properties"]["kind"]["const"]] = check
    return checks


@cache
def _step_check() -> Check | None:
    return _object_check(load_json_schema(SCHEMA)["$defs"]["step"])


def _object_check(schema: Mapping[str, Any]) -> Check | None:
    """A check of an object with a closed set of properties (and an ``if``/``then``/``else`` on
    some of them), or None if the schema says more."""
    if set(schema) - {"type", "description", "additionalProperties", "required", "properties",
                      "if", "then", "else"}:
        return None
    conditional = [_properties_check(schema.get(key, {})) for key in ("if", "then", "else")]
    if None in conditional:
        return None
    when, then, otherwise = cast("list[Check]", conditional)  # no None (above)
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        return None
    properties = {}
    for name, sub in schema.get("properties", {}).items():
        check = _value_check(sub)
        if check is None:
            return None
        properties[name] = check
    allowed, required = frozenset(properties), frozenset(schema.get("required", ()))

    def check_object(value: Any) -> bool:
        if type(value) is not dict:
            return False
        keys = value.keys()
        if not (keys <= allowed and required <= keys):
            return False
        for key, item in value.items():
            if not properties[key](item):
                return False
        return then(value) if when(value) else otherwise(value)

    return check_object


def _properties_check(schema: Mapping[str, Any]) -> Check | None:
    """A check of a schema that only says ``properties`` (of those present), or None."""
    if set(schema) - {"properties"}:
        return None
    maybe = {name: _value_check(sub) for name, sub in schema.get("properties", {}).items()}
    if None in maybe.values():
        return None
    checks = cast("dict[str, Check]", maybe)
    return lambda value: all(check(value[name]) for name, check in checks.items()
                             if name in value)


def _value_check(schema: Mapping[str, Any]) -> Check | None:
    """A check of one value built from the keywords below; None for any other keyword."""
    tests: list[Check] = []
    for key, want in schema.items():
        test = _keyword_check(key, want)
        if test is None:
            return None
        if test is not _SKIP:
            tests.append(test)
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)
    return lambda v: all(test(v) for test in tests)


def _skip(_value: object) -> bool:
    return True


_SKIP: Check = _skip


def _keyword_check(key: str, want: Any) -> Check | None:
    """The check of one keyword, ``_SKIP`` for an annotation, None when not understood."""
    if key == "description":
        return _SKIP
    if key == "type":
        names = [want] if isinstance(want, str) else want
        types = tuple(t for n in names for t in _PY_TYPES[n])
        return lambda v: type(v) in types
    if key == "const" and isinstance(want, str):
        return lambda v: type(v) is str and v == want
    if key == "enum" and all(isinstance(w, str) for w in want):
        allowed = frozenset(want)
        return lambda v: type(v) is str and v in allowed
    if key == "pattern":
        pattern = re.compile(want)
        return lambda v: type(v) is not str or pattern.search(v) is not None
    if key == "format" and want == "uuid":
        return lambda v: type(v) is not str or _is_uuid(v)
    if key in ("minimum", "minItems", "maxItems") and type(want) is int:
        return {
            "minimum": lambda v: type(v) not in (int, float) or v >= want,
            "minItems": lambda v: type(v) is not list or len(v) >= want,
            "maxItems": lambda v: type(v) is not list or len(v) <= want,
        }[key]
    if key == "not" and set(want) == {"const"} and type(want["const"]) is int:
        return lambda v: type(v) is bool or v != want["const"]
    if key in ("items", "additionalProperties") and isinstance(want, Mapping):
        inner = _value_check(want)
        if inner is None:
            return None
        if key == "items":
            return lambda v: type(v) is not list or all(map(inner, v))
        return lambda v: type(v) is not dict or all(map(inner, v.values()))
    if key == "oneOf":
        maybe = [_value_check(option) for option in want]
        if any(option is None for option in maybe):
            return None
        options = cast("list[Check]", maybe)
        return lambda v: sum(option(v) for option in options) == 1
    return None


def _is_uuid(text: str) -> bool:
    """jsonschema's ``uuid`` format: a UUID with its hyphens where they belong."""
    try:
        UUID(text)
    except ValueError:
        return False
    return all(text[n:n + 1] == "-" for n in (8, 13, 18, 23))
