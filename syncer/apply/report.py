"""What an apply run did: per-step results, conflicts, rebases, and how they are shown.

``ApplyReport`` is data first: ``render_text`` is what people read after ``syncer apply`` and
``to_dict`` is the ``--report FILE`` JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncer.errors import EXIT_CONFLICT, EXIT_OK, EXIT_PARTIAL
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

    change: Adjust
    live: int | None
    reason: str = ""

    def to_dict(self) -> dict:
        c = self.change
        return {"location": c.level.location, "sku": c.level.sku, "quantity": c.quantity,
                "planned_from": c.before, "live_now": self.live, "target": c.after,
                "reason": self.reason}

    def __str__(self) -> str:
        c = self.change
        live = "missing" if self.live is None else self.live
        text = (f"{c.level.location} / {c.level.sku}: {c.quantity} planned from {c.before}, "
                f"live now {live}, target {c.after}")
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True, slots=True)
class Rebase:
    """A change recomputed from the live value: ``original`` planned, ``change`` sent instead."""

    original: Adjust
    change: Adjust

    def to_dict(self) -> dict:
        o, c = self.original, self.change
        return {"location": o.level.location, "sku": o.level.sku, "quantity": o.quantity,
                "planned_from": o.before, "live_now": c.before, "target": c.after,
                "planned_delta": o.delta, "delta": c.delta}

    def __str__(self) -> str:
        o, c = self.original, self.change
        return (f"{o.level.location} / {o.level.sku}: {o.quantity} rebased from {c.before} "
                f"(planned from {o.before}): {c.delta:+d} instead of {o.delta:+d}")


@dataclass(slots=True)
class StepResult:
    """What happened to one step; ``applied`` holds the changes that landed, as sent."""

    step: Step
    key: str
    status: str = NOT_ATTEMPTED
    detail: str = ""
    applied: list[Change] = field(default_factory=list)
    already: list[Change] = field(default_factory=list)
    rebased: int = 0

    def to_dict(self) -> dict:
        s = self.step
        return {"step_key": s.step_key, "idempotency_key": self.key, "kind": s.kind.value,
                "quantity": s.quantity, "status": self.status, "detail": self.detail,
                "changes": len(s.changes), "applied": len(self.applied),
                "already_applied": len(self.already)}


@dataclass
class ApplyReport:
    """The outcome of one apply run: per-step results, conflicts, rebases, calls and cost."""

    plan_id: str
    store: str
    results: list[StepResult]
    conflicts: list[Conflict] = field(default_factory=list)
    rebased: list[Rebase] = field(default_factory=list)
    error: str | None = None
    calls: int = 0
    cost_points: float = 0.0
    forced: bool = False

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_PARTIAL
        if self.conflicts:
            return EXIT_CONFLICT
        return EXIT_OK

    @property
    def status(self) -> str:
        return {EXIT_OK: "complete", EXIT_CONFLICT: "conflict", EXIT_PARTIAL: "partial"}[
            self.exit_code]

    def counts(self) -> dict:
        """Levels activated/deactivated, levels adjusted and units, over changes that landed."""
        activated = deactivated = added = removed = 0
        adjusted: set[tuple[str, str]] = set()
        already = 0
        for r in self.results:
            already += len(r.already)
            for c in r.applied:
                if c.kind is ChangeKind.ACTIVATE:
                    activated += 1
                elif c.kind is ChangeKind.DEACTIVATE:
                    deactivated += 1
                else:
                    adjusted.add(c.level.key)
                    added += max(c.delta, 0)
                    removed += max(-c.delta, 0)
        by_status: dict[str, int] = {}
        for r in self.results:
            by_status[r.status] = by_status.get(r.status, 0) + 1
        return {"activated": activated, "adjusted": len(adjusted), "units_added": added,
                "units_removed": removed, "deactivated": deactivated,
                "changes_already_applied": already, "steps": by_status}

    def summary_line(self) -> str:
        n = self.counts()
        verb = "Applied" if self.exit_code == EXIT_OK else "Applied before stopping"
        line = (f"{verb}: {n['activated']} activated, {n['adjusted']} adjusted "
                f"(+{n['units_added']}/-{n['units_removed']} units), {n['deactivated']} "
                f"deactivated in {self.calls} call{'s' if self.calls != 1 else ''}, "
                f"{self.cost_points:,.0f} cost points.")
        if n["changes_already_applied"]:
            line += (f" {n['changes_already_applied']} change(s) were already applied by an "
                     "earlier run of this plan and were not applied again.")
        return line

    def render_text(self) -> str:
        """The report for people: conflicts, rebases, the error, what was not done, the summary."""
        lines = []
        for r in self.rebased:
            lines.append(f"  ~ {r}")
        if self.rebased:
            lines.insert(0, f"Rebased {len(self.rebased)} change(s) onto live values:")
        if self.conflicts:
            lines.append(f"Conflict: {len(self.conflicts)} quantity(ies) moved since the plan "
                         "was made:")
            lines += [f"  ! {c}" for c in self.conflicts]
            lines.append("Nothing was overwritten. Plan again to see the store as it is now, or "
                         "run the same plan with --rebase to apply the planned targets.")
        if self.error is not None:
            lines.append(f"Stopped: {self.error}")
            for r in self.results:
                if r.status in (FAILED, UNKNOWN):
                    lines.append(f"  {r.status}: {describe(r.step)}: {r.detail}")
        waiting = [r for r in self.results if r.status == NOT_ATTEMPTED]
        if waiting and self.exit_code != EXIT_OK:
            changes = sum(len(r.step.changes) for r in waiting)
            lines.append(f"Not attempted: {len(waiting)} step(s) with {changes} change(s).")
        if self.exit_code == EXIT_PARTIAL:
            lines.append("Run the same plan again to resume: steps already applied are "
                         "recognised and not applied twice.")
        lines.append(self.summary_line())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {
            "plan_id": self.plan_id,
            "store": self.store,
            "status": self.status,
            "exit_code": self.exit_code,
            "forced": self.forced,
            "error": self.error,
            "summary": self.counts(),
            "calls": self.calls,
            "cost_points": self.cost_points,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "rebased": [r.to_dict() for r in self.rebased],
            "steps": [r.to_dict() for r in self.results],
        }


def describe(step: Step) -> str:
    first = step.changes[0].level
    more = f" and {len(step.changes) - 1} more" if len(step.changes) > 1 else ""
    what = step.kind.value + (f" {step.quantity}" if step.quantity else "")
    return f"{what} {first.location} / {first.sku}{more}"
