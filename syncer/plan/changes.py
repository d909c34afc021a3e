"""Change values, the Plan that orders them, safety findings and the applier's mutation steps.

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
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import ClassVar

from syncer.errors import Source
from syncer.model import LiveState, SafetyLimits, frozen_map

#: Most changes one mutation may carry (``inventoryAdjustQuantities`` input arrays).
MAX_BATCH = 250


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

    ``sku`` is the item's gid when the item has no SKU (shown by its ID); in JSON that item's
    ``sku`` is null.
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

    def to_dict(self) -> dict:
        return {
            "location": self.location,
            "sku": self.item_sku,
            "location_id": self.location_id,
            "item_id": self.item_id,
            "level_id": self.level_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> LevelRef:
        return cls(data["location"], data["sku"] or data["item_id"], data["location_id"],
                   data["item_id"], data["level_id"])


@dataclass(frozen=True, slots=True)
class Activate:
    """Activate a new level, or reactivate an inactive one (which restores ``restores``)."""

    level: LevelRef
    reactivation: bool = False
    restores: Mapping[str, int] = field(default_factory=frozen_map)
    kind: ClassVar[ChangeKind] = ChangeKind.ACTIVATE

    def to_dict(self) -> dict:
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

    def to_dict(self) -> dict:
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

    def to_dict(self) -> dict:
        return {
            "kind": "deactivate",
            **self.level.to_dict(),
            "quantities": dict(self.quantities),
            "alert": self.alert,
            "unmanaged": self.unmanaged,
        }


Change = Activate | Adjust | Deactivate


def change_from_dict(data: Mapping) -> Change:
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
class Notice:
    """Something the plan tells people, about one level (``location``/``sku``) or the whole plan."""

    code: str
    message: str
    location: str | None = None
    sku: str | None = None
    source: Source | None = None

    def sort_key(self) -> tuple:
        src = self.source or Source("")
        return (src.file, src.line, src.column, self.location or "", self.sku or "", self.code,
                self.message)

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        level = f"{self.location} / {self.sku}: " if self.location and self.sku else ""
        return f"{where}{level}{self.message}"

    def to_dict(self) -> dict:
        src = self.source
        return {
            "code": self.code,
            "message": self.message,
            "location": self.location,
            "sku": self.sku,
            "source": None if src is None else {"file": src.file, "line": src.line,
                                                "column": src.column},
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Notice:
        src = data.get("source")
        return cls(data["code"], data["message"], data.get("location"), data.get("sku"),
                   None if src is None else Source(src["file"], src["line"], src["column"]))


@dataclass(frozen=True, slots=True)
class Finding(Notice):
    """A safety finding: the plan breaks a limit, so ``apply`` refuses it without ``--force``."""


@dataclass(frozen=True, slots=True)
class PlanWarning(Notice):
    """Worth a reviewer's attention, but not blocking (e.g. Shopify's ``deactivationAlert``)."""


@dataclass(frozen=True, slots=True)
class PlanProblem(Notice):
    """A plan error (unknown SKU, ``canDeactivate: false``, ...): the plan cannot be applied."""


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
        adjusts = []
        for c in changes:
            kind = c.kind
            if kind is ChangeKind.ADJUST:
                adjusts.append(c)
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

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _sorted(values: Iterable, key) -> tuple:
    return tuple(sorted(values, key=key))


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


def document_json(value) -> str:
    """Stable JSON for files people diff: sorted keys, one top-level key per line, and one list
    element per line (a change, a step), each written compactly.

    Equivalent to ``json.dumps(value, sort_keys=True)`` as data; much faster than ``indent=``
    for large plans (the C encoder does each line) and a changed level is a one-line diff.

    >>> print(document_json({"b": [{"y": 1, "x": 2}], "a": {"k": None}, "c": []}), end="")
    {
      "a": {"k": null},
      "b": [
        {"x": 2, "y": 1}
      ],
      "c": []
    }
    """
    def compact(v) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    if not isinstance(value, dict) or not value:
        return compact(value) + "\n"
    lines = ["{"]
    keys = sorted(value)
    for n, key in enumerate(keys):
        item = value[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(item, list) and item:
            lines.append(f"  {compact(key)}: [")
            lines.extend(f"    {compact(v)}{',' if i < len(item) - 1 else ''}"
                         for i, v in enumerate(item))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {compact(key)}: {compact(item)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def canonical_json(value) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes every digest in syncer is taken of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered changes that take the live store to the manifests, with what to tell people.

    ``managed_levels`` counts the levels the manifests manage (the base of the percent limit).
    """

    changes: tuple[Change, ...] = ()
    errors: tuple[PlanProblem, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    findings: tuple[Finding, ...] = ()
    managed_levels: int = 0
    summary: Summary = field(init=False, compare=False)
    _fingerprint: str | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self):
        # Sort here so that every Plan, however built, has one order (octodns sorts its changes
        # for the same reason: a deterministic plan and fingerprint).
        setattr_ = object.__setattr__
        setattr_(self, "changes", _sort_changes(self.changes))
        setattr_(self, "errors", _sorted(self.errors, Notice.sort_key))
        setattr_(self, "warnings", _sorted(self.warnings, Notice.sort_key))
        setattr_(self, "findings", _sorted(self.findings, Notice.sort_key))
        setattr_(self, "summary", Summary.of(self.changes))
        setattr_(self, "_fingerprint", None)

    def with_findings(self, findings: Iterable[Finding]) -> Plan:
        """This plan with ``findings`` (changes stay as they are, already sorted)."""
        new = object.__new__(Plan)
        for name in ("changes", "errors", "warnings", "managed_levels", "summary",
                     "_fingerprint"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "findings", _sorted(findings, Notice.sort_key))
        return new

    @property
    def fingerprint(self) -> str:
        """sha256 hex of the canonical JSON of the changes and their observed values."""
        if self._fingerprint is None:
            digest = hashlib.sha256(canonical_json([c.to_dict() for c in self.changes]))
            object.__setattr__(self, "_fingerprint", digest.hexdigest())
        return self._fingerprint

    @property
    def unsafe(self) -> bool:
        return bool(self.findings)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict:
        """The plan as JSON data (``schemas/plan.schema.json`` without the saved-plan fields)."""
        return {
            "format_version": 1,
            "fingerprint": self.fingerprint,
            "summary": self.summary.to_dict(),
            "managed_levels": self.managed_levels,
            "unsafe": self.unsafe,
            "changes": [c.to_dict() for c in self.changes],
            "errors": [n.to_dict() for n in self.errors],
            "warnings": [n.to_dict() for n in self.warnings],
            "findings": [n.to_dict() for n in self.findings],
        }


def _units(quantities: Mapping[str, int]) -> str:
    held = {k: v for k, v in quantities.items() if v and k != "on_hand"}
    if not held and quantities.get("on_hand"):
        held = {"on_hand": quantities["on_hand"]}
    return ", ".join(f"{v:,} {k}" for k, v in sorted(held.items()))


def check_safety(
    plan: Plan, live: LiveState | None, limits: SafetyLimits
) -> tuple[Finding, ...]:
    """Findings that make ``plan`` unsafe under ``limits`` (DESIGN.md section 5).

    Without ``live``, a deactivation's holdings are the quantities its change observed.
    """
    findings = []
    changed = {(c.level.location_id, c.level.item_id) for c in plan.changes}
    managed = plan.managed_levels
    if managed >= limits.min_levels_for_percent and managed:
        pct = 100.0 * len(changed) / managed
        if pct > limits.max_changed_percent:
            findings.append(Finding(
                "max_changed_percent",
                f"changes {len(changed):,} of {managed:,} managed levels ({pct:.1f}%), over the "
                f"{limits.max_changed_percent:g}% limit; pass --force to apply anyway",
            ))
    if not limits.allow_deactivate_with_stock:
        adjusted: dict[tuple[str, str], list[Adjust]] = {}
        for c in plan.changes:
            if c.kind is ChangeKind.ADJUST:
                adjusted.setdefault(c.level.key, []).append(c)
        for c in plan.changes:
            if c.kind is not ChangeKind.DEACTIVATE:
                continue
            lv = live.levels.get(c.level.key) if live is not None else None
            held = dict(lv.quantities if lv is not None else c.quantities)
            # Quantities as they will be when the deactivation runs, after this plan's adjusts.
            for a in adjusted.get(c.level.key, ()):
                held[a.quantity] = a.after
                if a.quantity != "incoming" and "on_hand" in held:
                    held["on_hand"] += a.delta
            units = _units(held)
            if units:
                findings.append(Finding(
                    "deactivate_with_stock",
                    f"holds {units} units; deactivating keeps them but hides the level, "
                    "pass --force to apply anyway",
                    c.level.location, c.level.sku,
                ))
    removed = plan.summary.units_removed
    if limits.max_units_removed is not None and removed > limits.max_units_removed:
        findings.append(Finding(
            "max_units_removed",
            f"removes {removed:,} units, over the limit of {limits.max_units_removed:,}; "
            "pass --force to apply anyway",
        ))
    return _sorted(findings, Notice.sort_key)


@dataclass(frozen=True, slots=True)
class Step:
    """One mutation the applier runs: its kind, quantity name (adjusts) and the changes it carries.

    ``step_key`` is derived from the content only, so the same plan always yields the same keys.
    """

    kind: ChangeKind
    quantity: str | None
    changes: tuple[Change, ...]
    step_key: str

    def to_dict(self) -> dict:
        return {
            "step_key": self.step_key,
            "kind": self.kind.value,
            "quantity": self.quantity,
            "changes": [c.to_dict() for c in self.changes],
        }


def _step(kind: ChangeKind, quantity: str | None, changes: tuple[Change, ...]) -> Step:
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return Step(kind, quantity, changes, f"{kind.value}/{quantity or '-'}/{digest}")


def build_steps(plan: Plan) -> tuple[Step, ...]:
    """The ordered mutations for ``plan``.

    Activations first, one step per item: an item activated at two or more locations becomes one
    ``inventoryBulkToggleActivation`` (10 points instead of 10 per location), an item activated
    at one location an ``inventoryActivate``. Then one ``inventoryAdjustQuantities`` per quantity
    name and batch of at most 250 changes, then one step per deactivation.
    """
    steps: list[Step] = []
    by_item: dict[str, list[Change]] = {}
    by_name: dict[str, list[Change]] = {}
    deactivations = []
    for c in plan.changes:
        if c.kind is ChangeKind.ACTIVATE:
            by_item.setdefault(c.level.item_id, []).append(c)
        elif c.kind is ChangeKind.ADJUST:
            by_name.setdefault(c.quantity, []).append(c)
        else:
            deactivations.append(c)
    for activations in by_item.values():
        for i in range(0, len(activations), MAX_BATCH):
            steps.append(_step(ChangeKind.ACTIVATE, None, tuple(activations[i : i + MAX_BATCH])))
    for name in sorted(by_name):
        batch = by_name[name]
        for i in range(0, len(batch), MAX_BATCH):
            steps.append(_step(ChangeKind.ADJUST, name, tuple(batch[i : i + MAX_BATCH])))
    steps.extend(_step(c.kind, None, (c,)) for c in deactivations)
    return tuple(steps)
