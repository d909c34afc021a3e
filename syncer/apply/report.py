"""What an apply run did and how it is shown: ``ApplyReport``.

``ApplyReport`` is data first: the run's ``StepResult``s (``syncer.apply.results``), its
conflicts, rebases and unknowns, calls and cost, and the exit code they make. ``render_text`` is
what people read after ``syncer apply`` and ``to_dict`` is the ``--report FILE`` JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syncer.apply.results import (
    ALREADY,
    APPLIED,
    FAILED,
    REBASED,
    UNKNOWN,
    ChangeOutcome,
    Conflict,
    Rebase,
    StepResult,
    describe,
)
from syncer.errors import EXIT_CONFLICT, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, plural
from syncer.plan.changes import Adjust, ChangeKind

if TYPE_CHECKING:
    from syncer.apply.discounts import DiscountResult


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
    #: The shop the plan was made for (its ``myshopifyDomain`` and name; apply refuses
    #: another) and the API version: the report names the store as every plan output does.
    shop: str | None = None
    shop_name: str | None = None
    api_version: str | None = None
    #: Results of the plan's code discount changes (``apply/discounts.py``), run after the steps.
    discounts: list[DiscountResult] = field(default_factory=list)
    #: Things the run could not do that a person should know (e.g. the journal's closing record).
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.error is not None:
            return EXIT_PARTIAL
        if self.conflicts or self.unknowns:
            return EXIT_CONFLICT  # settled: running the plan again cannot change them
        return EXIT_OK

    @property
    def status(self) -> str:
        return {EXIT_OK: "complete", EXIT_CONFLICT: "conflict", EXIT_PARTIAL: "partial",
                EXIT_INTERRUPTED: "interrupted"}[self.exit_code]

    def outcomes(self) -> list[ChangeOutcome]:
        """Every planned change with its one status, in the order the plan applies them."""
        return [o for r in self.results for o in r.outcomes()]

    def counts(self) -> dict[str, Any]:
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
                elif isinstance(c, Adjust):
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
        lines = [f"  ~ {rebase}" for rebase in self.rebased]
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
        listed = {id(u.change) for u in self.unknowns}  # in the Unknown list below
        missed = [o for o in self.outcomes() if o.status not in (APPLIED, ALREADY, REBASED)
                  and id(o.change) not in listed]
        if missed:
            lines.append(f"Not applied: {len(missed):,} of "
                         f"{plural(len(self.outcomes()), 'planned change')}:")
            lines += [f"  - {o}" for o in missed]
        if self.unknowns:
            lines.append(f"Unknown: {plural(len(self.unknowns), 'change')} may or may not "
                         "have landed (a request carrying them ran, its answer was lost, and the "
                         "level is not at the target):")
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
        lines += self.notes
        lines.append(self.summary_line())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "store": self.store,
            "shop": self.shop,
            "shop_name": self.shop_name,
            "api_version": self.api_version,
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
            **({"notes": list(self.notes)} if self.notes else {}),
            "steps": [r.to_dict() for r in self.results],
            "changes": [o.to_dict() for o in self.outcomes()],
            **({"discounts": [d.to_dict() for d in self.discounts]} if self.discounts else {}),
        }


def _discounts_summary(results: Sequence[DiscountResult]) -> str:
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
