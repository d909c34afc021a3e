"""Drift renderers: where the live store left the manifests, as text, JSON or Markdown.

``drift_entries`` lists each differing quantity or activation state of a plan made against the
live store (``syncer drift``); ``render_drift_text``, ``render_drift_json`` (for monitoring) and
``render_drift_markdown`` (for an issue or comment) show them with the plan's warnings, errors
and discount codes. Pure functions, as the plan renderers in ``syncer.plan.render``.
"""

from __future__ import annotations

from typing import Any

from syncer.errors import plural
from syncer.plan import discounts
from syncer.plan.changes import Activate, Adjust, Plan
from syncer.plan.encoding import document_json
from syncer.plan.fit import fit_sections
from syncer.plan.markup import escape_html, escape_markdown, markdown_notes, paint
from syncer.plan.origin import origin_line
from syncer.plan.value import by_location, value_block, value_document, value_rows

_md = escape_markdown
#: Drift is valued as the plan that would undo it: units it would add and remove, at cost.
_VALUE_TITLE = "Value at cost of undoing the drift (what a plan would change)"


def drift_entries(plan: Plan) -> list[dict[str, Any]]:
    """Where the live store left the manifests, one entry per quantity or activation state.

    Quantity entries carry ``desired``, ``live`` and ``delta = desired - live``, the change a
    plan would make (the same sign as ``plan``); activation entries carry the states
    (``active``/``inactive``/``missing``) and ``delta: None``.
    """
    entries: list[dict[str, Any]] = []
    for c in plan.changes:
        lv = c.level
        entry: dict[str, Any] = {"location": lv.location, "sku": lv.item_sku,
                                 "location_id": lv.location_id, "item_id": lv.item_id}
        if isinstance(c, Adjust):
            entry.update(kind="quantity", quantity=c.quantity, desired=c.after, live=c.before,
                         delta=c.after - c.before, inactive=c.inactive)
        elif isinstance(c, Activate):
            entry.update(kind="activation", quantity=None, desired="active",
                         live="inactive" if c.reactivation else "missing", delta=None,
                         inactive=c.reactivation)
        else:
            entry.update(kind="deactivation", quantity=None,
                         desired="unmanaged" if c.unmanaged else "inactive", live="active",
                         delta=None, inactive=False)
        entries.append(entry)
    entries.sort(key=lambda e: (e["location"], _label(e), e["kind"] != "activation",
                                e["quantity"] or ""))
    return entries


def _label(entry: dict[str, Any]) -> str:
    """How a drift entry's item is shown: its SKU, or its ID when it has none."""
    label: str = entry["sku"] or entry["item_id"]
    return label


def _drift_text(e: dict[str, Any]) -> str:
    if e["kind"] == "quantity":
        where = " (inactive)" if e["inactive"] else ""
        return (f"{e['quantity']}{where}: live {e['live']:,}, desired {e['desired']:,} "
                f"({e['delta']:+,d})")
    return f"{e['live']}, desired {e['desired']}"


def _drift_line(plan: Plan, entries: list[dict[str, Any]]) -> str:
    partial = " in the selected levels" if plan.partial else ""
    selected = " in the selection" if plan.partial else ""  # levels, discount codes or both
    if entries:
        levels = len({(e["location_id"], e["item_id"]) for e in entries})
        verb = "differs" if levels == 1 else "differ"
        line = f"Drift: {plural(levels, 'level')}{partial} {verb} from the manifests."
    elif plan.discounts:
        line = "Drift:"
    elif plan.errors:
        line = f"No drift found{selected} where the manifests could be read, but"
    else:
        line = f"No drift{selected}. The store matches the manifests."
    if plan.discounts:
        n = len(plan.discounts)
        line += (f" {plural(n, 'discount code')} {'differs' if n == 1 else 'differ'} from the "
                 "manifests.")
    if plan.errors:
        line += (f" {plural(len(plan.errors), 'error')} (see above): levels the errors concern "
                 "were not checked.")
    return line


def render_drift_text(plan: Plan, *, color: bool = False) -> str:
    """Drift for a terminal: per location, each live value that differs from its manifest."""
    entries = drift_entries(plan)
    out: list[str] = []
    width = max((len(_label(e)) for e in entries), default=0)
    location = None
    for e in entries:
        if e["location"] != location:
            location = e["location"]
            out.append(paint(location, "h", color))
        out.append(f"  {_label(e):<{width}}  {_drift_text(e)}")
    out += _discount_drift_lines(plan, color)
    for title, symbol, notes in (("Warnings:", "!", plan.warnings), ("Errors:", "x", plan.errors)):
        if notes:
            if out:
                out.append("")
            out.append(paint(title, "h", color))
            out += [paint(f"  {symbol} {n}", symbol, color) for n in notes]
    value = value_block(_VALUE_TITLE + ":", plan.moves(), plan.unit_costs)
    if value:
        out += ["", *value] if out else value
    if out:
        out.append("")
    out.append(_drift_line(plan, entries))
    return origin_line(plan.origin) + "\n".join(out) + "\n"


def _discount_drift_text(e: dict[str, Any]) -> str:
    ends = f" until {e['ends_at']}" if e["ends_at"] else ""
    return f"{e['live']} (from {e['starts_at']}{ends}), desired {e['desired']}"


def _discount_drift_lines(plan: Plan, color: bool) -> list[str]:
    entries = discounts.drift_entries(plan.discounts)
    if not entries:
        return []
    width = max(len(e["discount"]) for e in entries)
    return [paint("Discount codes", "h", color)] + [
        f"  {e['discount']:<{width}}  {_discount_drift_text(e)}" for e in entries]


def render_drift_json(plan: Plan) -> str:
    """Drift as JSON for monitoring: ``{"drift": [...], "levels": N, "errors": [...],
    "warnings": [...]}``."""
    entries = drift_entries(plan)
    data = {
        "drift": entries,
        "levels": len({(e["location_id"], e["item_id"]) for e in entries}),
        "errors": [n.to_dict() for n in plan.errors],
        "warnings": [n.to_dict() for n in plan.warnings],
    }
    if entries:
        data["value"] = value_document(plan.moves(), plan.unit_costs)
    if plan.discounts:
        data["discounts"] = discounts.drift_entries(plan.discounts)
    if plan.origin is not None:
        data.update(plan.origin.to_dict())
    return document_json(data)


def render_drift_markdown(plan: Plan) -> str:
    """Drift for an issue or comment: a count, then details collapsed per location."""
    entries = drift_entries(plan)
    head = ["### syncer drift", ""]
    if plan.origin is not None:
        head += [origin_line(plan.origin, markdown=True).rstrip("\n"), ""]
    head += markdown_notes("Errors", plan.errors)
    head += markdown_notes("Warnings", plan.warnings)
    located = {name: v for name, (_, v) in by_location(plan.moves(), plan.unit_costs).items()}
    value_table = value_rows(located, plan.value)
    if value_table:
        head += [f"**{_VALUE_TITLE}**", "", "| Location | Units | Value at cost |",
                 "|---|---:|---|"]
        head += [f"| {_md(name)} | {units} | {_md(text)} |"
                 for name, units, text in value_table] + [""]
    sections: dict[str, list[str]] = {}
    for e in entries:
        sections.setdefault(e["location"], []).append(
            f"| | {_md(_label(e))} | {_md(_drift_text(e))} |")
    parts = [(f"{escape_html(loc)} ({plural(len(rows), 'difference')})", rows)
             for loc, rows in sections.items()]
    rows = [f"| | {_md(e['discount'])} | {_md(_discount_drift_text(e))} |"
            for e in discounts.drift_entries(plan.discounts)]
    if rows:
        parts.append((f"Discount codes ({plural(len(rows), 'difference')})", rows))
    return fit_sections(head, parts, [_drift_line(plan, entries)], "differences")
