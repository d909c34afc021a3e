"""Renderers: pure functions from a ``Plan`` to text, JSON or Markdown (and the drift views).

They return strings; the CLI writes them and decides on colour (a terminal without ``NO_COLOR``).
This module holds the plan renderers and ``RENDERERS``/``DRIFT_RENDERERS``, the renderer of each
``--format``. The drift renderers live in ``syncer.plan.drift``, the colour and escaping both
share in ``syncer.plan.markup``; the drift renderers and ``escape_markdown`` import from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from syncer.errors import plural
from syncer.plan import discounts
from syncer.plan.changes import Activate, Adjust, Deactivate, Plan, Summary
from syncer.plan.drift import drift_entries as drift_entries  # re-exported
from syncer.plan.drift import render_drift_json as render_drift_json  # re-exported
from syncer.plan.drift import render_drift_markdown as render_drift_markdown  # re-exported
from syncer.plan.drift import render_drift_text as render_drift_text  # re-exported
from syncer.plan.encoding import document_json
from syncer.plan.fit import MARKDOWN_LIMIT as MARKDOWN_LIMIT  # re-exported
from syncer.plan.fit import fit_sections
from syncer.plan.markup import escape_html, markdown_notes, paint
from syncer.plan.markup import escape_markdown as escape_markdown  # re-exported
from syncer.plan.notices import Finding, Notice
from syncer.plan.origin import origin_line
from syncer.plan.value import StockValue, value_block

_md = escape_markdown


def _quantities_text(quantities: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in quantities.items() if v and k != "on_hand")


def _adjust_text(a: Adjust) -> str:
    return f"{a.quantity} {a.before:,} -> {a.after:,} ({a.delta:+,d})"


class _Level:
    __slots__ = ("location", "sku", "activate", "adjusts", "deactivate", "notes")

    def __init__(self, location: str, sku: str):
        self.location, self.sku = location, sku
        self.activate: Activate | None = None
        self.adjusts: list[Adjust] = []
        self.deactivate: Deactivate | None = None
        self.notes: list[tuple[str, Notice]] = []

    def lines(self) -> list[tuple[str, str, str]]:
        """(symbol, label, text) rows for this level, in the order apply runs them."""
        rows = []
        adjusts = "   ".join(_adjust_text(a) for a in self.adjusts)
        if self.activate is not None:
            a = self.activate
            word = "activate"
            if a.reactivation:
                restored = _quantities_text(a.restores)
                word = f"reactivate (restores {restored})" if restored else "reactivate"
            rows.append(("+", self.sku, f"{word}   {adjusts}".rstrip()))
        elif self.adjusts:
            inactive = self.adjusts[0].inactive
            rows.append(("~", self.sku + (" (inactive)" if inactive else ""), adjusts))
        if self.deactivate is not None:
            why = " (not in the manifests)" if self.deactivate.unmanaged else ""
            rows.append(("-", self.sku, "deactivate" + why))
        return rows


def _group(plan: Plan) -> tuple[dict[str, dict[str, _Level]], list[tuple[str, Notice]]]:
    """Changes and level notes grouped by location then SKU; notes of no shown level apart."""
    groups: dict[str, dict[str, _Level]] = {}
    for c in plan.changes:
        lv = c.level
        level = groups.setdefault(lv.location, {}).get(lv.sku)
        if level is None:
            level = groups[lv.location][lv.sku] = _Level(lv.location, lv.sku)
        if isinstance(c, Activate):
            level.activate = c
        elif isinstance(c, Adjust):
            level.adjusts.append(c)
        else:
            level.deactivate = c
    loose: list[tuple[str, Notice]] = []
    notes: list[tuple[str, Notice]] = (
        [("!", n) for n in plan.findings] + [("!", n) for n in plan.warnings])
    for symbol, note in notes:
        level = groups.get(note.location or "", {}).get(note.sku or "")
        if level is not None:
            level.notes.append((symbol, note))
        else:
            loose.append((symbol, note))
    return groups, loose


def summary_line(plan: Plan) -> str:
    """``Plan: 2 to activate, 14 to adjust (+120/-35 units), 1 to deactivate.`` and safety."""
    s = plan.summary
    partial = plan.partial
    if plan.without_levels and plan.discounts:
        line = f"{'Partial plan' if partial else 'Plan'}:" + discounts.summary_text(plan.discounts)
    elif plan.has_changes:
        line = (f"{'Partial plan' if partial else 'Plan'}: {s.to_activate:,} to activate, "
                f"{s.to_adjust:,} to adjust (+{s.units_added:,}/-{s.units_removed:,} units), "
                f"{s.to_deactivate:,} to deactivate.") + discounts.summary_text(plan.discounts)
    elif plan.errors:
        line = "Nothing to change where the manifests could be planned, but"
    elif partial:
        line = "No changes in the selection (a partial plan)."
    else:
        line = "No changes. The store matches the manifests."
    if plan.findings:
        line += (f" Unsafe: {plural(len(plan.findings), 'finding')} (see above): apply needs "
                 "--force.")
    if plan.errors:
        line += f" {plural(len(plan.errors), 'error')}: the plan cannot be applied."
    return line




def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan for a terminal: grouped by location, ``+``/``~``/``-`` per level, then a summary."""
    groups, loose = _group(plan)
    out: list[str] = []
    width = max((len(label) for levels in groups.values() for lv in levels.values()
                 for _, label, _ in lv.lines()), default=0)
    for location in sorted(groups):
        out.append(paint(location, "h", color))
        for sku in sorted(groups[location]):
            level = groups[location][sku]
            for symbol, label, text in level.lines():
                out.append(paint(f"  {symbol} {label:<{width}}  {text}", symbol, color))
            for symbol, note in level.notes:
                out.append(paint(f"      {symbol} {note.message}", symbol, color))
    rows = discounts.change_lines(plan.discounts)
    if rows:
        out.append(paint("Discount codes", "h", color))
        label_width = max(len(label) for _, label, _ in rows)
        out.extend(paint(f"  {symbol} {label:<{label_width}}  {text}", symbol, color)
                   for symbol, label, text in rows)
    for title, symbol, notes in (
        ("Unsafe:", "!", [n for _, n in loose if isinstance(n, Finding)]),
        ("Warnings:", "!", [n for _, n in loose if not isinstance(n, Finding)]),
        ("Errors:", "x", list(plan.errors)),
    ):
        if notes:
            if out:
                out.append("")
            out.append(paint(title, "h", color))
            out.extend(paint(f"  {symbol} {n}", symbol, color) for n in notes)
    value = value_block("Value at cost:", plan.moves(), plan.unit_costs)
    if value:
        out += ["", *value] if out else value
    if out:
        out.append("")
    out.append(summary_line(plan))
    out.append(f"Fingerprint {plan.fingerprint[:12]}")
    return origin_line(plan.origin) + "\n".join(out) + "\n"



def render_json(plan: Plan) -> str:
    """The plan as stable JSON (``schemas/plan.schema.json``)."""
    return document_json(plan.to_dict())


#: The comment shows this many changes (the largest, unsafe ones first); the rest are in the
#: full plan, collapsed, and in the saved plan file.
TOP_CHANGES = 20
#: Locations listed in the summary table; more are counted in one closing row.
_LOCATIONS_SHOWN = 20


def _change_row(symbol: str, where: str, label: str, text: str) -> str:
    return f"| {symbol} | {_md(where)} | {_md(label)} | {_md(text.replace(' -> ', ' → '))} |"


def _counts_row(name: str, s: Summary, value: StockValue) -> str:
    return (f"| {name} | {s.to_activate:,} | {s.to_adjust:,} | {s.to_deactivate:,} | "
            f"+{s.units_added:,} / -{s.units_removed:,} | {_md(value.text())} |")


def _location_table(plan: Plan, groups: dict[str, dict[str, _Level]]) -> list[str]:
    """Per location: levels to activate, adjust and deactivate, units added and removed, and
    their value at cost."""
    by_location: dict[str, list[Any]] = {}
    for c in plan.changes:
        by_location.setdefault(c.level.location, []).append(c)
    summaries = {loc: Summary.of(changes) for loc, changes in by_location.items()}
    # the locations with the most levels changed (then units moved) are listed, by name
    ranked = sorted(summaries, key=lambda loc: (
        -len(groups[loc]), -summaries[loc].units_added - summaries[loc].units_removed, loc))
    shown = sorted(ranked[:_LOCATIONS_SHOWN])
    rows = ["| Location | Activate | Adjust | Deactivate | Units | Value at cost |",
            "|---|---:|---:|---:|---:|---|"]
    rows += [_counts_row(_md(location), summaries[location], plan.value_of(by_location[location]))
             for location in shown]
    rest = ranked[_LOCATIONS_SHOWN:]
    if rest:
        changes = [c for loc in rest for c in by_location[loc]]
        rows.append(_counts_row(plural(len(rest), "more location"), Summary.of(changes),
                                plan.value_of(changes)))
    return rows + [_counts_row("**Total**", plan.summary, plan.value), ""]


def _rank(level: _Level) -> tuple[Any, ...]:
    """Levels with an unsafe finding first, then deactivations, then the most units moved."""
    unsafe = any(isinstance(note, Finding) for _, note in level.notes)
    moved = sum(abs(a.delta) for a in level.adjusts)
    return (not unsafe, level.deactivate is None, -moved, level.location, level.sku)


def _top_changes(plan: Plan, groups: dict[str, dict[str, _Level]]) -> tuple[list[str], int]:
    """The changes a reviewer reads first (at most ``TOP_CHANGES`` rows, a level's rows kept
    together), and how many rows the whole plan has."""
    levels = sorted((lv for by_sku in groups.values() for lv in by_sku.values()), key=_rank)
    rows = [[_change_row(symbol, lv.location, label, text) for symbol, label, text in lv.lines()]
            for lv in levels]
    rows += [[_change_row(symbol, "Discount codes", label, text)]
             for symbol, label, text in discounts.change_lines(plan.discounts)]
    total = sum(map(len, rows))
    if not total:
        return [], 0
    shown: list[str] = []
    for level_rows in rows:
        if len(shown) + len(level_rows) > TOP_CHANGES:
            break
        shown += level_rows
    title = ("**Changes**" if len(shown) == total else
             f"**The largest changes** ({len(shown)} of {total:,}, unsafe ones first; "
             "all of them under Full plan)")
    return [title, "", "| | Location | SKU | Change |", "|---|---|---|---|", *shown, ""], total


def render_markdown(plan: Plan) -> str:
    """The plan for a pull-request comment, short however large the plan: the fingerprint (also
    as ``<!-- syncer-fingerprint: HEX -->`` for scripts), unsafe findings and errors, a table per
    location, the largest changes, then the full plan collapsed (cut to fit a comment)."""
    groups, _ = _group(plan)
    head = ["### syncer plan", "", f"<!-- syncer-fingerprint: {plan.fingerprint} -->", ""]
    if plan.origin is not None:
        head[2:2] = [origin_line(plan.origin, markdown=True).rstrip("\n"), ""]
    head += markdown_notes("Unsafe: apply needs --force", plan.findings)
    head += markdown_notes("Errors: the plan cannot be applied", plan.errors)
    if plan.changes:
        head += _location_table(plan, groups)
    top, total = _top_changes(plan, groups)
    head += top
    head += markdown_notes("Warnings", plan.warnings)
    tail = [summary_line(plan), "", f"Fingerprint `{plan.fingerprint[:12]}`"]
    if total <= TOP_CHANGES:
        return "\n".join(head + tail) + "\n"
    sections = []
    for location in sorted(groups):
        rows = []
        for sku in sorted(groups[location]):
            for symbol, label, text in groups[location][sku].lines():
                text = text.replace(" -> ", " → ")
                rows.append(f"| {symbol} | {_md(label)} | {_md(text)} |")
        sections.append((f"{escape_html(location)} ({plural(len(rows), 'change')})", rows))
    rows = [f"| {symbol} | {_md(label)} | {_md(text.replace(' -> ', ' → '))} |"
            for symbol, label, text in discounts.change_lines(plan.discounts)]
    if rows:
        sections.append((f"Discount codes ({plural(len(rows), 'change')})", rows))
    head += [f"<details><summary>Full plan ({plural(total, 'change')})</summary>", ""]
    return fit_sections(head, sections, ["</details>", "", *tail], "changes")


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
DRIFT_RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_drift_text,
    "json": render_drift_json,
    "markdown": render_drift_markdown,
}
