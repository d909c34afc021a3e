"""Checks a plan document against ``schemas/plan.schema.json``; a problem names its JSON path.

jsonschema is the authority on what is valid, but it takes about 0.3 ms a change (most of a
minute for a plan of 161,000 changes). So the document is validated with its changes left out,
and each change goes through a quick check compiled from the schema's own definition of its
kind, which only ever accepts values the schema accepts (it gives up on any keyword it does not
know); a change it does not accept is validated with jsonschema, which says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

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

Check = Callable[[object], bool]


def saved_plan_keys() -> tuple[str, ...]:
    """The keys a saved plan must have: a plan's, ``plan_id``, and what ``plan_id`` requires."""
    schema = load_json_schema(SCHEMA)
    return (*schema["required"], "plan_id", *schema["dependentRequired"]["plan_id"])


def schema_problem(document: Mapping) -> str | None:
    """What is wrong with ``document`` under the plan schema (one problem), or None."""
    body, kinds = _validators()
    error = best_match(body.iter_errors({**document, "changes": []}))
    if error is None and not isinstance(document["changes"], list):
        return "changes is not a list"
    if error is not None:
        return _explain(error, "")
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
            return f"{where}.kind is {kind!r}, not one of {', '.join(sorted(kinds))}"
        error = best_match(kinds[kind].iter_errors(change))
        if error is not None:
            return _explain(error, where)
    return None


@cache
def _validators() -> tuple[Draft202012Validator, dict[str, Draft202012Validator]]:
    schema = load_json_schema(SCHEMA)
    checker = Draft202012Validator.FORMAT_CHECKER
    body = Draft202012Validator(schema, format_checker=checker)
    kinds = {
        branch["properties"]["kind"]["const"]: Draft202012Validator(
            {"$defs": schema["$defs"], **branch}, format_checker=checker)
        for branch in schema["$defs"]["change"]["oneOf"]
    }
    return body, kinds


def _explain(error: ValidationError, prefix: str) -> str:
    where = (prefix + error.json_path[1:]).lstrip(".")
    if error.validator == "type":
        wanted = error.validator_value
        names = [wanted] if isinstance(wanted, str) else wanted
        return f"{where or 'the document'} is not {' or '.join(_JSON_TYPES[n] for n in names)}"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
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


def _object_check(schema: Mapping) -> Check | None:
    """A check of an object with a closed set of properties, or None if the schema says more."""
    if set(schema) - {"type", "description", "additionalProperties", "required", "properties"}:
        return None
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        return None
    properties = {}
    for name, sub in schema.get("properties", {}).items():
        check = _value_check(sub)
        if check is None:
            return None
        properties[name] = check
    allowed, required = frozenset(properties), frozenset(schema.get("required", ()))

    def check(value) -> bool:
        if type(value) is not dict:
            return False
        keys = value.keys()
        if not (keys <= allowed and required <= keys):
            return False
        return all(properties[k](v) for k, v in value.items())

    return check


def _value_check(schema: Mapping) -> Check | None:
    """A check of one value built from the keywords below; None for any other keyword."""
    tests: list[Check] = []
    for key, want in schema.items():
        if key == "description":
            continue
        if key == "type":
            names = [want] if isinstance(want, str) else want
            types = tuple(t for n in names for t in _PY_TYPES[n])
            tests.append(lambda v, types=types: type(v) in types)
        elif key == "const" and isinstance(want, str):
            tests.append(lambda v, want=want: type(v) is str and v == want)
        elif key == "enum" and all(isinstance(w, str) for w in want):
            allowed = frozenset(want)
            tests.append(lambda v, allowed=allowed: type(v) is str and v in allowed)
        elif key == "pattern":
            pattern = re.compile(want)
            tests.append(lambda v, p=pattern: type(v) is not str or p.search(v) is not None)
        elif key == "minimum" and type(want) is int:
            tests.append(lambda v, m=want: type(v) is not int or v >= m)
        elif key == "not" and set(want) == {"const"} and type(want["const"]) is int:
            tests.append(lambda v, c=want["const"]: type(v) is not int or v != c)
        elif key == "additionalProperties" and isinstance(want, Mapping):
            inner = _value_check(want)
            if inner is None:
                return None
            tests.append(lambda v, inner=inner: type(v) is not dict
                         or all(inner(x) for x in v.values()))
        else:
            return None
    return lambda v: all(test(v) for test in tests)
