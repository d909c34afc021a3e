"""Checks made before execution, and validation errors reshaped as Shopify prints them."""

from __future__ import annotations

import re

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast

MAX_INPUT = 250
MAX_PAGE = 250


def limit_errors(schema: GraphQLSchema, document: DocumentNode, variables: dict | None,
                 operation_name: str | None) -> list[dict]:
    """Errors for ``first``/``last`` over 250 and input arrays over 250 items (nothing runs)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return []
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables or {})
    if isinstance(coerced, list):
        return []  # execution reports bad variables itself
    errors: list[dict] = []
    type_info = TypeInfo(schema)

    class Limits(Visitor):
        def enter_field(self, node, *_):
            field = type_info.get_field_def()
            if field is None or not field.args:
                return
            try:
                args = get_argument_values(field, node, coerced)
            except GraphQLError:
                return
            key = node.alias.value if node.alias else node.name.value
            for name in ("first", "last"):
                if isinstance(args.get(name), int) and args[name] > MAX_PAGE:
                    errors.append({
                        "message": f"The {name} argument must be less than or equal to "
                                   f"{MAX_PAGE}.",
                        "locations": _where(node), "path": [key],
                        "extensions": {"code": "BAD_REQUEST"},
                    })
            for name, value in args.items():
                for path, size in _oversized(value, [key, name]):
                    errors.append({
                        "message": f"The input array size of {size} is greater than the maximum "
                                   f"allowed of {MAX_INPUT}.",
                        "locations": _where(node), "path": path,
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    })

    visit(document, TypeInfoVisitor(type_info, Limits()))
    return errors


def literal_limits(document: DocumentNode) -> bool:
    """Whether a literal of ``document`` could break a limit: an integer over ``MAX_PAGE`` or a
    list over ``MAX_INPUT`` items. Without one, only the variables can (``exceeds``); the
    schema's argument defaults are all booleans."""
    found = []

    class Literals(Visitor):
        def enter_int_value(self, node, *_):
            if int(node.value) > MAX_PAGE:
                found.append(node)

        def enter_list_value(self, node, *_):
            if len(node.values) > MAX_INPUT:
                found.append(node)

    visit(document, Literals())
    return bool(found)


def exceeds(value) -> bool:
    """Whether a variable value holds an integer over ``MAX_PAGE`` or a list over
    ``MAX_INPUT`` items, at any depth (without one, ``limit_errors`` finds nothing to say)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > MAX_PAGE
    if isinstance(value, list):
        return len(value) > MAX_INPUT or any(exceeds(item) for item in value)
    if isinstance(value, dict):
        return any(exceeds(item) for item in value.values())
    return False


def _where(node) -> list[dict]:
    """The node's line and column (only for an error: finding them scans the source)."""
    location = node.loc.source.get_location(node.loc.start)
    return [{"line": location.line, "column": location.column}]


def _oversized(value, path):
    if isinstance(value, list):
        if len(value) > MAX_INPUT:
            yield path, len(value)
        else:
            for item in value:
                yield from _oversized(item, path)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _oversized(item, [*path, name])


# graphql-core 3.3 words it "Argument '@idempotent(key:)' ...", 3.2 "Directive '@idempotent'
# argument 'key' ..."; both become Shopify's wording.
_MISSING_ARG = (
    re.compile(r"^Argument '(@?)(?:\w+\.)?(\w+)\((\w+):\)' of type '[^']+' is required"),
    re.compile(r"^(?:Directive|Field) '(@?)(\w+)' argument '(\w+)' of type '[^']+' is required"),
)
_UNKNOWN_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")


def shopify_validation_error(error: GraphQLError) -> dict:
    """A graphql-core validation error in the shape Shopify's GraphQL server uses.

    Shopify names missing arguments ``missingRequiredArguments`` (e.g. a bare
    ``@idempotent`` without ``key``) and unknown fields ``undefinedField``.
    """
    formatted = dict(error.formatted)
    formatted.pop("path", None)
    missing = _MISSING_ARG[0].match(error.message) or _MISSING_ARG[1].match(error.message)
    if missing:
        at, name, argument = missing.groups()
        kind = "Directive" if at else "Field"
        formatted["message"] = f"{kind} '{name}' is missing required arguments: {argument}"
        formatted["extensions"] = {"code": "missingRequiredArguments", "className": kind,
                                   "name": name, "arguments": argument}
    unknown = _UNKNOWN_FIELD.match(error.message)
    if unknown:
        field, type_name = unknown.groups()
        formatted["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        formatted["extensions"] = {"code": "undefinedField", "typeName": type_name,
                                   "fieldName": field}
    return formatted
