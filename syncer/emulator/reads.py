"""Resolvers of the inventory reads: the shop, locations, inventory items and levels, ``node``.

They read the ``Store`` held by the request's ``Context`` (``context.py``); lists are Relay
connections (``connections.py``).
"""

from __future__ import annotations

from graphql import GraphQLError

from syncer.emulator.activation import can_deactivate, deactivation_alert
from syncer.emulator.connections import Exact, connection, search
from syncer.emulator.records import READABLE, SHOP_ID, Level, gid_number
from syncer.emulator.store import Store


def _store(info) -> Store:
    return info.context.store


def _id_matches(kind: str):
    def match(row, value):
        number = gid_number(row.id, kind)
        return value.isdigit() and number == int(value) or row.id == value
    return match


ITEM_FIELDS = {"sku": Exact(lambda item: item.sku), "id": _id_matches("InventoryItem")}
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


def _count(count: int, limit: int | None) -> dict:
    """A ``Count``: exact up to ``limit``, else ``limit`` at least (Shopify's ``*Count`` fields)."""
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


RESOLVERS = {
    ("QueryRoot", "shop"): lambda _, info: _store(info),
    ("QueryRoot", "location"): lambda _, info, id=None: (
        _store(info).locations.get(id) if id is not None
        else next(iter(_store(info).locations.values()), None)),
    ("QueryRoot", "locations"): lambda _, info, query=None, includeInactive=False, **args:
        connection(search(sorted(_store(info).locations.values(), key=_by_number("Location")),
                          query, LOCATION_FIELDS), _by_number("Location"), args),
    ("QueryRoot", "locationsCount"): lambda _, info, query=None, limit=10000:
        _count(len(search(list(_store(info).locations.values()), query, LOCATION_FIELDS)),
               limit),
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
    ("InventoryItem", "unitCost"): lambda it, info: it.unit_cost,
    ("InventoryItem", "inventoryLevel"): _one_level("locationId", item_side=True),
    ("InventoryItem", "inventoryLevels"): _levels(item=True),
    ("InventoryLevel", "id"): lambda lv, info: lv.gid,
    ("InventoryLevel", "isActive"): lambda lv, info: lv.active,
    ("InventoryLevel", "canDeactivate"): lambda lv, info: can_deactivate(_store(info), lv),
    ("InventoryLevel", "deactivationAlert"): lambda lv, info: deactivation_alert(_store(info), lv),
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
