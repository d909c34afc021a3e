"""Change values and the Plan that orders them.

A change names its level both by ids (for the API) and by display names (for people). Changes are
frozen values ordered as DESIGN.md section 5 applies them: activate, then adjust, then deactivate;
within a kind by location name, SKU and quantity name.

Activating a level never sets quantities itself: a new level is activated (it starts at 0) and each
managed quantity is then adjusted with CAS ``changeFromQuantity`` = 0; a reactivated level restores
its old quantities (2026-04) and the adjusts start from those. One mechanism (adjust with CAS) sets
every quantity, so ``inventoryActivate(available:)`` is never used.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, ClassVar, TypeVar, cast

from syncer.model import Money, frozen_map
from syncer.plan.discounts import DiscountChange
from syncer.plan.encoding import canonical_json
from syncer.plan.notices import Finding, Notice, PlanProblem, PlanWarning
from syncer.plan.origin import PlanOrigin
from syncer.plan.value import Move, StockValue, money_dict, total_of, value_document


class ChangeKind(enum.Enum):
    """What a change does to a level; ``rank`` is the order in which ``apply`` runs them."""

    ACTIVATE = "activate"
    ADJUST = "adjust"
    DEACTIVATE = "deactivate"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {ChangeKind.ACTIVATE: 0, ChangeKind.ADJUST: 1, ChangeKind.DEACTIVATE: 2}


@dataclass(frozen=True, slots=True)
class LevelRef:
    """A level by display names (``location``, ``sku``) and ids; ``level_id`` if it exists live.

    ``sku`` is the item's gid when the item has no SKU or shares its SKU with another item
    (shown by its ID, as a manifest must name it); in JSON that item's ``sku`` is null.
    """

    location: str
    sku: str
    location_id: str
    item_id: str
    level_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.location_id, self.item_id)

    @property
    def item_sku(self) -> str | None:
        """The item's SKU; None when it has none (``sku`` then shows its gid)."""
        return None if self.sku == self.item_id else self.sku

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "sku": self.item_sku,
            "location_id": self.location_id,
            "item_id": self.item_id,
            "level_id": self.level_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelRef:
        return cls(data["location"], data["sku"] or data["item_id"], data["location_id"],
                   data["item_id"], data["level_id"])


@dataclass(frozen=True, slots=True)
class Activate:
    """Activate a new level, or reactivate an inactive one (which restores ``restores``)."""

    level: LevelRef
    reactivation: bool = False
    restores: Mapping[str, int] = field(default_factory=frozen_map)
    kind: ClassVar[ChangeKind] = ChangeKind.ACTIVATE

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "activate",
            **self.level.to_dict(),
            "reactivation": self.reactivation,
            "restores": dict(self.restores),
        }


@dataclass(frozen=True, slots=True)
class Adjust:
    """Move one quantity from ``before`` (observed, the CAS value) to ``after``.

    ``inactive`` marks an adjust of a level that stays inactive (allowed in 2026-04).
    """

    level: LevelRef
    quantity: str
    before: int
    after: int
    inactive: bool = False
    kind: ClassVar[ChangeKind] = ChangeKind.ADJUST

    @property
    def delta(self) -> int:
        return self.after - self.before

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "adjust",
            **self.level.to_dict(),
            "quantity": self.quantity,
            "before": self.before,
            "after": self.after,
            "delta": self.after - self.before,
            "inactive": self.inactive,
        }


@dataclass(frozen=True, slots=True)
class Deactivate:
    """Deactivate an active level; ``quantities`` are observed live, ``alert`` is Shopify's warning.

    ``unmanaged`` marks a level no manifest names (``policy.unmanaged: deactivate`` or ``--prune``).
    """

    level: LevelRef
    quantities: Mapping[str, int] = field(default_factory=frozen_map)
    alert: str | None = None
    unmanaged: bool = False
    kind: ClassVar[ChangeKind] = ChangeKind.DEACTIVATE

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "deactivate",
            **self.level.to_dict(),
            "quantities": dict(self.quantities),
            "alert": self.alert,
            "unmanaged": self.unmanaged,
        }


Change = Activate | Adjust | Deactivate


def change_from_dict(data: Mapping[str, Any]) -> Change:
    """The change a ``to_dict()`` produced (KeyError/ValueError on a malformed dict)."""
    level = LevelRef.from_dict(data)
    kind = ChangeKind(data["kind"])
    if kind is ChangeKind.ACTIVATE:
        return Activate(level, bool(data["reactivation"]), frozen_map(data["restores"]))
    if kind is ChangeKind.ADJUST:
        if data["after"] - data["before"] != data["delta"]:
            raise ValueError(f"delta {data['delta']} is not after - before")
        return Adjust(level, data["quantity"], data["before"], data["after"], data["inactive"])
    return Deactivate(
        level, frozen_map(data["quantities"]), data["alert"], bool(data["unmanaged"])
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of a plan: levels to activate/adjust/deactivate and units added/removed."""

    to_activate: int = 0
    to_adjust: int = 0
    adjustments: int = 0
    units_added: int = 0
    units_removed: int = 0
    to_deactivate: int = 0

    @classmethod
    def of(cls, changes: Iterable[Change]) -> Summary:
        act = deact = added = removed = 0
        adjusts: list[Adjust] = []
        for c in changes:
            kind = c.kind
            if kind is ChangeKind.ADJUST:
                adjusts.append(cast(Adjust, c))
            elif kind is ChangeKind.ACTIVATE:
                act += 1
            else:
                deact += 1
        for c in adjusts:
            d = c.after - c.before
            if d > 0:
                added += d
            else:
                removed -= d
        levels = len({(c.level.location_id, c.level.item_id) for c in adjusts})
        return cls(act, levels, len(adjusts), added, removed, deact)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _sorted(values: Iterable[_V], key: Callable[[_V], Any]) -> tuple[_V, ...]:
    return tuple(sorted(values, key=key))


_V = TypeVar("_V")

_LEVEL_ORDER = attrgetter("level.location", "level.sku", "level.location_id", "level.item_id")
_ADJUST_ORDER = attrgetter("level.location", "level.sku", "quantity", "level.location_id",
                           "level.item_id")


def _sort_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Kind rank (activate, adjust, deactivate), then location name, SKU, quantity name, ids."""
    buckets: dict[ChangeKind, list[Change]] = {k: [] for k in ChangeKind}
    for c in changes:
        buckets[c.kind].append(c)
    return (*sorted(buckets[ChangeKind.ACTIVATE], key=_LEVEL_ORDER),
            *sorted(buckets[ChangeKind.ADJUST], key=_ADJUST_ORDER),
            *sorted(buckets[ChangeKind.DEACTIVATE], key=_LEVEL_ORDER))


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered changes that take the live store to the manifests, with what to tell people.

    ``managed_levels`` counts the levels the manifests manage (the base of the percent limit).
    ``discounts`` holds the code discount changes (``kind: DiscountCodes``), applied after the
    inventory changes.
    """

    changes: tuple[Change, ...] = ()
    errors: tuple[PlanProblem, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    findings: tuple[Finding, ...] = ()
    managed_levels: int = 0
    discounts: tuple[DiscountChange, ...] = ()
    #: The store it was made against (set by the engine; not in the fingerprint).
    origin: PlanOrigin | None = field(default=None, compare=False)
    #: The ``unitCost`` of each adjusted item that has one, by item id: what ``value`` prices
    #: the units at (read with the levels; not in the fingerprint, which covers what apply does).
    unit_costs: Mapping[str, Money] = field(default_factory=dict, compare=False)
    summary: Summary = field(init=False, compare=False)
    _fingerprint: str | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Sort here so that every Plan, however built, has one order (octodns sorts its changes
        # for the same reason: a deterministic plan and fingerprint).
        setattr_ = object.__setattr__
        setattr_(self, "changes", _sort_changes(self.changes))
        setattr_(self, "errors", _sorted(self.errors, Notice.sort_key))
        setattr_(self, "warnings", _sorted(self.warnings, Notice.sort_key))
        setattr_(self, "findings", _sorted(self.findings, Notice.sort_key))
        setattr_(self, "summary", Summary.of(self.changes))
        setattr_(self, "discounts", _sorted(self.discounts, lambda c: (c.ref.casefold(), c.ref)))
        setattr_(self, "_fingerprint", None)

    def with_findings(self, findings: Iterable[Finding]) -> Plan:
        """This plan with ``findings`` (changes stay as they are, already sorted)."""
        new = object.__new__(Plan)
        for name in ("changes", "errors", "warnings", "managed_levels", "discounts", "origin",
                     "unit_costs", "summary", "_fingerprint"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "findings", _sorted(findings, Notice.sort_key))
        return new

    def with_origin(self, origin: PlanOrigin | None) -> Plan:
        """This plan, made against the store ``origin`` names."""
        new = self.with_findings(self.findings)
        object.__setattr__(new, "origin", origin)
        return new

    @property
    def fingerprint(self) -> str:
        """sha256 hex of the canonical JSON of the changes and their observed values."""
        fingerprint = self._fingerprint
        if fingerprint is None:
            hashed: list[Any] | dict[str, Any] = [c.to_dict() for c in self.changes]
            if self.discounts:  # plans without discounts keep the fingerprint they always had
                hashed = {"changes": hashed, "discounts": [c.to_dict() for c in self.discounts]}
            digest = hashlib.sha256(canonical_json(hashed))
            fingerprint = digest.hexdigest()
            object.__setattr__(self, "_fingerprint", fingerprint)
        return fingerprint

    def moves(self, changes: Iterable[Change] | None = None) -> list[Move]:
        """The units each adjust of ``changes`` (default: the plan's) moves, for
        ``syncer.plan.value``: ``(location, location_id, item_id, units)``."""
        return [(c.level.location, c.level.location_id, c.level.item_id, c.after - c.before)
                for c in (self.changes if changes is None else changes)
                if isinstance(c, Adjust)]

    def value_of(self, changes: Iterable[Change]) -> StockValue:
        """Units ``changes`` add and remove, and their value at cost."""
        return total_of(self.moves(changes), self.unit_costs)

    @property
    def value(self) -> StockValue:
        """Units the plan adds and removes, and their value at cost."""
        return total_of(self.moves(), self.unit_costs)

    @property
    def unsafe(self) -> bool:
        return bool(self.findings)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.discounts)

    @property
    def without_levels(self) -> bool:
        """True when the manifests manage no inventory level (discount codes only): the plan
        then says nothing about levels (no rows of zeros)."""
        return not self.changes and not self.managed_levels

    @property
    def partial(self) -> bool:
        """True when the plan covers only the levels ``--target``/``--exclude`` selected."""
        return any(w.code == "partial_plan" for w in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON data (``schemas/plan.schema.json`` without the saved-plan fields)."""
        data = {
            "format_version": 1,
            "fingerprint": self.fingerprint,
            "summary": self.summary.to_dict(),
            "managed_levels": self.managed_levels,
            "unsafe": self.unsafe,
            "changes": [c.to_dict() for c in self.changes],
            "errors": [n.to_dict() for n in self.errors],
            "warnings": [n.to_dict() for n in self.warnings],
            "findings": [n.to_dict() for n in self.findings],
            "value": value_document(self.moves(), self.unit_costs),
            "unit_costs": {k: money_dict(v) for k, v in sorted(self.unit_costs.items())},
        }
        if self.discounts:
            data["discounts"] = [c.to_dict() for c in self.discounts]
        if self.origin is not None:
            data.update(self.origin.to_dict())
        return data
