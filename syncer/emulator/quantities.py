"""Changing quantities: ``inventoryAdjustQuantities`` (deltas) and ``inventorySetQuantities``
(absolute values), each with compare-and-set and all-or-nothing.

Functions over a ``Store`` (``store.py``) and its levels. Every change is
checked first (the reason, the reference and ledger documents, the quantity name,
``changeFromQuantity`` against the persisted quantity, the 2,000,000,000 limit); one user error
refuses the whole mutation, otherwise every change is applied and recorded in one adjustment group.
From 2026-10 a change may name a location the item is not stocked at, which stocks it there when
the change commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from syncer.emulator.records import ADJUSTABLE, STORED, Level, user_error
from syncer.emulator.store import Store

QUANTITY_LIMIT = 2_000_000_000
REASONS = {
    "correction": "Inventory correction",
    "cycle_count_available": "Cycle count",
    "damaged": "Damaged",
    "movement_canceled": "Movement canceled",
    "movement_created": "Movement created",
    "movement_received": "Movement received",
    "movement_updated": "Movement updated",
    "other": "Other",
    "promotion": "Promotion or donation",
    "quality_control": "Quality control",
    "received": "Received",
    "reservation_created": "Reservation created",
    "reservation_deleted": "Reservation deleted",
    "reservation_updated": "Reservation updated",
    "restock": "Restock",
    "safety_stock": "Safety stock",
    "shrinkage": "Shrinkage",
}
INVALID_NAME_MESSAGE = (
    "The specified quantity name is invalid. Valid values are: " + ", ".join(ADJUSTABLE) + "."
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _locate(store: Store, change: dict, path: list, codes: dict,
            new: dict | None = None) -> tuple[Level | None, dict | None]:
    """The level a change names, or a user error. With ``new`` (2026-10: quantities can be
    changed at any location), a missing level is made (active, all quantities 0) and kept in
    ``new`` until the mutation commits (``_stock``)."""
    item, location = change["inventoryItemId"], change["locationId"]
    if item not in store.items:
        return None, user_error("The specified inventory item could not be found.",
                                [*path, "inventoryItemId"], codes["item"])
    if location not in store.locations:
        return None, user_error("The specified location could not be found.",
                                [*path, "locationId"], codes["location"])
    level = store.levels.get((item, location))
    if level is None and new is not None:
        if (item, location) not in new:
            new[(item, location)] = Level(store.next_level_id() + len(new), item, location,
                                          True, {n: 0 for n in STORED})
        return new[(item, location)], None
    if level is None:
        return None, user_error("The inventory item is not stocked at the location.",
                                [*path, "locationId"], "ITEM_NOT_STOCKED_AT_LOCATION")
    return level, None


def _check_header(data: dict, code_reason: str) -> list[dict]:
    errors = []
    if data["reason"] not in REASONS:
        errors.append(user_error("The specified reason is invalid.", ["input", "reason"],
                                 code_reason))
    uri = data.get("referenceDocumentUri")
    if uri is not None and not _URI.match(uri):
        errors.append(user_error("The specified reference document is invalid.",
                                 ["input", "referenceDocumentUri"],
                                 "INVALID_REFERENCE_DOCUMENT"))
    return errors


def _stock(store: Store, new: dict | None) -> None:
    """Add the levels a committed 2026-10 change made (see ``_locate``)."""
    for key, level in (new or {}).items():
        store.levels[key] = level
        store.indexed(level)


def adjust(store: Store, data: dict, now_iso: str, any_location: bool = False) -> dict:
    """``inventoryAdjustQuantities``: deltas with CAS, all-or-nothing."""
    name = data["name"]
    errors = _check_header(data, "INVALID_REASON")
    if name not in ADJUSTABLE:
        errors.append(user_error(INVALID_NAME_MESSAGE, ["input", "name"],
                                 "INVALID_QUANTITY_NAME"))
    ledgers = {c.get("ledgerDocumentUri") for c in data["changes"]}
    running: dict[int, int] = {}
    planned = []
    codes = {"item": "INVALID_INVENTORY_ITEM", "location": "INVALID_LOCATION"}
    new: dict | None = {} if any_location else None
    for i, change in enumerate(data["changes"] if not errors else []):
        path = ["input", "changes", i]
        level, error = _locate(store, change, path, codes, new)
        ledger = change.get("ledgerDocumentUri")
        if error is None:
            error = _ledger_error(name, ledger, len(ledgers), path)
        if error is None:
            current = running.get(level.id, level.quantity(name))
            expected = change["changeFromQuantity"]
            after = current + change["delta"]
            if expected is not None and expected != current:
                error = user_error(
                    "The changeFromQuantity argument no longer matches the persisted "
                    "quantity.", [*path, "changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE")
            elif not -QUANTITY_LIMIT <= after <= QUANTITY_LIMIT:
                code = "TOO_HIGH" if after > 0 else "TOO_LOW"
                error = user_error(f"The quantity can't be {'higher' if after > 0 else 'lower'}"
                                   f" than {'' if after > 0 else '-'}2,000,000,000.",
                                   [*path, "delta"], f"INVALID_QUANTITY_{code}")
            running[level.id] = after
            planned.append((level, change["delta"], ledger))
        if error is not None:
            errors.append(error)

    def apply() -> list[dict]:
        rows = []
        for level, delta, ledger in planned:
            level.quantities[name] = level.quantity(name) + delta
            rows.append(_change_row(level, name, delta, ledger))
            if name != "incoming":
                rows.append(_change_row(level, "on_hand", delta, ledger))
        return rows

    return _commit(store, data, now_iso, errors, new, apply)


def set_quantities(store: Store, data: dict, now_iso: str, any_location: bool = False) -> dict:
    """``inventorySetQuantities``: absolute ``available`` or ``on_hand`` with CAS."""
    name = data["name"]
    errors = _check_header(data, "INVALID_REASON")
    if name not in ("available", "on_hand"):
        errors.append(user_error("The quantity name must be either available or on_hand.",
                                 ["input", "name"], "INVALID_NAME"))
    seen, planned = set(), []
    codes = {"item": "INVALID_INVENTORY_ITEM", "location": "INVALID_LOCATION"}
    new: dict | None = {} if any_location else None
    for i, entry in enumerate(data["quantities"] if not errors else []):
        path = ["input", "quantities", i]
        level, error = _locate(store, entry, path, codes, new)
        pair = (entry["inventoryItemId"], entry["locationId"])
        if error is None and pair in seen:
            error = user_error("The combination of inventoryItemId and locationId must be "
                               "unique.", path, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR")
        seen.add(pair)
        if error is None:
            current, expected = level.quantity(name), entry["changeFromQuantity"]
            if expected is not None and expected != current:
                error = user_error(
                    "The changeFromQuantity argument no longer matches the persisted "
                    "quantity.", [*path, "changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE")
            elif name == "on_hand" and entry["quantity"] < 0:
                error = user_error("The quantity can't be negative.", [*path, "quantity"],
                                   "INVALID_QUANTITY_NEGATIVE")
            elif abs(entry["quantity"]) > QUANTITY_LIMIT:
                error = user_error("The quantity can't be higher than 2,000,000,000.",
                                   [*path, "quantity"], "INVALID_QUANTITY_TOO_HIGH")
            planned.append((level, entry["quantity"] - current))
        if error is not None:
            errors.append(error)

    def apply() -> list[dict]:
        rows = []
        for level, delta in planned:
            level.quantities["available"] = level.quantity("available") + delta
            for row_name in (name, "on_hand" if name == "available" else "available"):
                rows.append(_change_row(level, row_name, delta, None))
        return rows

    return _commit(store, data, now_iso, errors, new, apply)


def _commit(store: Store, data: dict, now_iso: str, errors: list[dict], new: dict | None,
            apply: Callable[[], list[dict]]) -> dict:
    """The payload: every user error and nothing changed; or, without errors, the new
    levels stocked (``_stock``), the changes made (``apply`` returns their rows) and one
    adjustment group recorded."""
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    _stock(store, new)
    return {"inventoryAdjustmentGroup": _group(store, data, apply(), now_iso), "userErrors": []}


def _group(store: Store, data: dict, rows: list[dict], now_iso: str) -> dict:
    store.adjustment_group_seq += 1
    return {
        "id": f"gid://shopify/InventoryAdjustmentGroup/{store.adjustment_group_seq}",
        "createdAt": now_iso,
        "reason": REASONS[data["reason"]],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": rows,
    }


def _ledger_error(name: str, ledger: str | None, distinct: int, path: list) -> dict | None:
    if name == "available":
        if ledger is not None:
            return user_error("A ledger document URI is not allowed when adjusting available.",
                              [*path, "ledgerDocumentUri"], "INVALID_AVAILABLE_DOCUMENT")
        return None
    if ledger is None:
        return user_error("A ledger document URI is required except when adjusting available.",
                          [*path, "ledgerDocumentUri"], "INVALID_QUANTITY_DOCUMENT")
    if ledger.startswith("gid://shopify/"):
        return user_error("Internal (gid://shopify/) ledger documents are not allowed to be "
                          "adjusted via API.", [*path, "ledgerDocumentUri"],
                          "INTERNAL_LEDGER_DOCUMENT")
    if not _URI.match(ledger):
        return user_error("The specified ledger document is invalid.",
                          [*path, "ledgerDocumentUri"], "INVALID_LEDGER_DOCUMENT")
    if distinct > 1:
        return user_error("All changes must have the same ledger document URI or, in the case of "
                          "adjusting available, no ledger document URI.",
                          [*path, "ledgerDocumentUri"], "MAX_ONE_LEDGER_DOCUMENT")
    return None


def _change_row(level: Level, name: str, delta: int, ledger: str | None) -> dict:
    return {"name": name, "delta": delta, "item": level.item, "location": level.location,
            "quantityAfterChange": level.quantity(name), "ledgerDocumentUri": ledger}
