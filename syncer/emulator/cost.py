"""Shopify's calculated query cost, requested (before execution) and actual (after).

Sources (read 2026; quoted where the wording matters):

* Shopify, "GraphQL Admin API rate limits" (shopify.dev/docs/apps/build/apis/graphql-admin/
  rate-limits, also shopify.dev/docs/api/usage/limits): "Every field in the schema has an
  integer cost value"; by default Scalar 0, Enum 0, Object 1, Interface and Union "Maximum of
  possible selections", Connection "Sized by `first` and `last` arguments", Mutation 10. "The
  requested cost is based on the composition of fields selected"; the actual cost "may be lower
  than requested cost due to the actual objects returned or connections that return fewer edges
  than requested". The bucket must hold the requested cost before execution and "is refunded
  the difference between the requested cost and the actual cost". "A single query may not
  exceed a cost of 1,000 points ... enforced before a query is executed based on the query's
  requested cost."
* Shopify Engineering, "Rate Limiting GraphQL APIs by Calculating Query Complexity": a
  connection costs "two points plus the number of returned objects"; mutations cost ten points.
* graphql-ruby (which Shopify's API runs on), ``GraphQL::Schema::Field#calculate_complexity``:
  the page size is ``first`` or ``last``, the larger when both are given, and the schema's
  maximum page size when neither is (Shopify's maximum is 250).
* lightward/mechanic-tasks PR #110: Shopify confirmed that ``nodes`` should cost the same as
  ``edges { node }``.
* community.shopify.dev thread 23101: ``product(id:) { variants(first: 250) { ... } }`` with
  ``product: null`` in the data had ``actualQueryCost`` 1: an object returned as null costs
  its own point and nothing below it.
* Error bodies captured from a live shop (public research notes): ``MAX_COST_EXCEEDED`` has no
  top-level ``extensions.cost``, and a ``THROTTLED`` response carries ``actualQueryCost: null``.

The rules as implemented (the inferred ones marked):

* Scalars, enums and ``__typename``: 0. An object field: 1 plus its selection. A list of objects
  without ``first``/``last`` (``InventoryLevel.quantities``): 1 plus the selection of one element,
  not multiplied (the table prices the field by what it returns; *inferred*).
* An interface or union field: 1 plus the most expensive selection over its possible types.
* A connection (an object type named ``*Connection`` with ``pageInfo`` and ``edges``/``nodes``):
  2 + page size x item cost, where an item is one node: 1 plus the node's selection. ``edges``
  and ``nodes`` are the same items and are charged once (the larger); ``pageInfo`` and
  ``cursor`` are in the 2 (*inferred*). Actual cost counts the items returned.
* A mutation's root field: 10, whatever the payload selects.
* ``@skip``/``@include``, named and inline fragments, aliases and variables (with their
  defaults) are resolved as the executor would; fields selected twice are merged
  (``selections.py``).

Live Shopify has charged less than this for large pages since about 2025 (thread 23101 reports
25 where these rules give 503), so the emulator errs high: a query that fits here fits there.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.utilities import value_from_ast_untyped

from .clock import LeakyBucket, RealClock, VirtualClock
from .selections import Selections

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_QUERY_COST",
    "LeakyBucket",
    "RealClock",
    "VirtualClock",
    "actual_cost",
    "max_cost_exceeded_error",
    "requested_cost",
    "throttled_error",
]

MAX_QUERY_COST = 1000
DEFAULT_PAGE_SIZE = 250  # a connection without first/last is priced at Shopify's maximum page
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10
_MISSING = object()
_LEAVES = {"ID", "String", "Int", "Boolean", "Float"}  # the built-in scalars: free


def requested_cost(
    schema: GraphQLSchema,
    document_ast: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """Cost of the operation before execution, from its selections and arguments.

    Returns 0 when the document names no runnable operation (execution reports that error).
    """
    walk = _Walk.start(schema, document_ast, variables, operation_name)
    return 0 if walk is None else walk.operation(data=None)


def actual_cost(
    schema: GraphQLSchema,
    document_ast: DocumentNode,
    variables: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """Cost of the operation after execution, counting the objects ``data`` returned."""
    walk = _Walk.start(schema, document_ast, variables, operation_name)
    if walk is None or data is None:
        return 0
    return walk.operation(data=data)


def max_cost_exceeded_error(cost: int) -> dict[str, Any]:
    """Shopify's error for a query over ``MAX_QUERY_COST`` (sent with no data and no cost block)."""
    return {
        "message": (
            f"Query cost is {cost}, which exceeds the single query max cost limit "
            f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/docs/api/usage/rate-limits for "
            "more information on how the\ncost of a query is calculated.\n\nTo query larger "
            "amounts of data with fewer limits, bulk operations should be used instead.\nSee "
            "https://shopify.dev/docs/api/usage/bulk-operations/queries for usage details.\n"
        ),
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": MAX_QUERY_COST,
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    }


def throttled_error() -> dict[str, Any]:
    """The error Shopify returns (HTTP 200) when the bucket cannot pay the requested cost."""
    return {
        "message": "Throttled",
        "extensions": {
            "code": "THROTTLED",
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    }


class _Walk(Selections):
    """Prices one operation (``data`` None: requested; otherwise the data returned)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        #: What each field type is, by id (the schema outlives the walk: ids are stable in it):
        #: a page of 249 levels prices the same few field types a thousand times.
        self._kinds: dict[int, tuple[Any, str]] = {}

    def operation(self, data: Mapping[str, Any] | None) -> int:
        root = self.schema.get_root_type(self.op.operation)
        if root is None:
            return 0
        fields = self.collect(root, [self.op.selection_set])
        if self.op.operation == OperationType.MUTATION:
            return sum(
                MUTATION_COST
                for key, nodes in fields.items()
                if nodes[0].name.value in root.fields and (data is None or key in data)
            )
        return self.selection(root, fields, data)

    def page_size(self, nodes: list[FieldNode]) -> int:
        sizes = [
            value_from_ast_untyped(arg.value, self.variables)
            for node in nodes
            for arg in node.arguments or ()
            if arg.name.value in ("first", "last")
        ]
        sizes = [s for s in sizes if isinstance(s, int) and not isinstance(s, bool)]
        return max(0, max(sizes)) if sizes else DEFAULT_PAGE_SIZE

    # -- costs (data is None: requested; otherwise the value returned) ------------------------

    def selection(self, obj_type, fields, data) -> int:
        total = 0
        for key, nodes in fields.items():
            field = obj_type.fields.get(nodes[0].name.value)
            if field is None:  # __typename, introspection, or an invalid document
                continue
            if data is None:
                total += self.field(field.type, nodes, _MISSING)
            elif key in data:
                total += self.field(field.type, nodes, data[key])
        return total

    def field(self, gql_type, nodes, value) -> int:
        """Cost of one field; ``value`` is ``_MISSING`` when pricing the request."""
        kinds = self._kinds
        kind = kinds.get(id(gql_type))
        if kind is None:
            named = get_named_type(gql_type)
            unwrapped = gql_type.of_type if is_non_null_type(gql_type) else gql_type
            kind = kinds[id(gql_type)] = (
                named, "leaf" if named.name in _LEAVES or is_leaf_type(named) else
                "connection" if _is_connection(named) else
                "list" if is_list_type(unwrapped) else "object")
        named, what = kind
        if what == "leaf":
            return 0
        if what == "connection":
            return self.connection(named, nodes, value)
        if what == "list" and value is not _MISSING:
            items = [v for v in value or () if v is not None]
            if not items:
                return OBJECT_COST
            return max(self.composite(named, nodes, item) for item in items)
        return self.composite(named, nodes, value)

    def composite(self, named, nodes, value) -> int:
        """An object, interface or union: 1 plus its (most expensive possible) selection."""
        if value is None:
            return OBJECT_COST
        data = None if value is _MISSING else value
        sets = [n.selection_set for n in nodes]
        if not is_abstract_type(named):
            return OBJECT_COST + self.selection(named, self.collect(named, sets), data)
        types = self.schema.get_possible_types(named)
        typename = data.get("__typename") if data is not None else None
        types = [t for t in types if t.name == typename] or types
        return OBJECT_COST + max(
            (self.selection(t, self.collect(t, sets), data) for t in types), default=0
        )

    def connection(self, conn_type, nodes, value) -> int:
        if value is None:
            return CONNECTION_COST
        fields = self.collect(conn_type, [n.selection_set for n in nodes])
        data = None if value is _MISSING else value
        extra = 0
        slots: list[list[int]] = []  # requested: one slot priced once; actual: one per item
        for key, sub in fields.items():
            name = sub[0].name.value
            field = conn_type.fields.get(name)
            if field is None or name == "pageInfo":
                continue
            if name not in ("nodes", "edges"):
                extra += self.field(field.type, sub, _MISSING if data is None else data.get(key))
                continue
            price = self.composite if name == "nodes" else self.edge
            item_type = get_named_type(field.type)
            items = [_MISSING] if data is None else list(data.get(key) or ())
            for index, item in enumerate(items):
                if index == len(slots):
                    slots.append([])
                slots[index].append(price(item_type, sub, item))
        items_cost = sum(max(costs) for costs in slots)
        if data is None:
            items_cost *= self.page_size(nodes)
        return CONNECTION_COST + extra + items_cost

    def edge(self, edge_type: GraphQLObjectType, nodes, value) -> int:
        """One edge: its node (1 plus selection) and any other edge fields; at least 1."""
        if value is None:
            return OBJECT_COST
        data = None if value is _MISSING else value
        fields = self.collect(edge_type, [n.selection_set for n in nodes])
        total = 0
        for key, sub in fields.items():
            field = edge_type.fields.get(sub[0].name.value)
            if field is not None and (data is None or key in data):
                total += self.field(field.type, sub, _MISSING if data is None else data[key])
        return max(OBJECT_COST, total)


def _is_connection(named) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "pageInfo" in named.fields
        and ("edges" in named.fields or "nodes" in named.fields)
    )
