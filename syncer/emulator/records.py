"""The records an emulated shop holds, and the names and shapes every module shares.

Locations, inventory items, levels and code discounts are plain dataclasses (``store.py`` holds
them, ``state.py`` reads and writes them); a level's quantities are named as in 2026-04
(``STORED``, ``ADJUSTABLE``, ``READABLE``). Two wire shapes used throughout the emulator live here
too: Shopify gids (``gid_number``) and ``userErrors`` entries (``user_error``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STORED = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
          "safety_stock")
ADJUSTABLE = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
READABLE = (*STORED, "on_hand")
#: The one shop's gid (``Shop.id``, ``node``).
SHOP_ID = "gid://shopify/Shop/1"


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
    """An inventory item (one per variant), named by its SKU; ``unit_cost`` is its ``unitCost``
    as ``MoneyV2`` data (``{"amount": "12.50", "currencyCode": "EUR"}``), None when unset."""

    id: str
    sku: str | None
    unit_cost: dict | None = None


@dataclass(slots=True)
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

