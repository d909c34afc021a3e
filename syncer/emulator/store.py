"""The emulator's in-memory shop: one ``Store`` with its records, settings and indexes.

``Store`` declares everything the shop holds, in one place: its locations, items, levels and
discounts (``records.py``), its settings from the state file, and what tests read (``sales``,
``journal``); it finds levels by gid, item or location through indexes, and simulates sales.
The mutations are functions over a ``Store``: activation (``activation.py``), quantity changes
(``quantities.py``), discounts (``discounts.py``) and metafields (``metafields.py``).

Mutations return *payload sources*: plain JSON-able dicts that the GraphQL layer renders
(levels and items are referenced by id). The idempotency cache stores these, so a replayed
key renders the first result again with whatever selection the replay asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from syncer.emulator.records import Discount, Item, Level, Location, gid_number

#: How a repeated idempotency key is answered (the state file's ``key_replay``; mutations.py).
KEY_REPLAY_MODES = ("cached", "reevaluate", "ignored")
#: Whether the emulator makes its clients wait (the state file's ``timing``; handler.py).
TIMINGS = ("instant", "shopify")
#: Restore rates (points per second) of the GraphQL Admin API by plan (``throttle.plan``).
PLAN_RESTORE_RATES = {"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}
_LEVEL_GID = re.compile(r"^gid://shopify/InventoryLevel/(\d+)(?:\?inventory_item_id=(\d+))?$")


@dataclass(slots=True)
class Store:
    """The whole emulated shop (slots: an attribute exists only if declared here)."""

    shop: str
    access_token: str | None = None
    throttle: dict = field(default_factory=lambda: {"maximumAvailable": 2000, "restoreRate": 100})
    locations: dict[str, Location] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[tuple[str, str], Level] = field(default_factory=dict)
    discounts: dict[str, Discount] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict] = field(default_factory=dict)
    # The shop's metafields by (namespace, key) (``metafields.py``): syncer's apply journal.
    metafields: dict[tuple[str, str], dict] = field(default_factory=dict)
    # The apps installed on the shop (``oauth.py``): client id, secret, scopes, token lifetime.
    apps: list[dict] = field(default_factory=list)
    adjustment_group_seq: int = 0
    # How a repeated idempotency key is answered: cached, reevaluate or ignored (mutations.py).
    key_replay: str = "cached"
    # The state file's ``faults`` section (a ``FaultConfig``), kept so a save writes it back.
    faults: object | None = None
    # The state file's ``timing`` (``TIMINGS``), or None: instant without a clock (handler.py).
    timing: str | None = None
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

    def indexed(self, level: Level) -> None:
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
