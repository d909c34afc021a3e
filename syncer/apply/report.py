"""What an apply run did: per-step results, conflicts, rebases, and how they are shown.

``ApplyReport`` is data first: ``render_text`` is what people read after ``syncer apply`` and
``to_dict`` is the ``--report FILE`` JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncer.errors import EXIT_CONFLICT, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, plural
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
        return {"location": c.level.location, "sku": c.level.item_sku, "quantity": c.quantity,
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

    def to_dict(self) -> dict:
        c = self.change
        data = {"kind": c.kind.value, "location": c.level.location, "sku": c.level.sku,
                "quantity": getattr(c, "quantity", None), "status": self.status,
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


def _ident(c: Change) -> tuple:
    return (c.kind, c.level.location_id, c.level.item_id, getattr(c, "quantity", None))


@dataclass(slots=True)
class StepResult:
    """What happened to one step; ``applied`` holds the changes that landed, as sent.

    A step's changes can end differently (one conflicts, the rest land): ``outcomes`` gives each
    change its own status.
    """

    step: Step
    key: str
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

    def outcomes(self) -> list[ChangeOutcome]:
        """Each of the step's changes with exactly one status, in the step's order."""
        conflicts = {_ident(k.change): k for k in self.conflicts}
        applied = {_ident(c) for c in self.applied}
        already = {_ident(c) for c in self.already}
        rebased = {_ident(r.original): r for r in self.rebases}
        failures: dict[tuple, str] = {}
        for c, text in self.failures:
            failures[_ident(c)] = "; ".join(filter(None, (failures.get(_ident(c)), text)))
        found = []
        for c in self.step.changes:
            i = _ident(c)
            if i in conflicts:
                k = conflicts[i]
                live = "missing" if k.live is None else k.live
                found.append(ChangeOutcome(c, CONFLICT, k.reason or f"live now {live}"))
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
    #: Quantities of steps whose outcome is unknown (landed or not), with the values seen.
    unknowns: list[Conflict] = field(default_factory=list)
    error: str | None = None
    calls: int = 0
    cost_points: float = 0.0
    forced: bool = False
    #: Stopped by Ctrl-C: exit 130, after the report says what was done.
    interrupted: bool = False
    #: Results of the plan's code discount changes (``apply/discounts.py``), run after the steps.
    discounts: list = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.error is not None:
            return EXIT_PARTIAL
        if self.conflicts:
            return EXIT_CONFLICT
        return EXIT_OK

    @property
    def status(self) -> str:
        return {EXIT_OK: "complete", EXIT_CONFLICT: "conflict", EXIT_PARTIAL: "partial",
                EXIT_INTERRUPTED: "interrupted"}[self.exit_code]

    def outcomes(self) -> list[ChangeOutcome]:
        """Every planned change with its one status, in the order the plan applies them."""
        return [o for r in self.results for o in r.outcomes()]

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
        changes: dict[str, int] = {}
        for o in self.outcomes():
            changes[o.status] = changes.get(o.status, 0) + 1
        return {"activated": activated, "adjusted": len(adjusted), "units_added": added,
                "units_removed": removed, "deactivated": deactivated,
                "changes_already_applied": already, "steps": by_status, "changes": changes}

    def summary_line(self) -> str:
        n = self.counts()
        verb = {EXIT_OK: "Applied", EXIT_CONFLICT: "Applied, conflicts left as they are"}.get(
            self.exit_code, "Applied before stopping")
        line = (f"{verb}: {n['activated']:,} activated, {n['adjusted']:,} adjusted "
                f"(+{n['units_added']:,}/-{n['units_removed']:,} units), {n['deactivated']:,} "
                f"deactivated in {plural(self.calls, 'call')}, "
                f"{self.cost_points:,.0f} cost points.")
        if self.discounts:
            line += _discounts_summary(self.discounts)
        already = n["changes_already_applied"]
        if already:
            line += (f" {plural(already, 'change')} {'was' if already == 1 else 'were'} already "
                     "applied by an earlier run of this plan and not applied again.")
        return line

    def render_text(self) -> str:
        """The report for people: conflicts, rebases, the error, what was not done, the summary."""
        lines = []
        for r in self.rebased:
            lines.append(f"  ~ {r}")
        if self.rebased:
            lines.insert(0, f"Rebased {plural(len(self.rebased), 'change')} onto live values:")
        if self.conflicts:
            lines.append(f"Conflict: {plural(len(self.conflicts), 'quantity', 'quantities')} "
                         "moved since the plan was made:")
            lines += [f"  ! {c}" for c in self.conflicts]
            lines.append("Nothing was overwritten. Plan again to see the store as it is now, or "
                         "run the same plan with --rebase to apply the planned targets.")
        if self.error is not None:
            lines.append(f"Stopped: {self.error}")
            for r in self.results:
                if r.status in (FAILED, UNKNOWN):
                    lines.append(f"  {r.status}: {describe(r.step)}: {r.detail}")
            lines += [f"  {d.status}: {d}: {d.detail}" for d in self.discounts
                      if d.status in (FAILED, UNKNOWN)]
        missed = [o for o in self.outcomes() if o.status not in (APPLIED, ALREADY, REBASED)]
        if missed:
            lines.append(f"Not applied: {len(missed):,} of "
                         f"{plural(len(self.outcomes()), 'planned change')}:")
            lines += [f"  - {o}" for o in missed]
        if self.unknowns:
            lines.append(f"Unknown: {plural(len(self.unknowns), 'quantity', 'quantities')} "
                         "may or may not have changed (a retry was answered stale and the level "
                         "has moved):")
            lines += [f"  ? {u}" for u in self.unknowns]
            lines.append("Check these levels in Shopify's inventory history and plan again; "
                         "running this plan again (even with --rebase) leaves them as they are.")
        codes = [d for d in self.discounts if d.status not in (APPLIED, ALREADY)]
        if codes:
            lines.append(f"Not applied: {len(codes):,} of "
                         f"{plural(len(self.discounts), 'discount code change')}:")
            lines += [f"  - {d.status}: {d}" + (f" ({d.detail})" if d.detail else "")
                      for d in codes]
        refused = [r for r in self.results if r.status == FAILED and r.permanent]
        if refused:
            lines.append("The store refused it: running this plan again would fail the same "
                         "way. Fix what the error names (e.g. a deleted location or item), then "
                         "make a new plan; what was applied is recognised by the new plan.")
        elif self.exit_code in (EXIT_PARTIAL, EXIT_INTERRUPTED):
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
            "unknowns": [u.to_dict() for u in self.unknowns],
            "steps": [r.to_dict() for r in self.results],
            "changes": [o.to_dict() for o in self.outcomes()],
            **({"discounts": [d.to_dict() for d in self.discounts]} if self.discounts else {}),
        }


def _discounts_summary(results) -> str:
    """`` Discount codes: 1 activated, 1 deactivated, 1 already so.``"""
    counts = {"activated": 0, "deactivated": 0}
    already = 0
    for d in results:
        if d.status == APPLIED:
            counts["activated" if d.change.active else "deactivated"] += 1
        elif d.status == ALREADY:
            already += 1
    line = f" Discount codes: {counts['activated']} activated, {counts['deactivated']} deactivated"
    return line + (f", {already} already applied." if already else ".")


def describe(step: Step) -> str:
    first = step.changes[0].level
    more = f" and {len(step.changes) - 1:,} more" if len(step.changes) > 1 else ""
    what = step.kind.value + (f" {step.quantity}" if step.quantity else "")
    return f"{what} {first.location} / {first.sku}{more}"
