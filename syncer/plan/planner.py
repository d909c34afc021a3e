"""``plan(desired, live)``: the changes that take the live store to the manifests.

Pure and deterministic: no I/O, clock, randomness or logging. Quantities are compared with a plain
per-name loop instead of deepdiff: a level has at most six managed quantities, the tolerance band
and the CAS ``before`` value need the numbers themselves, and the loop is what lets 100,000 levels
plan in well under the 2-second budget (see ``benchmarks/bench_planner.py``).

Tolerance applies to levels that are active live and stay so, or stay inactive: it absorbs drift
from sales. A level this plan activates (new, or reactivated) gets its managed quantities exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from syncer.errors import Source, quoted
from syncer.model import (
    ADJUSTABLE,
    ITEM_GID,
    LOCATION_GID,
    DesiredLevel,
    DesiredState,
    Item,
    LiveLevel,
    LiveState,
    Location,
    nfc,
)
from syncer.plan.changes import Activate, Adjust, Change, Deactivate, LevelRef, Plan
from syncer.plan.discounts import plan_discounts
from syncer.plan.names import ItemIndex, by_name, suggestion
from syncer.plan.notices import PlanProblem, PlanWarning
from syncer.plan.safety import check_safety
from syncer.plan.selection import Selection, parse_selection, parse_selector, selection_notes

__all__ = ["Selection", "parse_selection", "parse_selector", "plan"]

_NOTHING: dict[str, int] = {}
_SETTABLE = frozenset(ADJUSTABLE)


def _resolve_locations(
    desired: DesiredState, live: LiveState, errors: list[PlanProblem]
) -> dict[str, Location]:
    exact, by_nfc = by_name(live.locations.values(), lambda loc: loc.name)
    first_source: dict[str, Source] = {}
    for d in desired.levels:
        first_source.setdefault(d.location, d.source)
    resolved = {}
    for ref in sorted(first_source):
        source = desired.location_sources.get(ref) or first_source[ref]
        if ref.startswith(LOCATION_GID):
            loc = live.locations.get(ref)
            if loc is None:
                errors.append(PlanProblem("unknown_location",
                                          f"location {ref} does not exist in the store",
                                          source=source))
            else:
                resolved[ref] = loc
            continue
        found = exact.get(ref) or by_nfc.get(nfc(ref), ())
        if len(found) == 1:
            resolved[ref] = found[0]
        elif not found:
            hint = suggestion(ref, exact)
            errors.append(PlanProblem("unknown_location",
                                      f"unknown location {quoted(ref)}: no location has this name"
                                      + hint, source=source))
        else:
            ids = ", ".join(sorted(loc.id for loc in found))
            errors.append(PlanProblem(
                "ambiguous_location",
                f"location name {quoted(ref)} matches {len(found)} locations ({ids}); name it by "
                "gid",
                source=source))
    return resolved


def _item_problem(d: DesiredLevel, found: tuple[str, ...], items: ItemIndex) -> PlanProblem:
    if d.item.startswith(ITEM_GID):
        msg, code = f"inventory item {d.item} does not exist in the store", "unknown_item"
    elif not found:
        msg = f"unknown SKU {quoted(d.item)}: no inventory item carries it{items.suggest(d.item)}"
        code = "unknown_sku"
    else:
        msg = (f"SKU {quoted(d.item)} is shared by {len(found)} inventory items "
               f"({', '.join(found)}): "
               "name each of them by its id instead of the SKU, as "
               "gid://shopify/InventoryItem/N")
        code = "ambiguous_sku"
    return PlanProblem(code, msg, d.location, d.item, d.source)


def _deactivation(level: LevelRef, lv: LiveLevel, unmanaged: bool, source: Source | None,
                  errors: list[PlanProblem] | None, warnings: list[PlanWarning],
                  changes: list[Change]) -> None:
    """Deactivate ``lv``; with ``errors`` None (a report, never applied) whatever Shopify says."""
    if errors is None:
        changes.append(Deactivate(level, lv.quantities, lv.deactivation_alert, unmanaged))
        return
    if not lv.can_deactivate:
        why = lv.deactivation_alert or "Shopify refuses to deactivate it (canDeactivate: false)"
        errors.append(PlanProblem("cannot_deactivate", f"cannot deactivate: {why}",
                                  level.location, level.sku, source))
        return
    if lv.deactivation_alert:
        warnings.append(PlanWarning("deactivation_alert", f"Shopify warns: {lv.deactivation_alert}",
                                    level.location, level.sku))
    changes.append(Deactivate(level, lv.quantities, lv.deactivation_alert, unmanaged))


def plan(
    desired: DesiredState,
    live: LiveState,
    *,
    prune: bool = False,
    targets: Iterable[str] | Selection = (),
    excludes: Iterable[str] = (),
    report_only: bool = False,
) -> Plan:
    """The plan that makes ``live`` match ``desired``, with errors, warnings and safety findings.

    Args:
        prune: deactivate live levels at the manifests' locations that no manifest names, as
            ``policy.unmanaged: deactivate`` does.
        targets, excludes: selector strings (``location=NAME``, ``sku=GLOB``, ``code=GLOB``)
            that narrow the plan, or a ``Selection`` as ``targets``. Errors in the manifests'
            references (unknown or ambiguous SKU or location, a level declared twice, an unknown
            discount) are reported whatever the selection; ``canDeactivate: false`` only for
            selected levels.
        report_only: list every difference, also a deactivation Shopify would refuse
            (``canDeactivate: false``), which is then not an error: for drift reports, never
            applied.

    Raises:
        UsageError: a selector is malformed.
    """
    selection = targets if isinstance(targets, Selection) else parse_selection(targets, excludes)
    errors: list[PlanProblem] = []
    refusals = None if report_only else errors  # where canDeactivate: false is reported
    warnings: list[PlanWarning] = []
    changes: list[Change] = []
    locations = _resolve_locations(desired, live, errors)
    tolerance = {k: v for k, v in desired.policy.tolerance.items() if v}
    selective = bool(selection)
    live_levels = dict(live.levels)  # a plain dict: faster lookups than the read-only proxy
    items: dict[str, Item | tuple[str, ...]] = {}
    by_ref = ItemIndex(live)
    seen: dict[tuple[str, str], DesiredLevel] = {}
    considered: list[tuple[Location, str, str]] = []  # levels the selection was tried on
    selected = 0
    append = changes.append

    for d in desired.levels:
        loc = locations.get(d.location)
        if loc is None:
            continue
        item = items.get(d.item)
        if item is None:
            item = items[d.item] = by_ref.resolve(d.item)
        if isinstance(item, tuple):
            errors.append(_item_problem(d, item, by_ref))
            for item_id in item:  # an ambiguous SKU's levels are not "unmanaged"
                seen.setdefault((loc.id, item_id), d)
            continue
        key = (loc.id, item.id)
        if key in seen:
            errors.append(PlanProblem(
                "duplicate_level",
                f"this level is also declared at {seen[key].source} (as {quoted(seen[key].item)})",
                loc.name, by_ref.label(item), d.source))
            continue
        seen[key] = d
        sku = by_ref.label(item)
        if selective:
            considered.append((loc, item.sku or item.id, item.id))
            if not selection.covers(loc, item.sku or item.id, item.id):
                continue
            selected += 1
        lv = live_levels.get(key)
        level = None  # built only when the level has a change: most levels have none
        tol = tolerance
        inactive = False
        if lv is None:
            if not d.active:
                continue
            level = LevelRef(loc.name, sku, loc.id, item.id, None)
            append(Activate(level))
            base: Mapping[str, int] = _NOTHING
            tol = _NOTHING
        elif d.active and not lv.active:
            level = LevelRef(loc.name, sku, loc.id, item.id, lv.id)
            append(Activate(level, True, lv.quantities))
            base, tol = lv.quantities, _NOTHING
        else:
            base = lv.quantities
            inactive = not lv.active
            if lv.active and not d.active:
                level = LevelRef(loc.name, sku, loc.id, item.id, lv.id)
                _deactivation(level, lv, False, d.source, refusals, warnings, changes)
        for name, want in d.quantities.items():
            if name not in _SETTABLE:
                errors.append(PlanProblem(
                    "not_adjustable", f"quantity {quoted(name)} cannot be set; settable: "
                    f"{', '.join(ADJUSTABLE)}", loc.name, sku, d.source))
                continue
            have = base.get(name, 0)
            if want == have or (tol and abs(want - have) <= tol.get(name, 0)):
                continue
            if level is None:
                level = LevelRef(loc.name, sku, loc.id, item.id, None if lv is None else lv.id)
            append(Adjust(level, name, have, want, inactive))

    pruned = 0
    if prune or desired.policy.unmanaged == "deactivate":
        managed_locations = {loc.id: loc for loc in locations.values()}
        for key, lv in live_levels.items():
            loc = managed_locations.get(lv.location_id)
            if loc is None or not lv.active or key in seen:
                continue
            item = live.items.get(lv.item_id)
            sku = by_ref.label(item) if item is not None else lv.item_id
            if selective:
                name = (item.sku if item is not None else None) or lv.item_id
                considered.append((loc, name, lv.item_id))
                if not selection.covers(loc, name, lv.item_id):
                    continue
                selected += 1
            pruned += 1
            level = LevelRef(loc.name, sku, loc.id, lv.item_id, lv.id)
            _deactivation(level, lv, True, None, refusals, warnings, changes)

    if selective:
        selection_notes(selection, considered, selected, [d.ref for d in desired.discounts],
                        errors, warnings)
    if not report_only:
        warnings.extend(_last_level_warnings(changes, live))
    discounts = plan_discounts(desired.discounts, live.discounts,
                               selection.covers_code if selective else None)
    costs = {}
    for c in changes:
        if isinstance(c, Adjust):
            item = live.items.get(c.level.item_id)
            if item is not None and item.unit_cost is not None:
                costs[item.id] = item.unit_cost
    result = Plan(tuple(changes), (*errors, *discounts.errors), (*warnings, *discounts.warnings),
                  (), len(seen) + pruned, discounts.changes, unit_costs=costs)
    findings = () if report_only else [*check_safety(result, live, desired.safety),
                                       *discounts.findings]
    return result.with_findings(findings) if findings else result


def _last_level_warnings(changes: list[Change], live: LiveState) -> list[PlanWarning]:
    """Warn when a plan deactivates every active level syncer read for an item.

    Shopify refuses to deactivate an item's last active level; each level's ``canDeactivate``
    was computed with the others still active, so only the plan as a whole can see this. A single
    deactivation needs no warning: its ``canDeactivate`` already counts levels syncer did not read.
    """
    gone: dict[str, list[Deactivate]] = {}
    for c in changes:
        if isinstance(c, Deactivate):
            gone.setdefault(c.level.item_id, []).append(c)
    if not gone:
        return []
    for c in changes:
        if isinstance(c, Activate):
            gone.pop(c.level.item_id, None)
    active: dict[str, int] = dict.fromkeys(gone, 0)
    levels = live.levels
    for key in levels:
        if key[1] in active and levels[key].active:
            active[key[1]] += 1
    warnings = []
    for item_id, cs in gone.items():
        if len(cs) > 1 and active[item_id] <= len(cs):
            what = f"all {len(cs)} active levels"
            warnings.append(PlanWarning(
                "last_active_level",
                f"the plan deactivates {what} of {cs[0].level.sku} that syncer read; Shopify "
                "refuses to deactivate an item's last active level", None, cs[0].level.sku))
    return warnings
