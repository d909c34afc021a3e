"""Renderers: pure functions from a ``Plan`` to text, JSON or Markdown (and the drift views).

They return strings; the CLI writes them and decides on colour (a terminal without ``NO_COLOR``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from syncer.errors import plural
from syncer.plan import discounts
from syncer.plan.changes import Activate, Adjust, Deactivate, Plan
from syncer.plan.encoding import document_json
from syncer.plan.fit import MARKDOWN_LIMIT as MARKDOWN_LIMIT  # re-exported
from syncer.plan.fit import fit_sections
from syncer.plan.notices import Finding, Notice

_NOTES_SHOWN = 50

_ANSI = {"+": "32", "~": "33", "-": "31", "!": "35", "x": "1;31", "h": "1"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color else text


def _quantities_text(quantities) -> str:
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
    loose = []
    notes = [("!", n) for n in plan.findings] + [("!", n) for n in plan.warnings]
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
    if plan.has_changes:
        line = (f"{'Partial plan' if partial else 'Plan'}: {s.to_activate:,} to activate, "
                f"{s.to_adjust:,} to adjust (+{s.units_added:,}/-{s.units_removed:,} units), "
                f"{s.to_deactivate:,} to deactivate.") + discounts.summary_text(plan.discounts)
    elif plan.errors:
        line = "Nothing to change where the manifests could be planned, but"
    elif partial:
        line = "No changes in the selected levels (a partial plan)."
    else:
        line = "No changes. The store matches the manifests."
    if plan.findings:
        line += f" Unsafe: {plural(len(plan.findings), 'finding')} (see above)."
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
        out.append(_paint(location, "h", color))
        for sku in sorted(groups[location]):
            level = groups[location][sku]
            for symbol, label, text in level.lines():
                out.append(_paint(f"  {symbol} {label:<{width}}  {text}", symbol, color))
            for symbol, note in level.notes:
                out.append(_paint(f"      {symbol} {note.message}", symbol, color))
    rows = discounts.change_lines(plan.discounts)
    if rows:
        out.append(_paint("Discount codes", "h", color))
        label_width = max(len(label) for _, label, _ in rows)
        out.extend(_paint(f"  {symbol} {label:<{label_width}}  {text}", symbol, color)
                   for symbol, label, text in rows)
    for title, symbol, notes in (
        ("Unsafe:", "!", [n for _, n in loose if isinstance(n, Finding)]),
        ("Warnings:", "!", [n for _, n in loose if not isinstance(n, Finding)]),
        ("Errors:", "x", list(plan.errors)),
    ):
        if notes:
            if out:
                out.append("")
            out.append(_paint(title, "h", color))
            out.extend(_paint(f"  {symbol} {n}", symbol, color) for n in notes)
    if out:
        out.append("")
    out.append(summary_line(plan))
    out.append(f"Fingerprint {plan.fingerprint[:12]}")
    return "\n".join(out) + "\n"


def render_json(plan: Plan) -> str:
    """The plan as stable JSON (``schemas/plan.schema.json``)."""
    return document_json(plan.to_dict())


#: Characters that could start Markdown or HTML in a table cell or list item: backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
#: A mention (``@team``) or reference (``#12``) in manifest data must not notify or link anyone:
#: a zero-width space after the sign breaks it and stays invisible.
_MENTION = re.compile(r"([@#])(?=[\w-])")


def escape_markdown(text: object) -> str:
    r"""``text`` (a SKU, a location name, a message) as literal Markdown text on one line.

    >>> escape_markdown("**x** <b>@ops</b> [a](b) | c")
    '\\*\\*x\\*\\* \\<b\\>@\u200bops\\</b\\> \\[a\\](b) \\| c'
    """
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))
    return _MENTION.sub("\\1\u200b", text)


def escape_html(text: object) -> str:
    """``text`` as literal HTML text (a ``<summary>``: Markdown is not read there)."""
    return _MENTION.sub("\\1\u200b", html.escape(" ".join(str(text).splitlines())))


_md = escape_markdown


def _md_notes(title: str, notes: Iterable[Notice]) -> list[str]:
    notes = list(notes)
    if not notes:
        return []
    out = [f"**{title}**", ""]
    out.extend(f"- {_md(n)}" for n in notes[:_NOTES_SHOWN])
    if len(notes) > _NOTES_SHOWN:
        out.append(f"- ... and {len(notes) - _NOTES_SHOWN} more")
    return out + [""]


def render_markdown(plan: Plan) -> str:
    """The plan for a pull-request comment: summary table, notes, details collapsed per location."""
    s = plan.summary
    head = [
        "### syncer plan", "",
        "| Change | Levels | Units |", "|---|---:|---:|",
        f"| + activate | {s.to_activate:,} | |",
        f"| ~ adjust | {s.to_adjust:,} | +{s.units_added:,} / -{s.units_removed:,} |",
        f"| - deactivate | {s.to_deactivate:,} | |", "",
    ]
    head += _md_notes("Errors: the plan cannot be applied", plan.errors)
    head += _md_notes("Unsafe: apply needs --force", plan.findings)
    head += _md_notes("Warnings", plan.warnings)
    groups, _ = _group(plan)
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
    tail = [summary_line(plan), "", f"Fingerprint `{plan.fingerprint[:12]}`"]
    return fit_sections(head, sections, tail, "changes")


def drift_entries(plan: Plan) -> list[dict]:
    """Where the live store left the manifests, one entry per quantity or activation state.

    Quantity entries carry ``desired``, ``live`` and ``delta = desired - live``, the change a
    plan would make (the same sign as ``plan``); activation entries carry the states
    (``active``/``inactive``/``missing``) and ``delta: None``.
    """
    entries = []
    for c in plan.changes:
        lv = c.level
        entry = {"location": lv.location, "sku": lv.item_sku, "location_id": lv.location_id,
                 "item_id": lv.item_id}
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


def _label(entry: dict) -> str:
    """How a drift entry's item is shown: its SKU, or its ID when it has none."""
    return entry["sku"] or entry["item_id"]


def _drift_text(e: dict) -> str:
    if e["kind"] == "quantity":
        where = " (inactive)" if e["inactive"] else ""
        return (f"{e['quantity']}{where}: live {e['live']:,}, desired {e['desired']:,} "
                f"({e['delta']:+,d})")
    return f"{e['live']}, desired {e['desired']}"


def _drift_line(plan: Plan, entries: list[dict]) -> str:
    partial = " in the selected levels" if plan.partial else ""
    if entries:
        levels = len({(e["location_id"], e["item_id"]) for e in entries})
        verb = "differs" if levels == 1 else "differ"
        line = f"Drift: {plural(levels, 'level')}{partial} {verb} from the manifests."
    elif plan.discounts:
        line = "Drift:"
    elif plan.errors:
        line = f"No drift found{partial} where the manifests could be read, but"
    else:
        line = f"No drift{partial}. The store matches the manifests."
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
            out.append(_paint(location, "h", color))
        out.append(f"  {_label(e):<{width}}  {_drift_text(e)}")
    out += _discount_drift_lines(plan, color)
    for title, symbol, notes in (("Warnings:", "!", plan.warnings), ("Errors:", "x", plan.errors)):
        if notes:
            if out:
                out.append("")
            out.append(_paint(title, "h", color))
            out += [_paint(f"  {symbol} {n}", symbol, color) for n in notes]
    if out:
        out.append("")
    out.append(_drift_line(plan, entries))
    return "\n".join(out) + "\n"


def _discount_drift_text(e: dict) -> str:
    ends = f" until {e['ends_at']}" if e["ends_at"] else ""
    return f"{e['live']} (from {e['starts_at']}{ends}), desired {e['desired']}"


def _discount_drift_lines(plan: Plan, color: bool) -> list[str]:
    entries = discounts.drift_entries(plan.discounts)
    if not entries:
        return []
    width = max(len(e["discount"]) for e in entries)
    return [_paint("Discount codes", "h", color)] + [
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
    if plan.discounts:
        data["discounts"] = discounts.drift_entries(plan.discounts)
    return document_json(data)


def render_drift_markdown(plan: Plan) -> str:
    """Drift for an issue or comment: a count, then details collapsed per location."""
    entries = drift_entries(plan)
    head = ["### syncer drift", ""]
    head += _md_notes("Errors", plan.errors)
    head += _md_notes("Warnings", plan.warnings)
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
