"""What a change of stock is worth: units added and removed and their value at cost.

Each item's cost is its ``unitCost`` (Shopify's ``MoneyV2``: a decimal amount and a currency).
Units are counted as the plan summary counts them (every adjusted quantity, each unit once);
their value is summed per currency with ``Decimal`` (never a float), exactly, and shown in the
currency's own minor units. Units of an item without a cost are counted apart, never valued at 0.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from syncer.model import Money

# ISO 4217's minor units, for the codes of Shopify's CurrencyCode enum that do not have 2
# (https://www.iso.org/iso-4217-currency-codes.html, list one). Non-ISO codes Shopify adds (KID,
# JEP) and retired ones (LTL, LVL) have 2. A table this size is kept here rather than taking a
# locale library (babel's CLDR data is ~30 MB) for one number per currency.
_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}

_NONE: Mapping[str, Decimal] = MappingProxyType({})


def minor_units(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (ISO 4217; 2 unless listed).

    >>> minor_units("EUR"), minor_units("JPY"), minor_units("KWD")
    (2, 0, 3)
    """
    return _MINOR_UNITS.get(currency, 2)


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` in ``currency``'s minor units (half to even).

    >>> rounded(Decimal("12.345"), "EUR"), rounded(Decimal("1500.5"), "JPY")
    (Decimal('12.34'), Decimal('1500'))
    """
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def amount_text(amount: Decimal, currency: str, sign: str = "") -> str:
    """``1,250.00 EUR`` (``sign`` "+" or "-" goes first).

    >>> amount_text(Decimal("1250"), "EUR", "+"), amount_text(Decimal("980"), "JPY")
    ('+1,250.00 EUR', '980 JPY')
    """
    return f"{sign}{rounded(amount, currency):,} {currency}"


def parse_amount(text: object) -> Decimal | None:
    """A finite ``Decimal`` from Shopify's ``Decimal`` scalar (a string), or None.

    >>> parse_amount("12.50"), parse_amount("NaN"), parse_amount(12.5)
    (Decimal('12.50'), None, None)
    """
    if not isinstance(text, str):
        return None
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@dataclass(frozen=True, slots=True)
class StockValue:
    """Units added and removed, their value at cost per currency, and the units of items
    without a cost (counted, never valued)."""

    units_added: int = 0
    units_removed: int = 0
    added: Mapping[str, Decimal] = field(default_factory=lambda: _NONE)
    removed: Mapping[str, Decimal] = field(default_factory=lambda: _NONE)
    uncosted_added: int = 0
    uncosted_removed: int = 0

    @classmethod
    def of(cls, moves: Iterable[tuple[str, int]], costs: Mapping[str, Money]) -> StockValue:
        """The value of ``moves`` (``(item_id, units)``, units signed) at ``costs`` (by item id).

        >>> cost = {"a": Money(Decimal("2.50"), "EUR")}
        >>> v = StockValue.of([("a", 4), ("a", -1), ("b", 3)], cost)
        >>> v.units_added, v.units_removed, dict(v.added), dict(v.removed), v.uncosted_added
        (7, 1, {'EUR': Decimal('10.00')}, {'EUR': Decimal('2.50')}, 3)
        """
        added: dict[str, Decimal] = {}
        removed: dict[str, Decimal] = {}
        units = [0, 0, 0, 0]  # added, removed, uncosted added, uncosted removed
        for item_id, delta in moves:
            if not delta:
                continue
            up = delta > 0
            units[0 if up else 1] += abs(delta)
            cost = costs.get(item_id)
            if cost is None:
                units[2 if up else 3] += abs(delta)
                continue
            into = added if up else removed
            into[cost.currency] = into.get(cost.currency, Decimal(0)) + cost.amount * abs(delta)
        for currency in {*added, *removed}:
            added.setdefault(currency, Decimal(0))
            removed.setdefault(currency, Decimal(0))
        return cls(units[0], units[1], MappingProxyType(dict(sorted(added.items()))),
                   MappingProxyType(dict(sorted(removed.items()))), units[2], units[3])

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(self.added)

    def changed(self, currency: str) -> Decimal:
        """The value moved in ``currency``, both ways: added plus removed."""
        return self.added.get(currency, Decimal(0)) + self.removed.get(currency, Decimal(0))

    @property
    def has_units(self) -> bool:
        return bool(self.units_added or self.units_removed)

    def text(self) -> str:
        """``+1,250.00/-30.00 EUR, +99.50/-0.00 USD; +5/-0 units have no cost``: the value of
        the units with a cost per currency, and how many units have none.

        >>> StockValue(3, 0, uncosted_added=3).text()
        'no unit cost known'
        """
        parts = [f"+{rounded(self.added[c], c):,}/-{rounded(self.removed[c], c):,} {c}"
                 for c in self.currencies]
        uncosted = self.uncosted_added + self.uncosted_removed
        if not parts:
            return "no unit cost known" if uncosted else "nothing"
        if not uncosted:
            return ", ".join(parts)
        return (f"{', '.join(parts)}; +{self.uncosted_added:,}/-{self.uncosted_removed:,} "
                f"{'unit has' if uncosted == 1 else 'units have'} no cost")

    def to_dict(self) -> dict[str, Any]:
        """JSON data: amounts as decimal strings in each currency's minor units."""
        return {
            "units_added": self.units_added,
            "units_removed": self.units_removed,
            "added": {c: str(rounded(v, c)) for c, v in self.added.items()},
            "removed": {c: str(rounded(v, c)) for c, v in self.removed.items()},
            "uncosted_units_added": self.uncosted_added,
            "uncosted_units_removed": self.uncosted_removed,
        }


#: One move of units: ``(location name, location id, item id, units)``, units signed.
Move = tuple[str, str, str, int]


def total_of(moves: Iterable[Move], costs: Mapping[str, Money]) -> StockValue:
    """The value of every move."""
    return StockValue.of(((item_id, units) for _, _, item_id, units in moves), costs)


def by_location(moves: Iterable[Move],
                costs: Mapping[str, Money]) -> dict[str, tuple[str, StockValue]]:
    """The value of the moves at each location, by name: ``{name: (location_id, value)}``."""
    grouped: dict[tuple[str, str], list[Move]] = {}
    for move in moves:
        grouped.setdefault((move[0], move[1]), []).append(move)
    return {name: (location_id, total_of(located, costs))
            for (name, location_id), located in sorted(grouped.items())}


def value_document(moves: list[Move], costs: Mapping[str, Money]) -> dict[str, Any]:
    """JSON data: the total and each location's value."""
    return {"total": total_of(moves, costs).to_dict(), "locations": [
        {"location": name, "location_id": location_id, **value.to_dict()}
        for name, (location_id, value) in by_location(moves, costs).items()]}


def value_block(title: str, moves: list[Move], costs: Mapping[str, Money]) -> list[str]:
    """The text renderers' block (nothing when no units move)."""
    located = {name: value for name, (_, value) in by_location(moves, costs).items()}
    return value_lines(title, located, total_of(moves, costs)) if located else []


def units_text(value: StockValue) -> str:
    """``+40/-2 units``."""
    return f"+{value.units_added:,}/-{value.units_removed:,} units"


def value_rows(by_location: Mapping[str, StockValue],
               total: StockValue) -> list[tuple[str, str, str]]:
    """``(location, units, value)`` rows, then a ``Total`` row when there are two locations or
    more (one location's row is the total)."""
    rows = [(name, units_text(v), v.text()) for name, v in by_location.items()]
    if len(rows) > 1:
        rows.append(("Total", units_text(total), total.text()))
    return rows


def value_lines(title: str, by_location: Mapping[str, StockValue],
                total: StockValue) -> list[str]:
    """A block for a terminal: ``title``, then one aligned row per location (and the total)."""
    rows = value_rows(by_location, total)
    if not rows:
        return []
    name_width = max(len(row[0]) for row in rows)
    units_width = max(len(row[1]) for row in rows)
    return [title] + [f"  {name:<{name_width}}  {units:>{units_width}}  {text}"
                      for name, units, text in rows]


def money_dict(money: Money) -> dict[str, str]:
    """``{"amount": "12.50", "currencyCode": "EUR"}``: ``MoneyV2``'s shape, kept exact."""
    return {"amount": str(money.amount), "currencyCode": money.currency}


def money_from(data: object) -> Money | None:
    """A ``Money`` from ``MoneyV2``-shaped data (``money_dict``'s), or None when it is not one.

    >>> money_from({"amount": "12.5", "currencyCode": "EUR"})
    Money(amount=Decimal('12.5'), currency='EUR')
    >>> money_from(None), money_from({"amount": "x", "currencyCode": "EUR"})
    (None, None)
    """
    if not isinstance(data, Mapping):
        return None
    amount, currency = parse_amount(data.get("amount")), data.get("currencyCode")
    if amount is None or not isinstance(currency, str) or not currency:
        return None
    return Money(amount, currency)
