"""A bulk query's JSONL result, one object per line (its text checked by ``bulkrules.py``).

Every node of every connection is one JSON line, with its non-connection fields inline; a node of
a nested connection carries ``__parentId`` (its parent node's ``id``) and comes after its parent.
Two producers give the same lines: ``fast_lines`` reads the store directly for the fields syncer
and most scripts select (``None`` when the query selects anything else), and ``generic_lines``
executes the query with graphql-core, every connection unpaged. The fast one is what makes a
100,000-level read take seconds instead of minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLSchema, execute, get_named_type
from graphql.execution.values import get_argument_values
from graphql.utilities import get_operation_ast

from syncer.emulator.activation import can_deactivate, deactivation_alert
from syncer.emulator.bulkrules import is_connection
from syncer.emulator.context import Context
from syncer.emulator.records import READABLE, Item, Level, Location, gid_number
from syncer.emulator.store import Store

UNPAGED = 2**31 - 1


# -- generic: graphql-core, every connection unpaged ------------------------------------------


def generic_lines(schema: GraphQLSchema, document, store: Store, now_iso: str) -> Iterator[dict]:
    """The JSONL objects of a checked bulk query, executed by graphql-core."""
    operation = get_operation_ast(document)
    root = operation.selection_set.selections[0]
    result = execute(schema, document, context_value=Context(store, now_iso),
                     middleware=[_Unpaged()])
    if result.errors:
        raise GraphQLError(result.errors[0].message)
    field = schema.query_type.fields[root.name.value]
    key = root.alias.value if root.alias else root.name.value
    yield from _flatten(field, root, result.data[key], None)


class _Unpaged:
    """Middleware: a connection field without ``first``/``last`` returns every row."""

    def resolve(self, next_, source, info, **args):
        if is_connection(info.return_type) and args.get("first") is None \
                and args.get("last") is None:
            args["first"] = UNPAGED
        return next_(source, info, **args)


def _flatten(field, node: FieldNode, connection: dict, parent: str | None) -> Iterator[dict]:
    connection_type = get_named_type(field.type)
    edges_node = next(s for s in node.selection_set.selections if s.name.value == "edges")
    edges_key = edges_node.alias.value if edges_node.alias else "edges"
    node_node = next(s for s in edges_node.selection_set.selections if s.name.value == "node")
    node_key = node_node.alias.value if node_node.alias else "node"
    edge_type = get_named_type(connection_type.fields["edges"].type)
    node_type = get_named_type(edge_type.fields["node"].type)
    for edge in connection[edges_key]:
        obj = dict(edge[node_key])
        children = []
        for selection in node_node.selection_set.selections:
            if selection.name.value == "__typename":
                continue
            child_field = node_type.fields[selection.name.value]
            if is_connection(child_field.type):
                key = selection.alias.value if selection.alias else selection.name.value
                children.append((child_field, selection, obj.pop(key)))
        if parent is not None:
            obj["__parentId"] = parent
        yield obj
        for child_field, selection, value in children:
            yield from _flatten(child_field, selection, value, obj.get("id"))


# -- fast: the store read directly ------------------------------------------------------------

Row = Callable[[object], dict]


def fast_lines(schema: GraphQLSchema, document, store: Store) -> Iterator[dict] | None:
    """The same objects as ``generic_lines`` for the common fields, or None (use generic)."""
    try:
        plan = _Compiler(schema, store).root(get_operation_ast(document).selection_set
                                             .selections[0])
    except _Unsupported:
        return None
    return plan()


class _Unsupported(Exception):
    pass


_ROOTS = {"inventoryItems": ("InventoryItem", lambda s: sorted(
              s.items.values(), key=lambda it: gid_number(it.id, "InventoryItem"))),
          "locations": ("Location", lambda s: sorted(
              s.locations.values(), key=lambda loc: gid_number(loc.id, "Location")))}


class _Compiler:
    """Turns a bulk query's selections into functions over the store's objects."""

    def __init__(self, schema: GraphQLSchema, store: Store) -> None:
        self.schema = schema
        self.store = store
        self._active: dict[str, int] | None = None

    def can_deactivate(self, level: Level) -> bool:
        """``activation.can_deactivate`` from each item's count of active levels, counted once
        per export (the store does not change while the result is written)."""
        if self._active is None:
            self._active = {}
            for other in self.store.levels.values():
                if other.active:
                    self._active[other.item] = self._active.get(other.item, 0) + 1
        return not level.active or self._active.get(level.item, 0) > 1

    def root(self, node: FieldNode):
        if node.name.value not in _ROOTS or node.arguments or node.directives:
            raise _Unsupported
        type_name, rows = _ROOTS[node.name.value]
        emit = self.connection(type_name, node)
        store = self.store

        def run() -> Iterator[dict]:
            for row in rows(store):
                yield from emit(row, None)
        return run

    def connection(self, type_name: str, node: FieldNode):
        """``emit(row, parent_id)`` yielding the row's line, then its children's lines."""
        edges = next(s for s in node.selection_set.selections if s.name.value == "edges")
        node_node = next(s for s in edges.selection_set.selections if s.name.value == "node")
        if edges.directives or node_node.directives or edges.alias or node_node.alias:
            raise _Unsupported
        if any(s.name.value != "edges" for s in node.selection_set.selections):
            raise _Unsupported  # pageInfo: left to graphql-core
        fields, children = [], []
        for selection in node_node.selection_set.selections:
            key = selection.alias.value if selection.alias else selection.name.value
            if selection.name.value == "inventoryLevels":
                include = self._arguments(type_name, selection, {"includeInactive"})
                pick = _levels_of(self.store, type_name, include.get("includeInactive", False))
                children.append((pick, self.connection("InventoryLevel", selection)))
            else:
                fields.append((key, self.field(type_name, selection)))

        def emit(row, parent: str | None) -> Iterator[dict]:
            obj = {key: get(row) for key, get in fields}
            if parent is not None:
                obj["__parentId"] = parent
            yield obj
            for pick, child in children:
                for level in pick(row):
                    yield from child(level, obj.get("id"))
        return emit

    def _arguments(self, type_name: str, node: FieldNode, allowed: set[str]) -> dict:
        if node.directives or any(a.name.value not in allowed for a in node.arguments or ()):
            raise _Unsupported
        field = self.schema.type_map[type_name].fields[node.name.value]
        return get_argument_values(field, node, {})

    def field(self, type_name: str, node: FieldNode) -> Row:
        name = node.name.value
        if name == "quantities" and type_name == "InventoryLevel":
            names = self._arguments(type_name, node, {"names"})["names"]
            if any(n not in READABLE for n in names):
                raise _Unsupported  # graphql-core words the error
            return self.quantities(names, node)
        getter = _SCALARS.get((type_name, name))
        if getter is not None:
            if node.arguments or node.directives or node.selection_set is not None:
                raise _Unsupported
            store = self.store
            if (type_name, name) == ("InventoryLevel", "canDeactivate"):
                return self.can_deactivate
            if (type_name, name) == ("InventoryLevel", "deactivationAlert"):
                return lambda lv: deactivation_alert(store, lv, self.can_deactivate(lv))
            return lambda row: getter(store, row)
        target = _OBJECTS.get((type_name, name))
        if target is None or node.arguments or node.directives:
            raise _Unsupported
        child_type, follow = target
        parts = [(s.alias.value if s.alias else s.name.value, self.field(child_type, s))
                 for s in node.selection_set.selections]
        store = self.store
        return lambda row: _object(follow(store, row), parts)

    def quantities(self, names: list[str], node: FieldNode) -> Row:
        keys = []
        for selection in node.selection_set.selections:
            if selection.arguments or selection.directives or \
                    selection.name.value not in ("name", "quantity"):
                raise _Unsupported
            keys.append((selection.alias.value if selection.alias else selection.name.value,
                         selection.name.value == "name"))
        if keys == [("name", True), ("quantity", False)]:  # what syncer asks
            return lambda level: [{"name": n, "quantity": level.quantity(n)} for n in names]
        return lambda level: [{key: n if is_name else level.quantity(n) for key, is_name in keys}
                              for n in names]


def _object(value, parts) -> dict | None:
    return None if value is None else {key: get(value) for key, get in parts}


def _levels_of(store: Store, type_name: str, include_inactive: bool):
    side = "item" if type_name == "InventoryItem" else "location"
    return lambda row: store.levels_of(**{side: row.id}, include_inactive=include_inactive)


_SCALARS = {
    ("InventoryItem", "id"): lambda s, it: it.id,
    ("InventoryItem", "sku"): lambda s, it: it.sku,
    ("InventoryItem", "legacyResourceId"): lambda s, it: str(gid_number(it.id, "InventoryItem")),
    ("InventoryItem", "tracked"): lambda s, it: True,
    ("InventoryItem", "__typename"): lambda s, it: "InventoryItem",
    ("Location", "id"): lambda s, loc: loc.id,
    ("Location", "name"): lambda s, loc: loc.name,
    ("Location", "legacyResourceId"): lambda s, loc: str(gid_number(loc.id, "Location")),
    ("Location", "isActive"): lambda s, loc: True,
    ("Location", "__typename"): lambda s, loc: "Location",
    ("InventoryLevel", "id"): lambda s, lv: lv.gid,
    ("InventoryLevel", "isActive"): lambda s, lv: lv.active,
    ("InventoryLevel", "canDeactivate"): lambda s, lv: can_deactivate(s, lv),
    ("InventoryLevel", "deactivationAlert"): lambda s, lv: deactivation_alert(s, lv),
    ("InventoryLevel", "__typename"): lambda s, lv: "InventoryLevel",
    ("MoneyV2", "amount"): lambda s, money: money["amount"],
    ("MoneyV2", "currencyCode"): lambda s, money: money["currencyCode"],
}
_Follow = Callable[[Store, Any], Item | Location | dict | None]
_OBJECTS: dict[tuple[str, str], tuple[str, _Follow]] = {
    ("InventoryLevel", "item"): ("InventoryItem", lambda s, lv: s.items[lv.item]),
    ("InventoryItem", "unitCost"): ("MoneyV2", lambda s, it: it.unit_cost),  # null: no cost
    ("InventoryLevel", "location"): ("Location", lambda s, lv: s.locations[lv.location]),
}

__all__ = ["fast_lines", "generic_lines"]
