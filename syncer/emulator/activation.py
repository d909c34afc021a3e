"""Stocking an item at a location: ``inventoryActivate``, ``inventoryDeactivate`` and
``inventoryBulkToggleActivation``, with the rule that an item stays stocked somewhere.

Functions over a ``Store`` (``store.py``): its ``items``, ``locations`` and ``levels``, through the
store's level look-ups and indexes. A deactivated level keeps its id and quantities (2026-04), and
``inventoryActivate`` reactivates it. Like every mutation, these return payload sources (levels
and items referenced by id; see ``store.py``).
"""

from __future__ import annotations

from syncer.emulator.records import STORED, Level, user_error
from syncer.emulator.store import Store


def can_deactivate(store: Store, level: Level) -> bool:
    """False only for an item's last active level: an item stays stocked somewhere."""
    if not level.active:
        return True
    return any(other.active and other is not level for other in store.levels_of(item=level.item))


def deactivation_alert(store: Store, level: Level, can: bool | None = None) -> str | None:
    """Why deactivation is refused, or what stock it affects, or None (``can``: what
    ``can_deactivate`` says, when the caller knows it already)."""
    if not (can_deactivate(store, level) if can is None else can):
        return _only_location_message(store, level)
    held = [(n, level.quantity(n)) for n in ("committed", "incoming", "reserved")]
    held = [f"{q} {n}" for n, q in held if q]
    if level.active and held:
        where = store.locations[level.location].name
        return f"Deactivating inventory at {where} affects {', '.join(held)} units."
    return None


def _only_location_message(store: Store, level: Level) -> str:
    where = store.locations[level.location].name
    return (f"The product couldn't be unstocked from {where} because products need to be "
            "stocked at a minimum of 1 location.")

# -- mutations -----------------------------------------------------------------------


def activate(store: Store, item_id: str, location_id: str, available: int | None,
             on_hand: int | None) -> dict:
    """``inventoryActivate``: create, or reactivate with the same id and quantities.

    The two refusals of ``available`` with ``onHand`` and of ``onHand`` on an active level
    are worded as live 2026-04 answers them (the latter still returns the level).
    """
    errors = []
    if item_id not in store.items:
        errors.append(user_error("Inventory item does not exist", ["inventoryItemId"]))
    if location_id not in store.locations:
        errors.append(user_error("Location does not exist", ["locationId"]))
    if not errors and available is not None and on_hand is not None:
        where = store.locations[location_id].name
        message = (f"The product couldn't be stocked at {where} because not allowed to set "
                   "available and on_hand quantities at the same time.")
        errors += [user_error(message, ["available"]), user_error(message, ["onHand"])]
    if errors:
        return {"inventoryLevel": None, "userErrors": errors}
    level = store.levels.get((item_id, location_id))
    if on_hand is not None and level is not None and level.active:
        return {"inventoryLevel": level.id, "userErrors": [user_error(
            "Not allowed to set an on_hand quantity when the item is already active at the "
            "location.", ["onHand"])]}
    if level is None:
        level = Level(store.next_level_id(), item_id, location_id, False,
                      {n: 0 for n in STORED})
        store.levels[(item_id, location_id)] = level
        store.indexed(level)
    if not level.active:
        level.active = True
        if available is not None:
            level.quantities["available"] = available
        elif on_hand is not None:
            level.quantities["available"] += on_hand - level.quantity("on_hand")
    return {"inventoryLevel": level.id, "userErrors": []}


def deactivate(store: Store, level_gid: str) -> dict:
    """``inventoryDeactivate``: keeps the quantities; refuses the item's last active level."""
    level = store.level_by_gid(level_gid)
    if level is None:
        return {"userErrors": [user_error("The inventory level could not be found.",
                                          ["inventoryLevelId"])]}
    if not can_deactivate(store, level):
        return {"userErrors": [user_error(_only_location_message(store, level))]}
    level.active = False
    return {"userErrors": []}


def bulk_toggle(store: Store, item_id: str, updates: list[dict]) -> dict:
    """``inventoryBulkToggleActivation``: all updates apply, or none."""
    def failed(message, path, code):
        return {"inventoryItem": None, "inventoryLevels": None,
                "userErrors": [user_error(message, path, code)]}

    if item_id not in store.items:
        return failed("The inventory item could not be found.", ["inventoryItemId"],
                      "INVENTORY_ITEM_NOT_FOUND")
    for i, update in enumerate(updates):
        if update["locationId"] not in store.locations:
            return failed("The location could not be found.",
                          ["inventoryItemUpdates", i, "locationId"], "LOCATION_NOT_FOUND")
    # Only this item's levels change; remember them to undo a refused update.
    before = {(lv.item, lv.location): (lv.active, dict(lv.quantities))
              for lv in store.levels_of(item=item_id, include_inactive=True)}
    touched: list[int] = []
    for update in updates:
        key = (item_id, update["locationId"])
        if update["activate"]:
            touched.append(activate(store, item_id, update["locationId"], None, None)
                           ["inventoryLevel"])
        elif key in store.levels and store.levels[key].active:
            level = store.levels[key]
            if not can_deactivate(store, level):
                _restore(store, item_id, before)
                return failed(_only_location_message(store, level), None,
                              "CANNOT_DEACTIVATE_FROM_ONLY_LOCATION")
            level.active = False
    return {"inventoryItem": item_id, "inventoryLevels": touched, "userErrors": []}


def _restore(store: Store, item_id: str, before: dict) -> None:
    for level in store.levels_of(item=item_id, include_inactive=True):
        key = (level.item, level.location)
        if key not in before:
            del store.levels[key]
            store.levels_changed()
        else:
            level.active, level.quantities = before[key]
