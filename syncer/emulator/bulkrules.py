"""Shopify's rules for a bulk query's text (shopify.dev, "Perform bulk operations with the
GraphQL Admin API", operation restrictions; the wording of the messages is not confirmed against
a live shop):

* the query is a valid query of the schema; connections are read with ``edges { node }``;
* at least one connection, at most five, nested at most two levels deep;
* the top-level ``node`` and ``nodes`` fields cannot be used; the top-level field must be a
  connection (the emulator's assumption: JSONL lines are connection nodes);
* no connection inside a list field.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_named_type,
    get_nullable_type,
    parse,
    validate,
)
from graphql.utilities import get_operation_ast

MAX_CONNECTIONS = 5
MAX_DEPTH = 2


class BulkQueryError(ValueError):
    """The query breaks a bulk rule; ``message`` is the user error's message."""


def is_connection(type_) -> bool:
    """Whether ``type_`` is a connection (its named type ends in ``Connection``)."""
    named = get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")


def check(schema: GraphQLSchema, text: str):
    """The parsed document of a valid bulk query; ``BulkQueryError`` says what breaks a rule."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise BulkQueryError(f"Invalid bulk query: {exc.message}") from None
    operation = get_operation_ast(document)
    if operation is None or operation.operation != OperationType.QUERY:
        raise BulkQueryError("Invalid bulk query: the document must hold one query operation.")
    invalid = validate(schema, document)
    if invalid:
        raise BulkQueryError(f"Invalid bulk query: {invalid[0].message}")
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(roots) != 1 or len(operation.selection_set.selections) != 1:
        raise BulkQueryError("Bulk queries must select exactly one top-level field.")
    root = roots[0]
    if root.name.value in ("node", "nodes"):
        raise BulkQueryError("The top-level node and nodes fields can't be used in bulk queries.")
    field = schema.query_type.fields[root.name.value]
    if not is_connection(field.type):
        raise BulkQueryError("The top-level field of a bulk query must be a connection.")
    count = _walk(schema, field, root, depth=1, in_list=False)
    if count > MAX_CONNECTIONS:
        raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} "
                             f"connections (this one has {count}).")
    return document


def _walk(schema, field, node: FieldNode, depth: int, in_list: bool) -> int:
    """Connections under ``node`` (itself included), checking depth, edges/node and lists."""
    if depth > MAX_DEPTH:
        raise BulkQueryError(f"Bulk queries cannot contain connections nested more than "
                             f"{MAX_DEPTH} levels deep.")
    if in_list:
        raise BulkQueryError("Queries that contain a connection field within a list field are "
                             "not currently supported.")
    connection_type = get_named_type(field.type)
    node_field, node_type = None, None
    for selection in node.selection_set.selections:
        name = selection.name.value if isinstance(selection, FieldNode) else None
        if name == "edges":
            for inner in selection.selection_set.selections:
                if isinstance(inner, FieldNode) and inner.name.value == "node":
                    node_field = inner
                    edge_type = get_named_type(connection_type.fields["edges"].type)
                    node_type = get_named_type(edge_type.fields["node"].type)
        elif name != "pageInfo" and name != "__typename":
            raise BulkQueryError(f"Bulk queries must read connections with edges and node "
                                 f"(found {name or 'a fragment'} on {connection_type.name}).")
    if node_field is None:
        raise BulkQueryError(f"The connection {node.name.value} must select edges {{ node }}.")
    return 1 + _inner(schema, node_type, node_field, depth, in_list=False)


def _inner(schema, parent_type, node: FieldNode, depth: int, in_list: bool) -> int:
    count = 0
    for selection in (node.selection_set.selections if node.selection_set else ()):
        if not isinstance(selection, FieldNode):
            raise BulkQueryError("The emulator's bulk queries do not take fragments.")
        if selection.name.value == "__typename":
            continue
        field = parent_type.fields[selection.name.value]
        if is_connection(field.type):
            count += _walk(schema, field, selection, depth + 1, in_list)
        elif selection.selection_set is not None:
            listed = in_list or isinstance(get_nullable_type(field.type), GraphQLList)
            count += _inner(schema, get_named_type(field.type), selection, depth, listed)
    return count
