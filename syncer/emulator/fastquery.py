"""Read queries answered without graphql-core's executor: the same resolvers, called directly.

A paged read of 100,000 levels is a few hundred queries of up to 250 levels each; graphql-core
spends most of its time on the machinery around each field (paths, awaitables, incremental
delivery), not in the resolvers. ``execute_fast`` walks the document itself, for a query
operation: fields, aliases, fragments (spreads and inline, with type conditions), arguments and
variables (coerced by graphql-core's own functions), lists, non-null types, interfaces and
unions (the schema's ``resolve_type``), and the default resolver's rules (a mapping's key, else
an attribute, called if callable). Whatever else it meets (a directive, a resolver that raises,
a null where the schema says non-null, anything unexpected) makes it answer None, and the
request goes to graphql-core, which words the error: the fast path only ever gives a result
graphql-core would give (``tests/test_emulator_fastpaths.py`` compares both on the queries
syncer sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast

#: Scalars whose values pass through unchanged when they already have the wire type.
_PLAIN = {"ID": str, "String": str, "Boolean": bool, "Int": int, "Decimal": str}
_INT_RANGE = range(-(2**31), 2**31)


class _Unsupported(Exception):
    """Something the fast path leaves to graphql-core."""


@dataclass
class _Info:
    """What the resolvers read of graphql-core's ``GraphQLResolveInfo``."""

    field_name: str
    field_nodes: list[FieldNode]
    return_type: Any
    parent_type: GraphQLObjectType
    schema: GraphQLSchema
    fragments: dict
    operation: Any
    variable_values: Any
    context: Any
    root_value: Any = None
    path: Any = None


def execute_fast(schema: GraphQLSchema, document: DocumentNode, variables: dict | None,
                 operation_name: str | None, context) -> dict | None:
    """The ``data`` of a valid query operation, or None to leave it to graphql-core."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        return None
    values = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(values, list):
        return None  # graphql-core reports bad variables
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    runner = _Runner(schema, fragments, operation, values, context)
    try:
        return runner.object(schema.query_type, None, [operation.selection_set])
    except Exception:  # noqa: BLE001 (graphql-core runs it again and words the error)
        return None


class _Runner:
    def __init__(self, schema, fragments, operation, values, context) -> None:
        self.schema, self.fragments, self.operation = schema, fragments, operation
        self.values, self.context = values, context
        # A page of 250 nodes collects the same selections 250 times: once is enough. So with
        # a field's arguments: the variables do not change within a request.
        self._collected: dict[tuple, dict[str, list[FieldNode]]] = {}
        self._arguments: dict[int, dict] = {}

    def info(self, field, name: str, nodes: list[FieldNode], parent) -> _Info:
        return _Info(name, nodes, field.type, parent, self.schema, self.fragments,
                     self.operation, self.values, self.context)

    def object(self, type_: GraphQLObjectType, source, selection_sets: list) -> dict:
        result = {}
        for key, nodes in self.collected(type_, selection_sets).items():
            node = nodes[0]
            name = node.name.value
            if name == "__typename":
                result[key] = type_.name
                continue
            field = type_.fields[name]
            args = self.arguments(field, node) if field.args else {}
            if field.resolve is not None:
                value = field.resolve(source, self.info(field, name, nodes, type_), **args)
            else:
                value = source.get(name) if isinstance(source, Mapping) \
                    else getattr(source, name, None)
                if callable(value):
                    value = value(self.info(field, name, nodes, type_), **args)
            result[key] = self.complete(field.type, value, nodes, (field, name, type_))
        return result

    def arguments(self, field, node: FieldNode) -> dict:
        found = self._arguments.get(id(node))
        if found is None:
            found = self._arguments[id(node)] = get_argument_values(field, node, self.values)
        return found

    def complete(self, type_, value, nodes: list[FieldNode], where: tuple):
        kind = type(type_)
        if kind is GraphQLNonNull:
            if value is None:
                raise _Unsupported  # graphql-core's error
            return self.complete(type_.of_type, value, nodes, where)
        if value is None:
            return None
        if kind is GraphQLScalarType:
            plain = _PLAIN.get(type_.name)
            if plain is not None and type(value) is plain and \
                    (plain is not int or value in _INT_RANGE):
                return value
            return type_.serialize(value)
        if kind is GraphQLList:
            if isinstance(value, str | bytes | Mapping):
                raise _Unsupported
            return [self.complete(type_.of_type, item, nodes, where) for item in value]
        if kind is GraphQLEnumType:
            # an SDL enum's values are their names: a name it has is its own serialization
            return value if type(value) is str and value in type_.values else \
                type_.serialize(value)
        if kind is not GraphQLObjectType:
            if not isinstance(type_, GraphQLAbstractType) or type_.resolve_type is None:
                raise _Unsupported
            info = self.info(where[0], where[1], nodes, where[2])
            type_ = self.schema.type_map[type_.resolve_type(value, info, type_)]
        sets = [node.selection_set for node in nodes if node.selection_set is not None]
        return self.object(type_, value, sets)

    def collected(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]):
        key = (type_.name, *map(id, selection_sets))
        if key not in self._collected:
            self._collected[key] = self.collect(type_, selection_sets)
        return self._collected[key]

    def collect(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode],
                found: dict | None = None) -> dict[str, list[FieldNode]]:
        """Fields by response key, in document order, through fragments that apply."""
        found = {} if found is None else found
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if selection.directives:
                    raise _Unsupported  # @include, @skip: graphql-core's
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    found.setdefault(key, []).append(selection)
                    continue
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments[selection.name.value]
                elif isinstance(selection, InlineFragmentNode):
                    fragment = selection
                else:
                    raise _Unsupported
                condition = fragment.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self.collect(type_, [fragment.selection_set], found)
        return found

    def _applies(self, name: str, type_: GraphQLObjectType) -> bool:
        if name == type_.name:
            return True
        condition = self.schema.type_map[name]
        return isinstance(condition, GraphQLAbstractType) and \
            self.schema.is_sub_type(condition, type_)
