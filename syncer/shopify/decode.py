"""Reading the store's answers: GraphQL errors, user errors, pages and the live state.

Pure: no I/O. ``graphql_errors`` is the one place that turns a response's ``errors`` (a list of
objects, a bare string as Shopify sends with HTTP 401, an object, junk) into a list of error
objects; the reader, the applier and the transport all read errors through it. Everything else
checks the shape of what the store sent and raises ``RemoteError`` naming what is malformed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from syncer.errors import RemoteError, quoted
from syncer.model import Item, LiveLevel, LiveState, Location, Money, frozen_map
from syncer.plan.value import money_from
from syncer.shopify.documents import MAX_QUERY_COST

# --- errors -----------------------------------------------------------------------------------


def graphql_errors(response: object) -> list[dict[str, Any]]:
    """The top-level ``errors`` of ``response`` as a list of objects with a ``message`` at least.

    >>> graphql_errors({"errors": "[API] Invalid API key"})
    [{'message': '[API] Invalid API key'}]
    >>> graphql_errors({"data": {}}), graphql_errors(None)
    ([], [])
    >>> graphql_errors({"errors": [{"message": "x", "path": ["s0"]}, 7]})
    [{'message': 'x', 'path': ['s0']}, {'message': '7'}]
    """
    errors = response.get("errors") if isinstance(response, Mapping) else None
    if not errors:
        return []
    if isinstance(errors, str | Mapping) or not isinstance(errors, list):
        errors = [errors]
    return [dict(e) if isinstance(e, Mapping) else {"message": str(e)} for e in errors]


def error_code(error: Mapping[str, Any]) -> str | None:
    """The ``extensions.code`` of one top-level error, if any."""
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    return extensions.get("code") if isinstance(extensions, Mapping) else None


def error_text(errors: Iterable[Mapping[str, Any]]) -> str:
    """``CODE: message; ...`` for errors from ``graphql_errors``; codes kept verbatim."""
    parts = []
    for error in errors:
        code = error_code(error)
        text = str(error.get("message", "")).strip() or "(no message)"
        parts.append(f"{code}: {text}" if code else text)
        if code == "ACCESS_DENIED":
            parts[-1] += " (the token needs read_inventory, read_locations, write_inventory)"
    return "; ".join(parts)


def raise_for_errors(response: Mapping[str, Any]) -> dict[str, Any]:
    """The response's ``data``; ``RemoteError`` if it carries top-level errors (codes verbatim)."""
    if not isinstance(response, Mapping):
        raise RemoteError(f"the store answered {shown(response)}, not a GraphQL JSON object")
    errors = graphql_errors(response)
    if errors:
        raise RemoteError("Shopify answered with errors: " + error_text(errors), errors)
    data = response.get("data")
    if not isinstance(data, dict):
        raise RemoteError("the store answered without data")
    return data


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


def user_errors(payload: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The mutation payload's ``userErrors`` as ``{code, field, message}`` dicts."""
    if not payload:
        return []
    if not isinstance(payload, Mapping):
        raise malformed(f"a mutation payload is {shown(payload)}")
    errors = payload.get("userErrors") or []
    if not isinstance(errors, list):
        raise malformed(f"userErrors is {shown(errors)}")
    return [
        {"code": e.get("code"), "field": e.get("field"), "message": e.get("message", "")}
        if isinstance(e, Mapping)
        else {"code": None, "field": None, "message": str(e)}
        for e in errors
    ]


# --- shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a connection."""

    nodes: list[Any]
    has_next: bool
    end_cursor: str | None


def page(connection: object, what: str | None = None) -> Page:
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
        raise malformed(f"{what} is {shown(connection)}, not a connection")
    info = connection.get("pageInfo")
    nodes = connection.get("nodes")
    if not isinstance(info, Mapping) or not isinstance(info.get("hasNextPage"), bool):
        raise malformed(f"{what} has no pageInfo {{hasNextPage endCursor}}")
    if not isinstance(nodes, list):
        raise malformed(f"{what} has no nodes list")
    cursor = info.get("endCursor")
    if info["hasNextPage"] and not (isinstance(cursor, str) and cursor):
        raise malformed(f"{what} has a next page but no endCursor")
    return Page([n for n in nodes if n is not None], info["hasNextPage"], cursor)


def shown(value: object) -> str:
    """A short, verbatim rendering of an unexpected value for an error message.

    >>> shown(None), shown([1, 2]), shown("x" * 200)[-5:]
    ('null', '[1, 2]', 'x ...')
    """
    text = "null" if value is None else json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 120 else text[:120] + " ..."


def malformed(what: str) -> RemoteError:
    """The error for an answer whose shape is wrong: ``what`` says what is wrong."""
    return RemoteError(f"malformed answer from the store: {what}")


def require(node: object, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``node[key]`` when it is of ``kind``; ``RemoteError`` saying what is missing otherwise."""
    if not isinstance(node, Mapping):
        raise malformed(f"{what} is {shown(node)}, not an object")
    value = node.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        got = "missing" if key not in node else f"{shown(value)}"
        raise malformed(f"{what} field {quoted(key)} is {got} in {shown(node)}")
    return value


# --- the live state ---------------------------------------------------------------------------


def parse_location(node: Mapping[str, Any]) -> Location:
    """A ``Location`` from a location node."""
    name = node.get("name") if isinstance(node, Mapping) else None
    return Location(id=require(node, "id", str, "a location"), name=name or "")


#: One ``Money`` per distinct cost: a store's items share a few dozen costs, not one each.
_COSTS: dict[tuple[str, str], Money] = {}


def parse_cost(node: Mapping[str, Any]) -> Money | None:
    """The item's ``unitCost``; None when it has none; ``RemoteError`` when it is malformed."""
    raw = node.get("unitCost")
    if raw is None:
        return None
    key = (raw.get("amount"), raw.get("currencyCode")) if isinstance(raw, Mapping) else None
    plain = key is not None and isinstance(key[0], str) and isinstance(key[1], str)
    if plain and key in _COSTS:
        return _COSTS[key]
    cost = money_from(raw)
    if cost is None:
        raise malformed(f"inventory item {node.get('id')} has unitCost {shown(raw)}, not "
                        "{amount currencyCode}")
    if plain and len(_COSTS) < 100_000:
        _COSTS[key] = cost  # type: ignore[index]
    return cost


def parse_item(node: Mapping[str, Any]) -> Item:
    """An ``Item`` from an inventory item node (with its ``unitCost`` when selected)."""
    sku = node.get("sku") if isinstance(node, Mapping) else None
    item_id = require(node, "id", str, "an inventory item")
    return Item(id=item_id, sku=sku or None, unit_cost=parse_cost(node))


def parse_level(location_id: str, node: Mapping[str, Any]) -> LiveLevel:
    """A ``LiveLevel`` from a node selected with ``SyncerLevel``; ``RemoteError`` if malformed."""
    try:  # the well-formed answer, checked in one pass (a read decodes every level)
        level_id, item_id, active = node["id"], node["item"]["id"], node["isActive"]
        rows = node.get("quantities") or []
        quantities = {row["name"]: row["quantity"] for row in rows}
        plain = (type(level_id) is str and type(item_id) is str and type(active) is bool
                 and type(rows) is list and len(quantities) == len(rows)
                 and all(type(k) is str and type(v) is int for k, v in quantities.items()))
    except (KeyError, TypeError, AttributeError):
        plain = False
    if not plain:  # say what is wrong
        level_id, item_id, active, quantities = _checked_level(node)
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


def _checked_level(node: Mapping[str, Any]) -> tuple[str, str, bool, dict[str, int]]:
    """A level node's id, item id, state and quantities, field by field; ``RemoteError`` naming
    the first that is malformed."""
    level_id = require(node, "id", str, "an inventory level")
    item = require(node, "item", Mapping, f"inventory level {level_id}")
    item_id = require(item, "id", str, f"the item of inventory level {level_id}")
    active = require(node, "isActive", bool, f"inventory level {level_id}")
    quantities = {}
    rows = node.get("quantities") or []
    if not isinstance(rows, list):
        raise malformed(f"inventory level {level_id} has quantities {shown(rows)}, not a list")
    for row in rows:
        name = require(row, "name", str, f"a quantity of inventory level {level_id}")
        if name in quantities:
            raise malformed(f"inventory level {level_id} has quantity {name} twice")
        quantities[name] = require(row, "quantity", int, f"quantity {name} of {level_id}")
    return level_id, item_id, active, quantities


class LiveBuilder:
    """Collects locations, items and levels from pages, then builds one ``LiveState``."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}
        self.items: dict[str, Item] = {}
        self.levels: dict[tuple[str, str], LiveLevel] = {}
        #: The shop's ``(myshopifyDomain, name)``, when a page carried ``shop``.
        self.shop: tuple[str, str | None] | None = None

    def add_shop(self, data: Mapping[str, Any]) -> None:
        """Keep the ``shop { myshopifyDomain name }`` a page carried (the first one wins)."""
        shop = data.get("shop")
        if self.shop is None and isinstance(shop, dict) \
                and isinstance(shop.get("myshopifyDomain"), str):
            name = shop.get("name")
            self.shop = (shop["myshopifyDomain"], name if isinstance(name, str) and name else None)

    def add_location(self, node: Mapping[str, Any]) -> Location:
        location = self.locations[node["id"]] = parse_location(node)
        return location

    def add_item(self, node: Mapping[str, Any]) -> Item:
        item = self.items[node["id"]] = parse_item(node)
        return item

    def add_level(self, location_id: str, node: Mapping[str, Any]) -> LiveLevel:
        """Add a level and its item (unmanaged items are part of the live state too)."""
        level = parse_level(location_id, node)
        self.levels[level.key] = level
        if level.item_id not in self.items:
            self.add_item(node["item"])  # parse_level checked it is there
        return level

    def build(self) -> LiveState:
        live = LiveState.build(
            sorted(self.locations.values(), key=lambda loc: loc.id),
            sorted(self.items.values(), key=lambda item: item.id),
            [self.levels[key] for key in sorted(self.levels)],
        )
        return live if self.shop is None else dataclasses.replace(live, shop=self.shop)


def live_from_pages(
    locations: Iterable[Mapping[str, Any]],
    items: Iterable[Mapping[str, Any]],
    levels: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
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
