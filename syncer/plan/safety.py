"""Safety policy: the findings that make a plan unsafe under the manifests' limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from syncer.model import LiveState, SafetyLimits
from syncer.plan.changes import Adjust, ChangeKind, Deactivate, Plan
from syncer.plan.notices import Finding, Notice


def _held_units(quantities: Mapping[str, int]) -> str:
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
                f"{limits.max_changed_percent:g}% limit",
            ))
    if not limits.allow_deactivate_with_stock:
        adjusted: dict[tuple[str, str], list[Adjust]] = {}
        for c in plan.changes:
            if c.kind is ChangeKind.ADJUST:
                adjusted.setdefault(c.level.key, []).append(cast(Adjust, c))
        for c in plan.changes:
            if c.kind is not ChangeKind.DEACTIVATE:
                continue
            lv = live.levels.get(c.level.key) if live is not None else None
            held = dict(lv.quantities if lv is not None else cast(Deactivate, c).quantities)
            # Quantities as they will be when the deactivation runs, after this plan's adjusts.
            for a in adjusted.get(c.level.key, ()):
                held[a.quantity] = a.after
                if a.quantity != "incoming" and "on_hand" in held:
                    held["on_hand"] += a.delta
            units = _held_units(held)
            if units:
                findings.append(Finding(
                    "deactivate_with_stock",
                    f"holds {units} units; deactivating keeps them but hides the level",
                    c.level.location, c.level.sku,
                ))
    removed = plan.summary.units_removed
    if limits.max_units_removed is not None and removed > limits.max_units_removed:
        findings.append(Finding(
            "max_units_removed",
            f"removes {removed:,} units, over the limit of {limits.max_units_removed:,}",
        ))
    return tuple(sorted(findings, key=Notice.sort_key))
