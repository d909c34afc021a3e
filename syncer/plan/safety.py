"""Safety policy: the findings that make a plan unsafe under the manifests' limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from syncer.model import LiveState, Location, SafetyLimits
from syncer.plan.changes import Adjust, ChangeKind, Deactivate, Plan
from syncer.plan.notices import Finding, Notice
from syncer.plan.selection import matches_selector
from syncer.plan.value import amount_text


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
    added = plan.summary.units_added
    if limits.max_units_added is not None and added > limits.max_units_added:
        findings.append(Finding(
            "max_units_added",
            f"adds {added:,} units, over the limit of {limits.max_units_added:,}",
        ))
    findings += _value_moved(plan, limits)
    findings += _level_jumps(plan, limits)
    findings += _protected(plan, limits.protected)
    return tuple(sorted(findings, key=Notice.sort_key))


def _value_moved(plan: Plan, limits: SafetyLimits) -> list[Finding]:
    """Value at cost moved (added plus removed) over ``max_value_changed`` in a currency."""
    if not limits.max_value_changed:
        return []
    value, found = plan.value, []
    for currency, most in limits.max_value_changed:
        moved = value.changed(currency)
        if moved > most:
            found.append(Finding(
                "max_value_changed",
                f"moves {amount_text(moved, currency)} of stock at cost "
                f"({amount_text(value.added[currency], currency, '+')}, "
                f"{amount_text(value.removed[currency], currency, '-')}), over the limit of "
                f"{amount_text(most, currency)}"))
    return found


def _level_jumps(plan: Plan, limits: SafetyLimits) -> list[Finding]:
    """A quantity of one level that moves by more than ``max_level_change`` units, or by
    ``max_level_change_percent`` of its live value or more (from ``level_change_floor`` units
    on): ``520`` typed for ``52``."""
    found = []
    for c in plan.changes:
        if c.kind is not ChangeKind.ADJUST:
            continue
        a = cast(Adjust, c)
        size = abs(a.delta)
        move = f"{a.quantity} {a.before:,} -> {a.after:,} ({a.delta:+,})"
        if limits.max_level_change is not None and size > limits.max_level_change:
            found.append(Finding(
                "max_level_change",
                f"{move}: more than {limits.max_level_change:,} units on one level",
                a.level.location, a.level.sku))
        elif (limits.max_level_change_percent is not None and a.before
              and size >= limits.level_change_floor
              and 100.0 * size / abs(a.before) >= limits.max_level_change_percent):
            found.append(Finding(
                "max_level_change_percent",
                f"{move}: {100.0 * size / abs(a.before):,.0f}% of the live value, at or over "
                f"the {limits.max_level_change_percent:g}% limit (a typo? {a.after:,} for "
                f"{a.before:,})",
                a.level.location, a.level.sku))
    return found


def _protected(plan: Plan, selectors: tuple[str, ...]) -> list[Finding]:
    """Every change to a level that a ``safety.protected`` selector matches."""
    if not selectors:
        return []
    rules = [s.partition("=") for s in selectors]
    found, seen = [], set()
    for c in plan.changes:
        level = c.level
        location = Location(level.location_id, level.location)
        for name, _, value in rules:
            if (level.key not in seen
                    and matches_selector(name, value, location, level.sku, level.item_id)):
                seen.add(level.key)
                found.append(Finding(
                    "protected",
                    f"is protected by safety.protected {name}={value}: a plan may not change it",
                    level.location, level.sku))
    return found
