"""What happened to each step and each planned change of an apply run.

The statuses (``APPLIED``, ``ALREADY``, ``REBASED``, ``CONFLICT``, ``FAILED``, ``UNKNOWN``,
``NOT_ATTEMPTED``), a ``StepResult`` per step, which the applier fills in as it runs the step, and
what they hold: a ``Conflict`` (a quantity that moved since the plan), a ``Rebase`` (a change
recomputed from the live value) and, for each change, one ``ChangeOutcome``. ``describe`` and
``describe_change`` name a step or a change in messages. ``syncer.apply.report`` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncer.plan.changes import Adjust, Change, ChangeKind
from syncer.plan.steps import Step

# Step statuses in the report.
APPLIED = "applied"
ALREADY = "already applied"
REBASED = "rebased"
CONFLICT = "conflict"
FAILED = "failed"
UNKNOWN = "unknown"
NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A quantity that moved since the plan: planned from ``before`` to ``after``, ``live`` now."""

    #: An adjust; or, for an unknown activation or deactivation, that change.
    change: Change
    live: int | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.change
        if not isinstance(c, Adjust):  # an activation or deactivation (an unknown, say)
            return {"location": c.level.location, "sku": c.level.item_sku, "kind": c.kind.value,
                    "quantity": None, "reason": self.reason}
        return {"location": c.level.location, "sku": c.level.item_sku, "quantity": c.quantity,
                "planned_from": c.before, "live_now": self.live, "target": c.after,
                "reason": self.reason}

    def __str__(self) -> str:
        c = self.change
        if not isinstance(c, Adjust):
            text = f"{c.level.location} / {c.level.sku}: {c.kind.value}"
            return f"{text} ({self.reason})" if self.reason else text
        live = "missing" if self.live is None else self.live
        text = (f"{c.level.location} / {c.level.sku}: {c.quantity} planned from {c.before}, "
                f"live now {live}, target {c.after}")
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True, slots=True)
class Rebase:
    """A change recomputed from the live value: ``original`` planned, ``change`` sent instead."""

    original: Adjust
    change: Adjust

    def to_dict(self) -> dict[str, Any]:
        o, c = self.original, self.change
        return {"location": o.level.location, "sku": o.level.item_sku, "quantity": o.quantity,
                "planned_from": o.before, "live_now": c.before, "target": c.after,
                "planned_delta": o.delta, "delta": c.delta}

    def __str__(self) -> str:
        o, c = self.original, self.change
        return (f"{o.level.location} / {o.level.sku}: {o.quantity} rebased from {c.before} "
                f"(planned from {o.before}): {c.delta:+d} instead of {o.delta:+d}")


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What happened to one planned change: exactly one status, with the detail for it."""

    change: Change
    status: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.change
        data: dict[str, Any] = {
            "kind": c.kind.value, "location": c.level.location, "sku": c.level.sku,
            "quantity": c.quantity if isinstance(c, Adjust) else None, "status": self.status,
                "detail": self.detail}
        if isinstance(c, Adjust):
            data.update({"from": c.before, "to": c.after})
        return data

    def __str__(self) -> str:
        text = f"{self.status}: {describe_change(self.change)}"
        return text + (f" ({self.detail})" if self.detail else "")


def describe_change(c: Change) -> str:
    """``adjust East / SKU-1 available 10 -> 15``, ``activate West / SKU-2``."""
    what = f"{c.kind.value} {c.level.location} / {c.level.sku}"
    return what + (f" {c.quantity} {c.before} -> {c.after}" if isinstance(c, Adjust) else "")


_REFUSED_WITH_OTHERS = ("not applied: the store refused the mutation it was in (all or "
                        "nothing) because of another change")


#: A change by what it changes: its kind, level and quantity (None unless an adjust).
Ident = tuple[ChangeKind, str, str, str | None]


def _ident(c: Change) -> Ident:
    return (c.kind, c.level.location_id, c.level.item_id,
            c.quantity if isinstance(c, Adjust) else None)


@dataclass(slots=True)
class StepResult:
    """What happened to one step; ``applied`` holds the changes that landed, as sent.

    A step's changes can end differently (one conflicts, the rest land): ``outcomes`` gives each
    change its own status.
    """

    step: Step
    key: str
    #: The step's place in the plan's steps (the apply journal names steps by it).
    index: int = 0
    status: str = NOT_ATTEMPTED
    detail: str = ""
    applied: list[Change] = field(default_factory=list)
    already: list[Change] = field(default_factory=list)
    rebased: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    #: Rebases of this step's changes that landed.
    rebases: list[Rebase] = field(default_factory=list)
    #: The store's errors, each on the change its ``field`` path names (``failed`` steps).
    failures: list[tuple[Change, str]] = field(default_factory=list)
    #: Failed because the store refused it (user errors): running the plan again cannot help.
    permanent: bool = False
    #: Changes that may or may not have landed, for good (never sent again), with the values seen.
    unknown: list[Conflict] = field(default_factory=list)
    #: Attempts of this step still to finish in this run (the step's status waits for them).
    pending: int = 0

    def outcomes(self) -> list[ChangeOutcome]:
        """Each of the step's changes with exactly one status, in the step's order."""
        conflicts = {_ident(k.change): k for k in self.conflicts}
        unknown = {_ident(k.change): k for k in self.unknown}
        applied = {_ident(c) for c in self.applied}
        already = {_ident(c) for c in self.already}
        rebased = {_ident(r.original): r for r in self.rebases}
        failures: dict[Ident, str] = {}
        for c, text in self.failures:
            failures[_ident(c)] = "; ".join(filter(None, (failures.get(_ident(c)), text)))
        found = []
        for c in self.step.changes:
            i = _ident(c)
            if i in conflicts:
                k = conflicts[i]
                live = "missing" if k.live is None else k.live
                found.append(ChangeOutcome(c, CONFLICT, k.reason or f"live now {live}"))
            elif i in unknown:
                found.append(ChangeOutcome(c, UNKNOWN, unknown[i].reason))
            elif i in rebased:
                found.append(ChangeOutcome(c, REBASED, f"{rebased[i].change.delta:+d} from "
                                                       f"{rebased[i].change.before}"))
            elif i in applied:
                found.append(ChangeOutcome(c, APPLIED))
            elif i in already:
                found.append(ChangeOutcome(c, ALREADY))
            elif self.status == FAILED and self.failures:
                found.append(ChangeOutcome(c, FAILED, failures.get(i, _REFUSED_WITH_OTHERS)))
            else:
                status = self.status if self.status in (FAILED, UNKNOWN) else NOT_ATTEMPTED
                found.append(ChangeOutcome(c, status, self.detail))
        return found

    def to_dict(self) -> dict[str, Any]:
        s = self.step
        return {"step_key": s.step_key, "idempotency_key": self.key, "kind": s.kind.value,
                "quantity": s.quantity, "status": self.status, "detail": self.detail,
                "changes": len(s.changes), "applied": len(self.applied),
                "already_applied": len(self.already)}


def describe(step: Step) -> str:
    first = step.changes[0].level
    more = f" and {len(step.changes) - 1:,} more" if len(step.changes) > 1 else ""
    what = step.kind.value + (f" {step.quantity}" if step.quantity else "")
    return f"{what} {first.location} / {first.sku}{more}"
