"""Which fields an operation selects, resolved as the executor would resolve them.

``Selections`` picks the document's one runnable operation (by name when given), takes the
variables with their defaults, and collects a selection set's fields by response key: ``@skip``
and ``@include`` applied, named and inline fragments expanded where their type condition
applies, aliases kept apart and fields selected twice merged. It knows nothing of prices:
``cost.py`` walks these fields to price an operation.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
)
from graphql.utilities import value_from_ast_untyped


class Selections:
    """One operation of one document, with its fragments and variables resolved."""

    def __init__(self, schema, operation, fragments, variables):
        self.schema = schema
        self.op = operation
        self.fragments = fragments
        self.variables = variables
        # ``collect`` by type and selection sets: a page of 250 nodes collects one selection
        # 250 times, and the answer cannot change within one operation and its variables.
        self._collected: dict[tuple, dict[str, list[FieldNode]]] = {}

    @classmethod
    def start(cls, schema: GraphQLSchema, document: DocumentNode,
              variables: Mapping[str, Any] | None, operation_name: str | None):
        """The operation to run, resolved; None when the document names no single one."""
        ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            ops = [o for o in ops if o.name is not None and o.name.value == operation_name]
        if len(ops) != 1:
            return None
        op = ops[0]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        given = dict(variables or {})
        values = {}
        for definition in op.variable_definitions or ():
            name = definition.variable.name.value
            if name in given:
                values[name] = given[name]
            elif definition.default_value is not None:
                values[name] = value_from_ast_untyped(definition.default_value)
        return cls(schema, op, fragments, values)

    def collect(self, obj_type, selection_sets: Iterable[SelectionSetNode]):
        """Response key -> field nodes, after directives and fragment type conditions."""
        selection_sets = list(selection_sets)
        key = (obj_type.name, *map(id, selection_sets))
        if key not in self._collected:
            self._collected[key] = self._collect(obj_type, selection_sets)
        return self._collected[key]

    def _collect(self, obj_type, selection_sets: list[SelectionSetNode]):
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit(selection_set):
            for sel in selection_set.selections:
                if not self.included(sel):
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    fields.setdefault(key, []).append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    if self.applies(sel.type_condition, obj_type):
                        visit(sel.selection_set)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self.applies(fragment.type_condition, obj_type):
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            if selection_set is not None:
                visit(selection_set)
        return fields

    def included(self, node) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            flag = next((a.value for a in directive.arguments if a.name.value == "if"), None)
            value = flag is not None and bool(value_from_ast_untyped(flag, self.variables))
            if (name == "skip") == value:
                return False
        return True

    def applies(self, type_condition, obj_type) -> bool:
        if type_condition is None:
            return True
        condition = self.schema.get_type(type_condition.name.value)
        if condition is None:
            return False
        if condition is obj_type:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(condition, obj_type)
