"""Domain values: what the manifests desire and what the live store holds.

Everything here is a frozen value. Nothing downstream of the manifest loader sees YAML or raw
dicts from the API: the loader builds a ``DesiredState`` and the reader builds a ``LiveState``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from syncer.errors import Source

#: Quantity names a manifest may manage and ``inventoryAdjustQuantities`` accepts.
ADJUSTABLE = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
#: Quantity names the store reports but that cannot be adjusted (``on_hand`` is derived).
DERIVED = ("committed", "on_hand")
#: Every quantity name syncer reads.
QUANTITY_NAMES = ADJUSTABLE + DERIVED
#: Quantities whose change also moves ``on_hand`` by the same delta.
MOVES_ON_HAND = ("available", "damaged", "quality_control", "reserved", "safety_stock")

LOCATION_GID = "gid://shopify/Location/"
ITEM_GID = "gid://shopify/InventoryItem/"
DISCOUNT_GID = "gid://shopify/DiscountCodeNode/"

_EMPTY: Mapping[str, int] = MappingProxyType({})


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, the form names are compared in: a location or SKU that looks the
    same matches however it was typed (``Köln`` as one code point or as o + combining diaeresis).

    >>> nfc("Store Ko\u0308ln") == "Store K\u00f6ln"
    True
    """
    return unicodedata.normalize("NFC", text)


def items_by_nfc_sku(items_by_sku: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Item ids by SKU in NFC: the items a SKU names however it was typed, so that two items
    whose SKUs differ only in how an accent is encoded count as sharing one SKU."""
    by_nfc: dict[str, list[str]] = {}
    for sku, ids in items_by_sku.items():
        by_nfc.setdefault(nfc(sku), []).extend(ids)
    return by_nfc


def frozen_map(values: Mapping[str, int] | None = None) -> Mapping[str, int]:
    """A read-only copy of ``values`` with keys in sorted order.

    >>> dict(frozen_map({"damaged": 2, "available": 40}))
    {'available': 40, 'damaged': 2}
    """
    if not values:
        return _EMPTY
    return MappingProxyType(dict(sorted(values.items())))


@dataclass(frozen=True, slots=True)
class Policy:
    """How levels the manifests do not name are treated, and how much drift is tolerated."""

    unmanaged: str = "ignore"  # "ignore" | "deactivate"
    tolerance: Mapping[str, int] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """Limits past which a plan is unsafe and ``apply`` needs ``--force``."""

    max_changed_percent: float = 30.0
    min_levels_for_percent: int = 10
    max_units_removed: int | None = None
    allow_deactivate_with_stock: bool = False
    #: Limits that catch a typo (issue 24): units added in total; units on any one level and
    #: quantity (either direction); and a jump of this percent of the level's live value or
    #: more (900: ten times), from ``level_change_floor`` units on (so that 0 -> 5 or 3 -> 40
    #: is never a typo; a level at 0 has no percent: ``max_level_change`` is the limit there).
    max_units_added: int | None = None
    max_level_change: int | None = None
    max_level_change_percent: float | None = 900.0
    level_change_floor: int = 100
    #: Selectors (``sku=GLOB``, ``location=NAME``): any change to a level matching one of them
    #: is unsafe, for the items a pull request must never touch.
    protected: tuple[str, ...] = ()
    #: Most value at cost a plan may move (added plus removed) per currency, as ``(currency,
    #: amount)`` pairs; a currency not listed has no limit.
    max_value_changed: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class DesiredLevel:
    """One level as a manifest declares it.

    ``location`` is a location name or ``gid://shopify/Location/N``; ``item`` a SKU or
    ``gid://shopify/InventoryItem/N``, exactly as written. ``quantities`` holds only the managed
    quantities (omitted names are not managed). ``source`` points at the item's key in the file.
    """

    location: str
    item: str
    active: bool
    quantities: Mapping[str, int]
    source: Source

    @property
    def key(self) -> tuple[str, str]:
        return (self.location, self.item)


@dataclass(frozen=True, slots=True)
class DesiredDiscount:
    """One code discount as a ``kind: DiscountCodes`` manifest declares it.

    ``ref`` is the code or ``gid://shopify/DiscountCodeNode/N``, exactly as written; ``source``
    points at its key in the file.
    """

    ref: str
    active: bool
    source: Source

    @property
    def key(self) -> str:
        """What makes two declarations the same discount: Shopify matches codes ignoring case."""
        return self.ref if self.ref.startswith(DISCOUNT_GID) else self.ref.casefold()


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Every level the manifests declare, sorted by (location, item), with policy and limits."""

    levels: tuple[DesiredLevel, ...]
    policy: Policy = field(default_factory=Policy)
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    #: Where each location key was declared (first place), for errors that name a location.
    location_sources: Mapping[str, Source] = field(default_factory=lambda: MappingProxyType({}))
    #: The manifest files read, in order, and the sha256 digest of their bytes.
    files: tuple[str, ...] = ()
    digest: str = ""
    #: Every code discount the ``kind: DiscountCodes`` manifests declare, sorted by ``ref``.
    discounts: tuple[DesiredDiscount, ...] = ()

    @property
    def locations(self) -> tuple[str, ...]:
        """Location keys in sorted order, each once."""
        return tuple(sorted({level.location for level in self.levels}))


@dataclass(frozen=True, slots=True)
class Location:
    """A store location."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency (Shopify's ``MoneyV2``): ``Decimal``, never a float."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Item:
    """An inventory item; ``sku`` may be empty in Shopify. ``unit_cost`` is the item's
    ``unitCost`` (None: the store has no cost for it)."""

    id: str
    sku: str | None
    unit_cost: Money | None = None


@dataclass(frozen=True, slots=True)
class LiveLevel:
    """One inventory level as the store reports it (active or not)."""

    id: str
    location_id: str
    item_id: str
    active: bool
    quantities: Mapping[str, int]
    can_deactivate: bool = True
    deactivation_alert: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.location_id, self.item_id)


@dataclass(frozen=True, slots=True)
class LiveDiscount:
    """One code discount as the store reports it; ``status`` is Shopify's, from the schedule:
    ``ACTIVE``, ``SCHEDULED`` (before ``starts_at``) or ``EXPIRED`` (from ``ends_at`` on)."""

    id: str
    title: str
    status: str
    starts_at: str
    ends_at: str | None = None


@dataclass(frozen=True, slots=True)
class LiveState:
    """What the store holds for the locations and items the manifests name.

    ``levels`` maps ``(location_id, item_id)`` to the level. ``items_by_sku`` lists every item that
    carries a SKU, so a SKU matching two items can be reported. Inactive levels are included.
    """

    locations: Mapping[str, Location]
    items: Mapping[str, Item]
    levels: Mapping[tuple[str, str], LiveLevel]
    items_by_sku: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: The code discounts the manifests name, by ``DesiredDiscount.key``; unknown ones are absent.
    discounts: Mapping[str, LiveDiscount] = field(default_factory=lambda: MappingProxyType({}))
    #: The shop's ``(myshopifyDomain, name)``, read with the locations (None: not read).
    shop: tuple[str, str | None] | None = None

    @classmethod
    def build(
        cls,
        locations: list[Location],
        items: list[Item],
        levels: list[LiveLevel],
    ) -> LiveState:
        """A ``LiveState`` from plain lists, building the lookup tables."""
        by_sku: dict[str, list[str]] = {}
        for item in items:
            if item.sku:
                by_sku.setdefault(item.sku, []).append(item.id)
        return cls(
            locations=MappingProxyType({loc.id: loc for loc in locations}),
            items=MappingProxyType({item.id: item for item in items}),
            levels=MappingProxyType({level.key: level for level in levels}),
            items_by_sku=MappingProxyType({k: tuple(sorted(v)) for k, v in by_sku.items()}),
        )
