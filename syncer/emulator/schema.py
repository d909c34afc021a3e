"""The emulator's graphql-core schema: the SDL subset in ``schema.graphql`` plus resolvers.

Resolvers read the ``Store`` held by the execution context (``Context``); mutation resolvers
live in ``mutations.py``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from graphql import GraphQLError, GraphQLSchema, build_schema

from syncer.emulator.records import READABLE, Discount, Item, Level, Location, gid_number
from syncer.emulator.store import Store
from syncer.emulator.versions import OLDEST, Version, sdl, version


@dataclass
class Context:
    """What one request's resolvers see."""

    store: Store
    now_iso: str
    dirty: bool = False
    request: int | None = None  # the emulator's request number, for the mutation journal
    version: Version = version(OLDEST)  # the API version answering this request
    key_replay: str = "cached"  # how a repeated idempotency key is answered (mutations.py)
    bulk: object | None = None  # the emulator's bulk operations (``bulk.Bulk``)
    scopes: frozenset[str] | None = None  # the token's access scopes (None: every scope)


@cache
def build_emulator_schema(api_version: str = OLDEST) -> GraphQLSchema:
    """The executable schema of ``api_version`` (built once each; resolvers are stateless)."""
    from syncer.emulator.bulk import RESOLVERS as BULK
    from syncer.emulator.discounts import RESOLVERS as DISCOUNTS
    from syncer.emulator.metafields import RESOLVERS as METAFIELDS
    from syncer.emulator.mutations import MUTATIONS
    from syncer.emulator.oauth import RESOLVERS as OAUTH

    base = resources.files("syncer.emulator").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl(base, api_version))
    resolvers = {**RESOLVERS, **DISCOUNTS, **MUTATIONS, **BULK, **METAFIELDS, **OAUTH}
    for (type_name, field_name), resolver in resolvers.items():
        schema.type_map[type_name].fields[field_name].resolve = resolver
    schema.type_map["Node"].resolve_type = _node_type
    schema.type_map["DiscountCode"].resolve_type = lambda obj, *_: "DiscountCodeBasic"
    return schema


def _node_type(obj, *_):
    names = {Location: "Location", Item: "InventoryItem", Level: "InventoryLevel",
             Store: "Shop", Discount: "DiscountCodeNode"}
    return names[type(obj)]


def _store(info) -> Store:
    return info.context.store


# -- connections -------------------------------------------------------------------------


def _cursor(number: int) -> str:
    return base64.b64encode(json.dumps({"last_id": number}).encode()).decode()


def _after_id(cursor: str | None, argument: str) -> int | None:
    if cursor is None:
        return None
    try:
        return int(json.loads(base64.b64decode(cursor, validate=True))["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for '{argument}' argument.") from None


def connection(rows: list, number, args: dict) -> dict:
    """A Relay connection over ``rows`` (already in id order); ``number`` gives a row's id."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if (first is not None and first < 0) or (last is not None and last < 0):
        raise GraphQLError("first and last must be zero or more")
    rows = list(reversed(rows)) if args.get("reverse") else list(rows)
    keys = [number(row) for row in rows]
    start, end = 0, len(rows)
    after, before = _after_id(args.get("after"), "after"), _after_id(args.get("before"), "before")
    if after is not None:
        start = next((i + 1 for i, k in enumerate(keys) if k == after), end)
    if before is not None:
        end = next((i for i, k in enumerate(keys) if k == before), end)
    window = list(range(start, max(start, end)))
    has_next = has_previous = False
    if first is not None:
        has_next = len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = len(window) > last
        window = window[len(window) - last:] if last else []
    edges = [{"cursor": _cursor(keys[i]), "node": rows[i]} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next or (last is not None and end < len(rows) and bool(window)),
            "hasPreviousPage": has_previous or (first is not None and start > 0 and bool(window)),
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# -- search syntax -----------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(\w+):("(?:[^"\\]|\\.)*"|[^\s"]+)|(OR|AND)(?=\s|$)|(\S+))', re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)


def search(rows: list, query: str | None, fields: dict) -> list:
    """Filter ``rows`` by Shopify search syntax: ``field:value`` terms joined by ``OR``.

    Space-separated terms inside an OR branch must all match. Unknown fields match nothing.
    A quoted value may hold spaces, ``OR`` and backslash escapes (``\\"``, ``\\\\``).
    """
    if not query or not query.strip():
        return rows
    parsed: list = [[]]
    for name, value, word, other in _TOKEN.findall(query):
        if word == "OR":
            parsed.append([])
        elif other or parsed[-1] is None:
            parsed[-1] = None  # a term that is not field:value matches nothing
        elif name:
            if value.startswith('"') and value.endswith('"') and len(value) > 1:
                value = _ESCAPED.sub(r"\1", value[1:-1])
            parsed[-1].append((name, value))

    def matches(row, terms):
        return bool(terms) and all(
            name in fields and fields[name](row, value) for name, value in terms)

    return [row for row in rows if any(matches(row, terms) for terms in parsed)]


def _id_matches(kind: str):
    def match(row, value):
        number = gid_number(row.id, kind)
        return value.isdigit() and number == int(value) or row.id == value
    return match


ITEM_FIELDS = {"sku": lambda item, v: item.sku == v, "id": _id_matches("InventoryItem")}
LOCATION_FIELDS = {"name": lambda loc, v: loc.name.lower() == v.lower(),
                   "id": _id_matches("Location")}


# -- read resolvers ----------------------------------------------------------------------


def _by_number(kind: str):
    return lambda row: gid_number(row.id, kind)


def _levels(item=None, location=None):
    def resolve(source, info, includeInactive=False, **args):
        levels = _store(info).levels_of(
            item=source.id if item else None, location=source.id if location else None,
            include_inactive=includeInactive)
        return connection(levels, lambda lv: lv.id, args)
    return resolve


def _one_level(argument: str, item_side: bool):
    def resolve(source, info, includeInactive=False, **args):
        other = args[argument]
        key = (source.id, other) if item_side else (other, source.id)
        level = _store(info).levels.get(key)
        return level if level and (level.active or includeInactive) else None
    return resolve


def _quantities(level: Level, info, names: list[str]):
    unknown = [n for n in names if n not in READABLE]
    if unknown:
        raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}. "
                           f"Valid names are: {', '.join(READABLE)}.")
    return [{"name": n, "quantity": level.quantity(n)} for n in names]


def _node(store: Store, gid: str):
    if gid.startswith("gid://shopify/InventoryLevel/"):
        return store.level_by_gid(gid)
    return store.locations.get(gid) or store.items.get(gid) or store.discounts.get(gid) or (
        store if gid == SHOP_ID else None)


def level_by_id(store: Store, number: int | None) -> Level | None:
    """The level with this numeric id."""
    return store.level_by_number(number)


def _filtered_changes(group, info, inventoryItemIds=None, locationIds=None, quantityNames=None):
    return [row for row in group["changes"]
            if (inventoryItemIds is None or row["item"] in inventoryItemIds)
            and (locationIds is None or row["location"] in locationIds)
            and (quantityNames is None or row["name"] in quantityNames)]


SHOP_ID = "gid://shopify/Shop/1"

RESOLVERS = {
    ("QueryRoot", "shop"): lambda _, info: _store(info),
    ("QueryRoot", "location"): lambda _, info, id=None: (
        _store(info).locations.get(id) if id is not None
        else next(iter(_store(info).locations.values()), None)),
    ("QueryRoot", "locations"): lambda _, info, query=None, includeInactive=False, **args:
        connection(search(sorted(_store(info).locations.values(), key=_by_number("Location")),
                          query, LOCATION_FIELDS), _by_number("Location"), args),
    ("QueryRoot", "inventoryItem"): lambda _, info, id: _store(info).items.get(id),
    ("QueryRoot", "inventoryItems"): lambda _, info, query=None, **args:
        connection(search(sorted(_store(info).items.values(), key=_by_number("InventoryItem")),
                          query, ITEM_FIELDS), _by_number("InventoryItem"), args),
    ("QueryRoot", "inventoryLevel"): lambda _, info, id: _store(info).level_by_gid(id),
    ("QueryRoot", "node"): lambda _, info, id: _node(_store(info), id),
    ("QueryRoot", "nodes"): lambda _, info, ids: [_node(_store(info), i) for i in ids],
    ("Shop", "id"): lambda store, info: SHOP_ID,
    ("Shop", "name"): lambda store, info: store.shop.split(".")[0],
    ("Shop", "myshopifyDomain"): lambda store, info: store.shop,
    ("Location", "legacyResourceId"): lambda loc, info: str(gid_number(loc.id, "Location")),
    ("Location", "isActive"): lambda loc, info: True,
    ("Location", "inventoryLevel"): _one_level("inventoryItemId", item_side=False),
    ("Location", "inventoryLevels"): _levels(location=True),
    ("InventoryItem", "legacyResourceId"): lambda it, info: str(gid_number(it.id, "InventoryItem")),
    ("InventoryItem", "tracked"): lambda it, info: True,
    ("InventoryItem", "inventoryLevel"): _one_level("locationId", item_side=True),
    ("InventoryItem", "inventoryLevels"): _levels(item=True),
    ("InventoryLevel", "id"): lambda lv, info: lv.gid,
    ("InventoryLevel", "isActive"): lambda lv, info: lv.active,
    ("InventoryLevel", "canDeactivate"): lambda lv, info: _store(info).can_deactivate(lv),
    ("InventoryLevel", "deactivationAlert"): lambda lv, info: _store(info).deactivation_alert(lv),
    ("InventoryLevel", "item"): lambda lv, info: _store(info).items[lv.item],
    ("InventoryLevel", "location"): lambda lv, info: _store(info).locations[lv.location],
    ("InventoryLevel", "quantities"): _quantities,
    ("InventoryAdjustmentGroup", "changes"): _filtered_changes,
    ("InventoryChange", "item"): lambda row, info: _store(info).items.get(row["item"]),
    ("InventoryChange", "location"): lambda row, info: _store(info).locations.get(row["location"]),
    ("InventoryActivatePayload", "inventoryLevel"): lambda p, info:
        level_by_id(_store(info), p["inventoryLevel"]),
    ("InventoryBulkToggleActivationPayload", "inventoryItem"): lambda p, info:
        _store(info).items.get(p["inventoryItem"]) if p["inventoryItem"] else None,
    ("InventoryBulkToggleActivationPayload", "inventoryLevels"): lambda p, info:
        None if p["inventoryLevels"] is None
        else [level_by_id(_store(info), n) for n in p["inventoryLevels"]],
}
