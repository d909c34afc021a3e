"""The emulator's in-memory shop: locations, inventory items, levels, and 2026-04 semantics.

Mutations return *payload sources*: plain JSON-able dicts that the GraphQL layer renders
(levels and items are referenced by id). The idempotency cache stores these, so a replayed
key renders the first result again with whatever selection the replay asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STORED = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
          "safety_stock")
ADJUSTABLE = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
READABLE = (*STORED, "on_hand")
QUANTITY_LIMIT = 2_000_000_000
#: How a repeated idempotency key is answered (the state file's ``key_replay``; mutations.py).
KEY_REPLAY_MODES = ("cached", "reevaluate", "ignored")
#: Restore rates (points per second) of the GraphQL Admin API by plan (``throttle.plan``).
PLAN_RESTORE_RATES = {"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}
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
_LEVEL_GID = re.compile(r"^gid://shopify/InventoryLevel/(\d+)(?:\?inventory_item_id=(\d+))?$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def gid_number(gid: object, kind: str) -> int | None:
    """The numeric tail of ``gid://shopify/<kind>/N``, or None.

    >>> gid_number("gid://shopify/Location/7", "Location")
    7
    """
    prefix = f"gid://shopify/{kind}/"
    if isinstance(gid, str) and gid.startswith(prefix) and gid[len(prefix):].isdigit():
        return int(gid[len(prefix):])
    return None


def user_error(message: str, field_path: list | None = None, code: str | None = None) -> dict:
    """One ``userErrors`` entry; field paths are strings on the wire."""
    path = None if field_path is None else [str(part) for part in field_path]
    return {"field": path, "message": message, "code": code}


@dataclass
class Location:
    """A place that stocks inventory."""

    id: str
    name: str


@dataclass
class Item:
    """An inventory item (one per variant), named by its SKU."""

    id: str
    sku: str | None


@dataclass
class Level:
    """An item's quantities at a location; inactive levels keep their quantities (2026-04)."""

    id: int
    item: str
    location: str
    active: bool
    quantities: dict[str, int] = field(default_factory=dict)

    def quantity(self, name: str) -> int:
        """A stored quantity, or ``on_hand`` derived from the others (all but ``incoming``)."""
        if name == "on_hand":
            return sum(self.quantities.get(n, 0) for n in STORED if n != "incoming")
        return self.quantities.get(name, 0)

    @property
    def gid(self) -> str:
        """``gid://shopify/InventoryLevel/N?inventory_item_id=M``, as Shopify spells it."""
        item_number = gid_number(self.item, "InventoryItem")
        return f"gid://shopify/InventoryLevel/{self.id}?inventory_item_id={item_number}"


@dataclass
class Discount:
    """A basic code discount with one code (``discounts.py`` activates and deactivates it)."""

    id: str
    title: str
    starts_at: str
    ends_at: str | None = None
    code: str | None = None

    def status(self, now_iso: str) -> str:
        """ACTIVE, EXPIRED or SCHEDULED at ``now_iso`` (ISO 8601 UTC strings sort as times)."""
        if self.starts_at > now_iso:
            return "SCHEDULED"
        if self.ends_at is not None and self.ends_at <= now_iso:
            return "EXPIRED"
        return "ACTIVE"


@dataclass
class Store:
    """The whole emulated shop."""

    shop: str
    access_token: str | None = None
    throttle: dict = field(default_factory=lambda: {"maximumAvailable": 2000, "restoreRate": 100})
    locations: dict[str, Location] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[tuple[str, str], Level] = field(default_factory=dict)
    discounts: dict[str, Discount] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict] = field(default_factory=dict)
    adjustment_group_seq: int = 0
    # How a repeated idempotency key is answered: cached, reevaluate or ignored (mutations.py).
    key_replay: str = "cached"
    # The state file's ``faults`` section (a ``FaultConfig``), kept so a save writes it back.
    faults: object | None = None
    # The state file's ``clock``: seconds since the epoch on a simulated clock, or None for
    # the real clock (``Emulator`` runs a ``VirtualClock`` from it and saves the time reached).
    clock: float | None = None
    # In memory only (not saved): what tests read to prove each change was applied once.
    sales: list[dict] = field(default_factory=list)
    journal: list[dict] = field(default_factory=list)
    # Indexes of ``levels`` by item, location and id, rebuilt after levels are added or removed
    # (``levels_changed``); without them every level lookup scans the whole shop.
    _index: tuple | None = field(default=None, repr=False, compare=False)

    def levels_changed(self) -> None:
        """Call after adding or removing entries of ``levels`` (not after editing a level)."""
        self._index = None

    def _indexed(self, level: Level) -> None:
        """Add a new level (with the highest id) to the indexes, if they are built."""
        if self._index is None or self._index[0] != len(self.levels) - 1:
            self._index = None
            return
        _count, by_item, by_location, by_id = self._index
        by_item.setdefault(level.item, []).append(level)
        by_location.setdefault(level.location, []).append(level)
        by_id[level.id] = level
        self._index = (len(self.levels), by_item, by_location, by_id)

    def _indexes(self) -> tuple[dict, dict, dict]:
        if self._index is None or self._index[0] != len(self.levels):
            by_item: dict[str, list[Level]] = {}
            by_location: dict[str, list[Level]] = {}
            by_id: dict[int, Level] = {}
            for level in sorted(self.levels.values(), key=lambda lv: lv.id):
                by_item.setdefault(level.item, []).append(level)
                by_location.setdefault(level.location, []).append(level)
                by_id[level.id] = level
            self._index = (len(self.levels), by_item, by_location, by_id)
        return self._index[1:]

    # -- reading -------------------------------------------------------------------------

    def level_by_gid(self, gid: object) -> Level | None:
        """The level named by a level gid (the ``inventory_item_id`` part must match if given)."""
        match = _LEVEL_GID.match(gid) if isinstance(gid, str) else None
        if not match:
            return None
        number, item_number = int(match.group(1)), match.group(2)
        level = self.level_by_number(number)
        if level is None:
            return None
        if item_number and gid_number(level.item, "InventoryItem") != int(item_number):
            return None
        return level

    def level_by_number(self, number: int | None) -> Level | None:
        """The level with this numeric id, or None."""
        return self._indexes()[2].get(number)

    def levels_of(self, *, item: str | None = None, location: str | None = None,
                  include_inactive: bool = False) -> list[Level]:
        """Levels of an item or at a location, ordered by level id."""
        by_item, by_location, by_id = self._indexes()
        if item is not None:
            pool = by_item.get(item, ())
        elif location is not None:
            pool = by_location.get(location, ())
        else:
            pool = by_id.values()
        found = [
            lv for lv in pool
            if (item is None or lv.item == item) and (location is None or lv.location == location)
            and (include_inactive or lv.active)
        ]
        return sorted(found, key=lambda lv: lv.id)

    def can_deactivate(self, level: Level) -> bool:
        """False only for an item's last active level: an item stays stocked somewhere."""
        if not level.active:
            return True
        return any(other.active and other is not level for other in self.levels_of(item=level.item))

    def deactivation_alert(self, level: Level) -> str | None:
        """Why deactivation is refused, or what stock it affects, or None."""
        if not self.can_deactivate(level):
            return self._only_location_message(level)
        held = [(n, level.quantity(n)) for n in ("committed", "incoming", "reserved")]
        held = [f"{q} {n}" for n, q in held if q]
        if level.active and held:
            where = self.locations[level.location].name
            return f"Deactivating inventory at {where} affects {', '.join(held)} units."
        return None

    def _only_location_message(self, level: Level) -> str:
        where = self.locations[level.location].name
        return (f"The product couldn't be unstocked from {where} because products need to be "
                "stocked at a minimum of 1 location.")

    def next_level_id(self) -> int:
        """One more than the highest level id in use."""
        by_id = self._indexes()[2]
        return next(reversed(by_id), 0) + 1  # by_id is in id order

    # -- simulated sales (fault injection's concurrent writer) ---------------------------

    def sell(self, level: Level, units: int, request: int) -> dict:
        """A sale of ``units``: ``available`` (and so the derived ``on_hand``) goes down.

        On Shopify an order moves units from ``available`` to ``committed`` and fulfilment
        takes them out of ``committed`` and ``on_hand``; the net effect is recorded here at once.
        The sale is appended to ``sales``.
        """
        level.quantities["available"] = level.quantity("available") - units
        sale = {"request": request, "level": level.gid, "item": level.item,
                "location": level.location, "units": units,
                "available_after": level.quantity("available"),
                "on_hand_after": level.quantity("on_hand")}
        self.sales.append(sale)
        return sale

    # -- activation ----------------------------------------------------------------------

    def activate(self, item_id: str, location_id: str, available: int | None,
                 on_hand: int | None) -> dict:
        """``inventoryActivate``: create, or reactivate with the same id and quantities.

        The two refusals of ``available`` with ``onHand`` and of ``onHand`` on an active level
        are worded as live 2026-04 answers them (the latter still returns the level).
        """
        errors = []
        if item_id not in self.items:
            errors.append(user_error("Inventory item does not exist", ["inventoryItemId"]))
        if location_id not in self.locations:
            errors.append(user_error("Location does not exist", ["locationId"]))
        if not errors and available is not None and on_hand is not None:
            where = self.locations[location_id].name
            message = (f"The product couldn't be stocked at {where} because not allowed to set "
                       "available and on_hand quantities at the same time.")
            errors += [user_error(message, ["available"]), user_error(message, ["onHand"])]
        if errors:
            return {"inventoryLevel": None, "userErrors": errors}
        level = self.levels.get((item_id, location_id))
        if on_hand is not None and level is not None and level.active:
            return {"inventoryLevel": level.id, "userErrors": [user_error(
                "Not allowed to set an on_hand quantity when the item is already active at the "
                "location.", ["onHand"])]}
        if level is None:
            level = Level(self.next_level_id(), item_id, location_id, False,
                          {n: 0 for n in STORED})
            self.levels[(item_id, location_id)] = level
            self._indexed(level)
        if not level.active:
            level.active = True
            if available is not None:
                level.quantities["available"] = available
            elif on_hand is not None:
                level.quantities["available"] += on_hand - level.quantity("on_hand")
        return {"inventoryLevel": level.id, "userErrors": []}

    def deactivate(self, level_gid: str) -> dict:
        """``inventoryDeactivate``: keeps the quantities; refuses the item's last active level."""
        level = self.level_by_gid(level_gid)
        if level is None:
            return {"userErrors": [user_error("The inventory level could not be found.",
                                              ["inventoryLevelId"])]}
        if not self.can_deactivate(level):
            return {"userErrors": [user_error(self._only_location_message(level))]}
        level.active = False
        return {"userErrors": []}

    def bulk_toggle(self, item_id: str, updates: list[dict]) -> dict:
        """``inventoryBulkToggleActivation``: all updates apply, or none."""
        def failed(message, path, code):
            return {"inventoryItem": None, "inventoryLevels": None,
                    "userErrors": [user_error(message, path, code)]}

        if item_id not in self.items:
            return failed("The inventory item could not be found.", ["inventoryItemId"],
                          "INVENTORY_ITEM_NOT_FOUND")
        for i, update in enumerate(updates):
            if update["locationId"] not in self.locations:
                return failed("The location could not be found.",
                              ["inventoryItemUpdates", i, "locationId"], "LOCATION_NOT_FOUND")
        # Only this item's levels change; remember them to undo a refused update.
        before = {(lv.item, lv.location): (lv.active, dict(lv.quantities))
                  for lv in self.levels_of(item=item_id, include_inactive=True)}
        touched: list[int] = []
        for update in updates:
            key = (item_id, update["locationId"])
            if update["activate"]:
                touched.append(self.activate(item_id, update["locationId"], None, None)
                               ["inventoryLevel"])
            elif key in self.levels and self.levels[key].active:
                level = self.levels[key]
                if not self.can_deactivate(level):
                    self._restore(item_id, before)
                    return failed(self._only_location_message(level), None,
                                  "CANNOT_DEACTIVATE_FROM_ONLY_LOCATION")
                level.active = False
        return {"inventoryItem": item_id, "inventoryLevels": touched, "userErrors": []}

    def _restore(self, item_id: str, before: dict) -> None:
        for level in self.levels_of(item=item_id, include_inactive=True):
            key = (level.item, level.location)
            if key not in before:
                del self.levels[key]
                self.levels_changed()
            else:
                level.active, level.quantities = before[key]

    # -- quantities ----------------------------------------------------------------------

    def _locate(self, change: dict, path: list, codes: dict,
                new: dict | None = None) -> tuple[Level | None, dict | None]:
        """The level a change names, or a user error. With ``new`` (2026-10: quantities can be
        changed at any location), a missing level is made (active, all quantities 0) and kept in
        ``new`` until the mutation commits (``_stock``)."""
        item, location = change["inventoryItemId"], change["locationId"]
        if item not in self.items:
            return None, user_error("The specified inventory item could not be found.",
                                    [*path, "inventoryItemId"], codes["item"])
        if location not in self.locations:
            return None, user_error("The specified location could not be found.",
                                    [*path, "locationId"], codes["location"])
        level = self.levels.get((item, location))
        if level is None and new is not None:
            if (item, location) not in new:
                new[(item, location)] = Level(self.next_level_id() + len(new), item, location,
                                              True, {n: 0 for n in STORED})
            return new[(item, location)], None
        if level is None:
            return None, user_error("The inventory item is not stocked at the location.",
                                    [*path, "locationId"], "ITEM_NOT_STOCKED_AT_LOCATION")
        return level, None

    def _check_header(self, data: dict, code_reason: str) -> list[dict]:
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

    def _stock(self, new: dict | None) -> None:
        """Add the levels a committed 2026-10 change made (see ``_locate``)."""
        for key, level in (new or {}).items():
            self.levels[key] = level
            self._indexed(level)

    def adjust(self, data: dict, now_iso: str, any_location: bool = False) -> dict:
        """``inventoryAdjustQuantities``: deltas with CAS, all-or-nothing."""
        name = data["name"]
        errors = self._check_header(data, "INVALID_REASON")
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
            level, error = self._locate(change, path, codes, new)
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
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        self._stock(new)
        rows = []
        for level, delta, ledger in planned:
            level.quantities[name] = level.quantity(name) + delta
            rows.append(_change_row(level, name, delta, ledger))
            if name != "incoming":
                rows.append(_change_row(level, "on_hand", delta, ledger))
        return {"inventoryAdjustmentGroup": self._group(data, rows, now_iso), "userErrors": []}

    def set_quantities(self, data: dict, now_iso: str, any_location: bool = False) -> dict:
        """``inventorySetQuantities``: absolute ``available`` or ``on_hand`` with CAS."""
        name = data["name"]
        errors = self._check_header(data, "INVALID_REASON")
        if name not in ("available", "on_hand"):
            errors.append(user_error("The quantity name must be either available or on_hand.",
                                     ["input", "name"], "INVALID_NAME"))
        seen, planned = set(), []
        codes = {"item": "INVALID_INVENTORY_ITEM", "location": "INVALID_LOCATION"}
        new: dict | None = {} if any_location else None
        for i, entry in enumerate(data["quantities"] if not errors else []):
            path = ["input", "quantities", i]
            level, error = self._locate(entry, path, codes, new)
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
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        self._stock(new)
        rows = []
        for level, delta in planned:
            level.quantities["available"] = level.quantity("available") + delta
            for row_name in (name, "on_hand" if name == "available" else "available"):
                rows.append(_change_row(level, row_name, delta, None))
        return {"inventoryAdjustmentGroup": self._group(data, rows, now_iso), "userErrors": []}

    def _group(self, data: dict, rows: list[dict], now_iso: str) -> dict:
        self.adjustment_group_seq += 1
        return {
            "id": f"gid://shopify/InventoryAdjustmentGroup/{self.adjustment_group_seq}",
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
