"""The GraphQL codec for the Shopify Admin API 2026-04: documents, costs, variables, parsing.

Pure: no I/O. Every document syncer sends is defined here (a test validates each one against
the real schema), together with its requested cost by Shopify's rules, so the reader can pick
the largest page that stays under the 1000-point limit. Version-specific names live here too:
``changeFromQuantity`` (CAS, required from 2026-04) and ``@idempotent(key:)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from syncer.errors import RemoteError
from syncer.model import (
    ADJUSTABLE,
    QUANTITY_NAMES,
    Item,
    LiveLevel,
    LiveState,
    Location,
    frozen_map,
)

#: Shopify refuses a query whose requested cost is above this.
MAX_QUERY_COST = 1000
#: Largest ``first`` Shopify accepts, and largest input array.
MAX_PAGE_SIZE = 250
MAX_INPUT_ITEMS = 250

# Requested cost by Shopify's published rules: scalars and enums 0, an object 1 plus its
# selection, a connection 2 plus `first` times one node (pageInfo included in the 2), a list of
# objects without `first` (quantities(names:), nodes(ids:)) priced as one element, a mutation 10.
# tests/test_shopify.py checks every figure below against the emulator's cost calculator.
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10
#: One level as ``SyncerLevel`` selects it: the level, its item, its quantities list.
LEVEL_COST = OBJECT_COST + OBJECT_COST + OBJECT_COST


def connection_cost(first: int, node_cost: int) -> int:
    """Requested cost of a connection asking for ``first`` nodes.

    >>> connection_cost(250, 1)
    252
    """
    return CONNECTION_COST + first * node_cost


def largest_page(node_cost: int, overhead: int = 0, budget: int = MAX_QUERY_COST) -> int:
    """The largest ``first`` whose connection, plus ``overhead``, costs at most ``budget``.

    >>> largest_page(3, overhead=1)
    250
    >>> largest_page(10, overhead=1)
    99
    """
    return max(1, min(MAX_PAGE_SIZE, (budget - overhead - CONNECTION_COST) // node_cost))


_QUANTITY_LIST = ", ".join(f'"{name}"' for name in QUANTITY_NAMES)

LEVEL_FRAGMENT = f"""
fragment SyncerLevel on InventoryLevel {{
  id
  isActive
  canDeactivate
  deactivationAlert
  item {{ id sku }}
  quantities(names: [{_QUANTITY_LIST}]) {{ name quantity }}
}}
"""

LOCATIONS_QUERY = """
query SyncerLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive }
  }
}
"""
LOCATIONS_PAGE_SIZE = largest_page(OBJECT_COST)


def locations_cost(first: int) -> int:
    """Requested cost of ``LOCATIONS_QUERY``."""
    return connection_cost(first, OBJECT_COST)


ITEMS_BY_SKU_QUERY = """
query SyncerItemsBySku($query: String!, $first: Int!, $after: String) {
  inventoryItems(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { id sku }
  }
}
"""
ITEMS_PAGE_SIZE = largest_page(OBJECT_COST)
#: SKUs per search query: 100 keeps the search string a few KB (Shopify documents no length
#: limit) while a page of 250 still holds every match in the usual case; duplicates page on.
SKUS_PER_QUERY = 100

NODES_QUERY = """
query SyncerNodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem { id sku }
    ... on Location { id name isActive }
  }
}
"""
IDS_PER_QUERY = MAX_INPUT_ITEMS


def items_cost(first: int) -> int:
    """Requested cost of ``ITEMS_BY_SKU_QUERY``."""
    return connection_cost(first, OBJECT_COST)


#: Requested cost of ``NODES_QUERY`` for up to ``IDS_PER_QUERY`` ids (a plain list).
NODES_COST = OBJECT_COST


LOCATION_LEVELS_QUERY = (
    """
query SyncerLocationLevels($locationId: ID!, $first: Int!, $after: String) {
  location(id: $locationId) {
    id
    inventoryLevels(first: $first, after: $after, includeInactive: true) {
      pageInfo { hasNextPage endCursor }
      nodes { ...SyncerLevel }
    }
  }
}
"""
    + LEVEL_FRAGMENT
)
LEVELS_PAGE_SIZE = largest_page(LEVEL_COST, overhead=OBJECT_COST)


def location_levels_cost(first: int) -> int:
    """Requested cost of ``LOCATION_LEVELS_QUERY``: the location plus one page of levels."""
    return OBJECT_COST + connection_cost(first, LEVEL_COST)


def levels_by_item_query(shape: Sequence[int]) -> str:
    """A query reading chosen levels: ``shape[i]`` items at the i-th location, by alias.

    Variables are ``l<i>`` (location ids) and ``l<i>i<j>`` (item ids); see
    ``levels_by_item_variables``. The document depends only on the shape, never on the ids.
    """
    params, blocks = [], []
    for i, count in enumerate(shape):
        params.append(f"$l{i}: ID!")
        fields = []
        for j in range(count):
            params.append(f"$l{i}i{j}: ID!")
            fields.append(
                f"    i{j}: inventoryLevel(inventoryItemId: $l{i}i{j}, includeInactive: true)"
                " { ...SyncerLevel }"
            )
        blocks.append(f"  l{i}: location(id: $l{i}) {{\n    id\n" + "\n".join(fields) + "\n  }")
    body = "\n".join(blocks)
    return f"query SyncerLevelsByItem({', '.join(params)}) {{\n{body}\n}}\n" + LEVEL_FRAGMENT


def levels_by_item_variables(groups: Sequence[tuple[str, Sequence[str]]]) -> dict:
    """Variables for ``levels_by_item_query`` from ``(location_id, item_ids)`` groups."""
    variables: dict[str, str] = {}
    for i, (location_id, item_ids) in enumerate(groups):
        variables[f"l{i}"] = location_id
        for j, item_id in enumerate(item_ids):
            variables[f"l{i}i{j}"] = item_id
    return variables


def levels_by_item_cost(shape: Sequence[int]) -> int:
    """Requested cost of ``levels_by_item_query(shape)``."""
    return sum(OBJECT_COST + count * LEVEL_COST for count in shape)


#: Items per location that one point-read query can hold (a single location group).
ITEMS_PER_POINT_QUERY = (MAX_QUERY_COST - OBJECT_COST) // LEVEL_COST

ACTIVATE_MUTATION = (
    """
mutation SyncerActivate(
  $inventoryItemId: ID!, $locationId: ID!, $available: Int, $onHand: Int,
  $idempotencyKey: String!
) {
  inventoryActivate(
    inventoryItemId: $inventoryItemId, locationId: $locationId,
    available: $available, onHand: $onHand
  ) @idempotent(key: $idempotencyKey) {
    inventoryLevel { ...SyncerLevel }
    userErrors { field message }
  }
}
"""
    + LEVEL_FRAGMENT
)

DEACTIVATE_MUTATION = """
mutation SyncerDeactivate($inventoryLevelId: ID!, $idempotencyKey: String!) {
  inventoryDeactivate(inventoryLevelId: $inventoryLevelId) @idempotent(key: $idempotencyKey) {
    userErrors { field message }
  }
}
"""

BULK_TOGGLE_MUTATION = (
    """
mutation SyncerBulkToggle(
  $inventoryItemId: ID!, $inventoryItemUpdates: [InventoryBulkToggleActivationInput!]!
) {
  inventoryBulkToggleActivation(
    inventoryItemId: $inventoryItemId, inventoryItemUpdates: $inventoryItemUpdates
  ) {
    inventoryItem { id }
    inventoryLevels { ...SyncerLevel location { id } }
    userErrors { code field message }
  }
}
"""
    + LEVEL_FRAGMENT
)

ADJUST_MUTATION = """
mutation SyncerAdjust($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      reason
      referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
"""

#: Every document syncer sends (the point-read query is built per shape; see its builder).
DOCUMENTS = {
    "locations": LOCATIONS_QUERY,
    "items_by_sku": ITEMS_BY_SKU_QUERY,
    "nodes": NODES_QUERY,
    "location_levels": LOCATION_LEVELS_QUERY,
    "activate": ACTIVATE_MUTATION,
    "deactivate": DEACTIVATE_MUTATION,
    "bulk_toggle": BULK_TOGGLE_MUTATION,
    "adjust": ADJUST_MUTATION,
}


@dataclass(frozen=True, slots=True)
class QuantityChange:
    """One change of an ``inventoryAdjustQuantities`` call; CAS on ``change_from``."""

    item_id: str
    location_id: str
    delta: int
    change_from: int
    ledger_document_uri: str | None = None


def _key(key: str) -> str:
    if not key or not key.strip():
        raise ValueError("an idempotency key must not be empty")
    return key


def activate_variables(
    item_id: str,
    location_id: str,
    key: str,
    *,
    available: int | None = None,
    on_hand: int | None = None,
) -> dict:
    """Variables for ``ACTIVATE_MUTATION``; omitted quantities are left to Shopify (0, or kept)."""
    variables = {"inventoryItemId": item_id, "locationId": location_id, "idempotencyKey": _key(key)}
    if available is not None:
        variables["available"] = available
    if on_hand is not None:
        variables["onHand"] = on_hand
    return variables


def deactivate_variables(level_id: str, key: str) -> dict:
    """Variables for ``DEACTIVATE_MUTATION``."""
    return {"inventoryLevelId": level_id, "idempotencyKey": _key(key)}


def bulk_toggle_variables(item_id: str, updates: Iterable[tuple[str, bool]]) -> dict:
    """Variables for ``BULK_TOGGLE_MUTATION`` from ``(location_id, activate)`` pairs."""
    rows = [{"locationId": loc, "activate": bool(on)} for loc, on in updates]
    if not rows or len(rows) > MAX_INPUT_ITEMS:
        raise ValueError(f"inventoryBulkToggleActivation takes 1 to {MAX_INPUT_ITEMS} updates")
    return {"inventoryItemId": item_id, "inventoryItemUpdates": rows}


def adjust_variables(
    name: str,
    reason: str,
    reference_uri: str | None,
    changes: Sequence[QuantityChange],
    key: str,
) -> dict:
    """Variables for ``ADJUST_MUTATION``: every change carries ``changeFromQuantity`` (CAS)."""
    if name not in ADJUSTABLE:
        raise ValueError(f"{name!r} is not an adjustable quantity ({', '.join(ADJUSTABLE)})")
    if not changes or len(changes) > MAX_INPUT_ITEMS:
        raise ValueError(f"inventoryAdjustQuantities takes 1 to {MAX_INPUT_ITEMS} changes")
    rows = []
    for change in changes:
        row = {
            "delta": change.delta,
            "inventoryItemId": change.item_id,
            "locationId": change.location_id,
            "changeFromQuantity": change.change_from,
        }
        if change.ledger_document_uri is not None:
            row["ledgerDocumentUri"] = change.ledger_document_uri
        rows.append(row)
    payload = {"name": name, "reason": reason, "changes": rows}
    if reference_uri is not None:
        payload["referenceDocumentUri"] = reference_uri
    return {"input": payload, "idempotencyKey": _key(key)}


#: ``inventoryAdjustQuantities`` reasons (the schema's description of ``reason`` lists them).
ADJUST_REASONS = (
    "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
    "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock",
    "safety_stock", "shrinkage",
)

#: Aliased mutation fields one request may carry: each mutation costs 10 of the 1000 points.
MAX_FIELDS_PER_REQUEST = MAX_QUERY_COST // MUTATION_COST

# One aliased field per apply step: (variable definitions, field). ``{i}`` is the field's index.
# inventoryBulkToggleActivation does not document @idempotent support, so it carries no key:
# activation is idempotent by nature (activating an active level changes nothing).
_APPLY_FIELDS = {
    "activate": (
        "$item{i}: ID!, $location{i}: ID!, $key{i}: String!",
        "s{i}: inventoryActivate(inventoryItemId: $item{i}, locationId: $location{i}) "
        "@idempotent(key: $key{i}) {{ inventoryLevel {{ id }} userErrors {{ field message }} }}",
    ),
    "bulk_toggle": (
        "$item{i}: ID!, $updates{i}: [InventoryBulkToggleActivationInput!]!",
        "s{i}: inventoryBulkToggleActivation(inventoryItemId: $item{i}, "
        "inventoryItemUpdates: $updates{i}) "
        "{{ inventoryLevels {{ id }} userErrors {{ code field message }} }}",
    ),
    "adjust": (
        "$input{i}: InventoryAdjustQuantitiesInput!, $key{i}: String!",
        "s{i}: inventoryAdjustQuantities(input: $input{i}) @idempotent(key: $key{i}) "
        "{{ inventoryAdjustmentGroup {{ id createdAt }} userErrors {{ code field message }} }}",
    ),
    "deactivate": (
        "$level{i}: ID!, $key{i}: String!",
        "s{i}: inventoryDeactivate(inventoryLevelId: $level{i}) @idempotent(key: $key{i}) "
        "{{ userErrors {{ field message }} }}",
    ),
}


def apply_document(kinds: Sequence[str]) -> str:
    """One mutation with an aliased field ``s0``, ``s1``, ... per apply step of ``kinds``.

    Fields run in order (GraphQL executes mutation fields serially); each has its own variables
    (see ``apply_field_variables``) and, except bulk toggles, its own idempotency key.
    """
    if not kinds or len(kinds) > MAX_FIELDS_PER_REQUEST:
        raise ValueError(f"an apply request carries 1 to {MAX_FIELDS_PER_REQUEST} fields")
    defs = ", ".join(_APPLY_FIELDS[k][0].format(i=i) for i, k in enumerate(kinds))
    fields = "\n  ".join(_APPLY_FIELDS[k][1].format(i=i) for i, k in enumerate(kinds))
    return f"mutation SyncerApply({defs}) {{\n  {fields}\n}}\n"


def apply_field_variables(i: int, kind: str, variables: Mapping) -> dict:
    """The variables of field ``s{i}`` from a single-mutation builder's output.

    ``variables`` comes from ``activate_variables``, ``bulk_toggle_variables``,
    ``adjust_variables`` or ``deactivate_variables``.
    """
    if kind == "activate":
        return {f"item{i}": variables["inventoryItemId"],
                f"location{i}": variables["locationId"], f"key{i}": variables["idempotencyKey"]}
    if kind == "bulk_toggle":
        return {f"item{i}": variables["inventoryItemId"],
                f"updates{i}": variables["inventoryItemUpdates"]}
    if kind == "adjust":
        return {f"input{i}": variables["input"], f"key{i}": variables["idempotencyKey"]}
    if kind == "deactivate":
        return {f"level{i}": variables["inventoryLevelId"], f"key{i}": variables["idempotencyKey"]}
    raise ValueError(f"unknown apply field kind {kind!r}")


def sku_search(skus: Iterable[str]) -> str:
    """An ``inventoryItems`` search matching any of ``skus``, quoting where needed.

    >>> sku_search(["TSHIRT-RED-M", "MUG OLD", 'say "hi"'])
    'sku:TSHIRT-RED-M OR sku:"MUG OLD" OR sku:"say \\\\"hi\\\\""'
    """
    return " OR ".join(f"sku:{_search_value(sku)}" for sku in skus)


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")


def _search_value(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.upper() not in ("AND", "OR", "NOT"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- responses --------------------------------------------------------------------------------


def error_code(error: Mapping) -> str | None:
    """The ``extensions.code`` of one top-level error, if any."""
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    return extensions.get("code") if isinstance(extensions, Mapping) else None


def raise_for_errors(response: Mapping) -> dict:
    """The response's ``data``; ``RemoteError`` if it carries top-level errors (codes verbatim)."""
    if not isinstance(response, Mapping):
        raise RemoteError(f"the store answered {shown(response)}, not a GraphQL JSON object")
    errors = response.get("errors")
    if not errors:
        data = response.get("data")
        if not isinstance(data, dict):
            raise RemoteError("the store answered without data")
        return data
    if isinstance(errors, str | Mapping) or not isinstance(errors, list):
        errors = [errors if isinstance(errors, Mapping) else {"message": str(errors)}]
    parts = []
    for error in errors:
        if not isinstance(error, Mapping):
            parts.append(str(error))
            continue
        code = error_code(error)
        text = str(error.get("message", "")).strip() or "(no message)"
        parts.append(f"{code}: {text}" if code else text)
        if code == "ACCESS_DENIED":
            parts[-1] += " (the token needs read_inventory, read_locations, write_inventory)"
    raise RemoteError("Shopify answered with errors: " + "; ".join(parts), list(errors))


def smaller_page(first: int, error: RemoteError) -> int | None:
    """After ``MAX_COST_EXCEEDED`` for a page of ``first``: a page size that should fit, or None.

    >>> smaller_page(250, RemoteError("", [{"extensions": {"code": "MAX_COST_EXCEEDED",
    ...     "cost": 2503, "maxCost": 1000}}]))
    99
    """
    for err in error.errors:
        if error_code(err) != "MAX_COST_EXCEEDED":
            continue
        ext = err["extensions"]
        cost, limit = ext.get("cost"), ext.get("maxCost", MAX_QUERY_COST)
        if isinstance(cost, int | float) and cost > 0 and first > 1:
            return max(1, min(first - 1, int(first * limit // cost)))
    return None


def user_errors(payload: Mapping | None) -> list[dict]:
    """The mutation payload's ``userErrors`` as ``{code, field, message}`` dicts."""
    if not payload:
        return []
    if not isinstance(payload, Mapping):
        raise _malformed(f"a mutation payload is {shown(payload)}")
    errors = payload.get("userErrors") or []
    if not isinstance(errors, list):
        raise _malformed(f"userErrors is {shown(errors)}")
    return [
        {"code": e.get("code"), "field": e.get("field"), "message": e.get("message", "")}
        if isinstance(e, Mapping)
        else {"code": None, "field": None, "message": str(e)}
        for e in errors
    ]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a connection."""

    nodes: list
    has_next: bool
    end_cursor: str | None


def page(connection: Mapping | None, what: str | None = None) -> Page:
    """Read a connection's ``nodes`` and ``pageInfo``; ``RemoteError`` when they are malformed.

    A missing (null) connection is an empty page, unless ``what`` names it: then it is required.

    >>> page({"nodes": [{"id": "a"}], "pageInfo": {"hasNextPage": False}}).nodes
    [{'id': 'a'}]
    >>> page({"nodes": [], "pageInfo": {"hasNextPage": True}}, "locations")
    Traceback (most recent call last):
    ...
    syncer.errors.RemoteError: malformed answer from the store: locations has a next page but no endCursor
    """  # noqa: E501
    if connection is None and what is None:
        return Page([], False, None)
    what = what or "a connection"
    if not isinstance(connection, Mapping):
        raise _malformed(f"{what} is {shown(connection)}, not a connection")
    info = connection.get("pageInfo")
    nodes = connection.get("nodes")
    if not isinstance(info, Mapping) or not isinstance(info.get("hasNextPage"), bool):
        raise _malformed(f"{what} has no pageInfo {{hasNextPage endCursor}}")
    if not isinstance(nodes, list):
        raise _malformed(f"{what} has no nodes list")
    cursor = info.get("endCursor")
    if info["hasNextPage"] and not (isinstance(cursor, str) and cursor):
        raise _malformed(f"{what} has a next page but no endCursor")
    return Page([n for n in nodes if n is not None], info["hasNextPage"], cursor)


def shown(value: object) -> str:
    """A short, verbatim rendering of an unexpected value for an error message.

    >>> shown(None), shown([1, 2]), shown("x" * 200)[-5:]
    ('null', '[1, 2]', 'x ...')
    """
    text = "null" if value is None else json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 120 else text[:120] + " ..."


def _malformed(what: str) -> RemoteError:
    return RemoteError(f"malformed answer from the store: {what}")


def require(node: object, key: str, kind: type | tuple, what: str):
    """``node[key]`` when it is of ``kind``; ``RemoteError`` saying what is missing otherwise."""
    if not isinstance(node, Mapping):
        raise _malformed(f"{what} is {shown(node)}, not an object")
    value = node.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        got = "missing" if key not in node else f"{shown(value)}"
        raise _malformed(f"{what} field {key!r} is {got} in {shown(node)}")
    return value


def parse_location(node: Mapping) -> Location:
    """A ``Location`` from a location node."""
    name = node.get("name") if isinstance(node, Mapping) else None
    return Location(id=require(node, "id", str, "a location"), name=name or "")


def parse_item(node: Mapping) -> Item:
    """An ``Item`` from an inventory item node."""
    sku = node.get("sku") if isinstance(node, Mapping) else None
    return Item(id=require(node, "id", str, "an inventory item"), sku=sku or None)


def parse_level(location_id: str, node: Mapping) -> LiveLevel:
    """A ``LiveLevel`` from a node selected with ``SyncerLevel``; ``RemoteError`` if malformed."""
    what = "an inventory level"
    level_id = require(node, "id", str, what)
    item = require(node, "item", Mapping, f"inventory level {level_id}")
    item_id = require(item, "id", str, f"the item of inventory level {level_id}")
    active = require(node, "isActive", bool, f"inventory level {level_id}")
    quantities = {}
    rows = node.get("quantities") or []
    if not isinstance(rows, list):
        raise _malformed(f"inventory level {level_id} has quantities {shown(rows)}, not a list")
    for row in rows:
        name = require(row, "name", str, f"a quantity of inventory level {level_id}")
        quantities[name] = require(row, "quantity", int, f"quantity {name} of {level_id}")
    alert = node.get("deactivationAlert")
    return LiveLevel(
        id=level_id,
        location_id=location_id,
        item_id=item_id,
        active=active,
        quantities=frozen_map(quantities),
        can_deactivate=bool(node.get("canDeactivate", True)),
        deactivation_alert=alert if isinstance(alert, str) and alert else None,
    )


class LiveBuilder:
    """Collects locations, items and levels from pages, then builds one ``LiveState``."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}
        self.items: dict[str, Item] = {}
        self.levels: dict[tuple[str, str], LiveLevel] = {}

    def add_location(self, node: Mapping) -> Location:
        location = self.locations[node["id"]] = parse_location(node)
        return location

    def add_item(self, node: Mapping) -> Item:
        item = self.items[node["id"]] = parse_item(node)
        return item

    def add_level(self, location_id: str, node: Mapping) -> LiveLevel:
        """Add a level and its item (unmanaged items are part of the live state too)."""
        level = parse_level(location_id, node)
        self.levels[level.key] = level
        if level.item_id not in self.items:
            self.add_item(node["item"])  # parse_level checked it is there
        return level

    def build(self) -> LiveState:
        return LiveState.build(
            sorted(self.locations.values(), key=lambda loc: loc.id),
            sorted(self.items.values(), key=lambda item: item.id),
            [self.levels[key] for key in sorted(self.levels)],
        )


def live_from_pages(
    locations: Iterable[Mapping],
    items: Iterable[Mapping],
    levels: Iterable[tuple[str, Iterable[Mapping]]],
) -> LiveState:
    """A ``LiveState`` from location nodes, item nodes and ``(location_id, level nodes)`` pages."""
    builder = LiveBuilder()
    for node in locations:
        builder.add_location(node)
    for node in items:
        builder.add_item(node)
    for location_id, nodes in levels:
        for node in nodes:
            builder.add_level(location_id, node)
    return builder.build()
