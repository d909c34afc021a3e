"""``syncer report DIR -o drift.html``: the drift history as one self-contained page.

Read from ``DIR/history.jsonl`` (``history.py``). Per store: drift units over time per location
(an inline SVG chart, applies marked on the timeline), the SKUs that drift most, drift grouped by
value transition (the same change on many levels is one row), and every run. No network, no
script: inline SVG and CSS only, so the page opens from a CI artifact or a file as it is.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncer.engine.history import FILE, read
from syncer.errors import plural
from syncer.outputs import check_output, write_output

#: Locations drawn as their own line; the rest are summed into one "other locations" line.
LINES = 8
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f")
#: Rows of the "drifts most" and "transitions" tables.
TOP = 20
WIDTH, HEIGHT, PAD = 760, 220, 40


@dataclass(frozen=True, slots=True)
class ReportResult:
    path: str
    runs: int
    stores: int
    skipped: tuple[int, ...]  # line numbers that were not records


def report(folder: str, out: str) -> ReportResult:
    """Draw ``folder``'s history into the page ``out`` (``-``: standard output)."""
    check_output("-o", out, [("the history", str(Path(folder) / FILE))], example="drift.html")
    records: list[dict[str, Any]] = []
    skipped = []
    for number, record in read(folder):
        if record is None:
            skipped.append(number)
        else:
            records.append(record)
    by_store: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_store[str(record.get("store"))].append(record)
    sections = [_store_section(store, sorted(runs, key=lambda r: str(r.get("time"))))
                for store, runs in sorted(by_store.items())]
    note = (f"<p class=note>Lines {', '.join(map(str, skipped))} of {html.escape(FILE)} are "
            "not records (a run stopped while writing?) and were left out.</p>"
            if skipped else "")
    body = "".join(sections) or "<p>No runs recorded yet.</p>"
    page = PAGE.format(title=f"syncer drift report: {html.escape(Path(folder).name or folder)}",
                       runs=plural(len(records), "run"), stores=plural(len(by_store), "store"),
                       note=note, body=body)
    write_output(out, page)
    return ReportResult(out, len(records), len(by_store), tuple(skipped))


def _store_section(store: str, runs: list[dict[str, Any]]) -> str:
    drifts = [r for r in runs if r.get("kind") == "drift"]
    applies = [r for r in runs if r.get("kind") == "apply"]
    last = runs[-1]
    name = last.get("shop_name") or last.get("shop") or store
    title = f"{name} ({last.get('shop')})" if last.get("shop") else name
    parts = [f"<section><h2>{html.escape(title)}</h2><p class=where>{html.escape(store)}: "
             f"{len(drifts)} drift runs, {len(applies)} applies</p>"]
    if drifts:
        parts.append(_chart(drifts, applies))
        parts.append(_top_skus(drifts))
        parts.append(_transitions(drifts))
    parts.append(_runs_table(runs))
    parts.append("</section>")
    return "".join(parts)


def _per_location(drifts: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Units drifted per location and run (absolute deltas summed)."""
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(drifts))
    for i, run in enumerate(drifts):
        for level in run.get("levels") or ():
            if isinstance(level.get("delta"), int):
                series[str(level.get("location"))][i] += abs(level["delta"])
    if len(series) > LINES:
        ranked = sorted(series, key=lambda k: -sum(series[k]))
        others = [sum(vals) for vals in zip(*(series[k] for k in ranked[LINES - 1:]),
                                            strict=True)]
        series = {k: series[k] for k in ranked[:LINES - 1]}
        series[f"{len(ranked) - LINES + 1} other locations"] = others
    return dict(series)


def _chart(drifts: list[dict[str, Any]], applies: list[dict[str, Any]]) -> str:
    series = _per_location(drifts)
    times = [str(r.get("time")) for r in drifts]
    top = max([max(v, default=0) for v in series.values()] + [1])
    n = len(drifts)

    def x(i: float) -> float:
        return PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return HEIGHT - PAD + (2 * PAD - HEIGHT) * v / top

    out = [f'<svg role="img" aria-label="drift units over time" width="{WIDTH}" '
           f'height="{HEIGHT + 20 * ((len(series) + 2) // 3)}" viewBox="0 0 {WIDTH} '
           f'{HEIGHT + 20 * ((len(series) + 2) // 3)}" xmlns="http://www.w3.org/2000/svg">',
           f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
           'stroke="#999"/>',
           f'<text x="{PAD}" y="{PAD - 8}" class=axis>{top:,} units</text>',
           f'<text x="{PAD}" y="{HEIGHT - PAD + 16}" class=axis>{html.escape(times[0][:10])}'
           f'</text>',
           f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" class=axis text-anchor="end">'
           f'{html.escape(times[-1][:10])}</text>']
    for record in applies:  # applies on the timeline, between the drift runs around them
        at = sum(1 for t in times if t <= str(record.get("time")))
        px = x(max(0.0, min(n - 1.0, at - 0.5)))
        out.append(f'<line x1="{px:.1f}" y1="{PAD}" x2="{px:.1f}" y2="{HEIGHT - PAD}" '
                   f'stroke="#000" stroke-dasharray="3 3"><title>apply '
                   f'{html.escape(str(record.get("time")))}</title></line>')
    for k, (location, values) in enumerate(sorted(series.items())):
        color = COLORS[k % len(COLORS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" '
                   f'points="{points}"><title>{html.escape(location)}</title></polyline>')
        lx, ly = PAD + 240 * (k % 3), HEIGHT + 4 + 20 * (k // 3)
        out.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14}" y="{ly + 9}" class=axis>{html.escape(location[:30])}'
                   f'</text>')
    out.append("</svg>")
    return "<h3>Drift units over time, per location (dashed: applies)</h3>" + "".join(out)


def _top_skus(drifts: list[dict[str, Any]]) -> str:
    runs: Counter[tuple[str, str]] = Counter()
    units: Counter[tuple[str, str]] = Counter()
    for run in drifts:
        seen = set()
        for level in run.get("levels") or ():
            key = (str(level.get("sku") or level.get("item_id")), str(level.get("location")))
            if key not in seen:
                seen.add(key)
                runs[key] += 1
            if isinstance(level.get("delta"), int):
                units[key] += abs(level["delta"])
    rows = sorted(runs, key=lambda k: (-runs[k], -units[k], k))[:TOP]
    return _table("The levels that drift most", ("SKU", "location", "runs drifted", "units"),
                  [(sku, loc, f"{runs[(sku, loc)]:,}", f"{units[(sku, loc)]:,}")
                   for sku, loc in rows])


def _transitions(drifts: list[dict[str, Any]]) -> str:
    """The same transition (what, live value, declared value) on many levels is one row."""
    count: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for run in drifts:
        for level in run.get("levels") or ():
            key = (str(level.get("quantity") or level.get("kind")), str(level.get("live")),
                   str(level.get("desired")))
            count[key] += 1
            if len(examples[key]) < 3:
                examples[key].add(str(level.get("sku") or level.get("item_id")))
    rows = sorted(count, key=lambda k: (-count[k], k))[:TOP]
    return _table("Drift by transition", ("what", "live", "declared", "times", "for example"),
                  [(*key, f"{count[key]:,}", ", ".join(sorted(examples[key]))) for key in rows])


def _runs_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in reversed(runs):
        if run.get("kind") == "drift":
            totals = run.get("totals") or {}
            what = (f"{totals.get('levels', 0):,} levels drifted, {totals.get('units', 0):,} "
                    "units" if totals.get("levels") else "no drift")
        else:
            summary = run.get("summary") or {}
            what = "applied " + ", ".join(f"{v:,} {k}" for k, v in summary.items()
                                          if isinstance(v, int) and v) + (
                f" (plan {str(run.get('plan_id'))[:8]})")
        rows.append((str(run.get("time")), str(run.get("kind")), str(run.get("exit_code")),
                     what))
    return _table("Runs, newest first", ("time", "run", "exit", "what"), rows)


def _table(title: str, head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                    for row in rows)
    if not cells:
        return f"<h3>{html.escape(title)}</h3><p>Nothing yet.</p>"
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<h3>{html.escape(title)}</h3><table><tr>{header}</tr>{cells}</table>"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }}
td, th {{ border: 1px solid #ddd; padding: 2px 8px; text-align: left; }}
.axis {{ font-size: 11px; fill: #555; }} .where, .note {{ color: #555; }}
</style></head><body>
<h1>{title}</h1>
<p>{runs}, {stores}. Made by <code>syncer report</code> from history.jsonl.</p>
{note}{body}
</body></html>
"""

