"""The performance table: syncer (bulk and paged reads) against a naive docs-style script.

For each size (default 1,000, 10,000 and 100,000 levels, 20% changed; see ``scale.py``) and
each restore rate (100 and 1,000 points/s, bucket 2,000, virtual clock), one plan + apply per
reader, each in its own process so its peak memory (max RSS) is its own. Prints the table, and
with ``--out DIR`` writes ``DIR/performance.md`` (the table) and ``DIR/performance.png`` (the
chart: simulated rate-limit time against levels, log scales).

The naive script sends one query and one mutation per level; above ``--naive-max`` levels its
figures are extrapolated linearly from the largest measured size (marked ``~``): at 100,000
levels it would run for many minutes of wall time to show what a line through two points shows.

The embedded default: ``syncer plan --store state.json`` as a user runs it, one process per row
(``scale.embedded``: wall, CPU and the process's own peak RSS, and their ratios against a
baseline process measured in the same run), with the bulk read and the paged one; with
``--million``, the 1,000,000-level plan too.

The cost floor: what any client must spend. Writes: ``ceil(changed / 250)`` mutation fields of 10
points (``inventoryAdjustQuantities`` takes 250 changes); reads: one bulk run (10) and one
poll (1). Nothing reads a store for less.

    python benchmarks/performance.py [--sizes 1000 10000 100000] [--out docs]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
READERS = ("bulk", "paged", "naive")
RATES = (100.0, 1000.0)
BUCKET = 2000


def run_one(levels: int, reader: str, rate: float, *extra: str, in_process: bool = False) -> dict:
    """One measurement in a child process (or, with ``in_process``, in this one: quicker, for
    the test; peak memory is then this process's)."""
    if in_process:
        from benchmarks import scale

        return scale.measure(levels, reader, rate, apply=list(extra) != ["plan"])
    out = subprocess.run([sys.executable, str(HERE / "scale.py"), str(levels), reader,
                          str(rate), *extra], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def extrapolate(row: dict, levels: int) -> dict:
    """A naive row scaled linearly to ``levels`` (its cost is per level)."""
    factor = levels / row["levels"]
    scaled = {**row, "levels": levels, "estimated": True, "changed": row["changed"] * factor}
    for key in ("calls", "points", "simulated", "wall"):
        scaled[key] = row[key] * factor
    scaled["peak_mb"] = row["peak_mb"]
    return scaled


def floor_points(changed: float) -> int:
    """The fewest cost points any client spends to read the store and write ``changed``."""
    return math.ceil(changed / 250) * 10 + 11


def measure(sizes: list[int], naive_max: int, say=print, in_process: bool = False) -> list[dict]:
    """Every row of the table: ``{levels, reader, rate, calls, points, simulated, ...}``."""
    rows = []
    for levels in sizes:
        for rate in RATES:
            for reader in READERS:
                if reader == "naive" and levels > naive_max:
                    base = max((r for r in rows if r["reader"] == "naive" and r["rate"] == rate),
                               key=lambda r: r["levels"])
                    rows.append(extrapolate(base, levels))
                    continue
                say(f"  measuring {levels:,} levels, {reader}, {rate:.0f} points/s ...")
                rows.append(run_one(levels, reader, rate, in_process=in_process))
    return rows


def measure_embedded(sizes: list[int], paged_max: int, say=print) -> list[dict]:
    """``syncer plan`` from a state file, one process per size and read."""
    from benchmarks import scale

    rows = []
    for levels in sizes:
        for reader in ("bulk", "paged"):
            if reader == "paged" and levels > paged_max:
                continue
            say(f"  measuring syncer plan --store state.json, {levels:,} levels, {reader} ...")
            rows.append(scale.embedded(levels, reader))
    return rows


#: Targets of the embedded default (issue 23): (levels, read) -> (wall s, peak MB or None).
EMBEDDED_TARGETS = {(100_000, "bulk"): (15, 600), (100_000, "paged"): (30, None),
                    (1_000_000, "bulk"): (90, 2000)}


def embedded_table(rows: list[dict]) -> str:
    """The embedded default's table: one line per size and read, and the targets met."""
    lines = ["| levels | read | wall s | CPU s | peak MB | wall / baseline | target |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for row in rows:
        plan, ratios = row["plan"], row["ratios"]
        target = EMBEDDED_TARGETS.get((row["levels"], row["reader"]))
        verdict = "—"
        if target:
            wall, peak = target
            misses = []
            if plan["wall"] > wall:
                misses.append(f"wall {plan['wall'] - wall:,.1f} s over {wall} s")
            if peak and plan["peak_mb"] > peak:
                misses.append(f"peak {plan['peak_mb'] - peak:,.0f} MB over {peak:,} MB")
            limit = f"< {wall} s" + (f", < {peak:,} MB" if peak else "")
            verdict = f"{limit}: " + ("; ".join(misses) if misses else "met")
        lines.append(f"| {row['levels']:,} | {row['reader']} | {plan['wall']:,.1f} | "
                     f"{plan['cpu']:,.1f} | {plan['peak_mb']:,.0f} | {ratios['wall']:,.1f}x | "
                     f"{verdict} |")
    if rows:
        base = rows[-1]["baseline"]
        lines.append(f"\nBaseline (the last row's run): Python's start, `import syncer.cli` "
                     f"and the state file read with `json.load`: {base['wall']:,.1f} s wall, "
                     f"{base['peak_mb']:,.0f} MB.")
    return "\n".join(lines)


#: ``syncer import`` targets (issue 23): at 100,000 levels at Standard rates (100 points/s),
#: the default read stays under these points and seconds of simulated time.
IMPORT_TARGET = (100_000, 200, 60.0)


def measure_imports(sizes: list[int], paged_max: int, say=print) -> list[dict]:
    """``syncer import`` of each size, with the default read and (up to ``paged_max``) paged:
    the paged row is the baseline the default is compared with, measured in the same run."""
    from benchmarks import scale

    rows = []
    for levels in sizes:
        for read in ("auto", "paged"):
            if read == "paged" and levels > paged_max:
                continue
            say(f"import {levels:,} levels, read {read} ...")
            rows.append(scale.measure_import(levels, read))
    return rows


def import_table(rows: list[dict]) -> str:
    """One line per size and read: calls, points, simulated and wall seconds, the paged
    read's points divided by the default's, and the target."""
    paged = {r["levels"]: r for r in rows if r["read"] == "paged"}
    lines = ["| levels | read | calls | points | simulated s | wall s | points vs paged "
             "| target |", "|---:|---|---:|---:|---:|---:|---:|---|"]
    size, points, seconds = IMPORT_TARGET
    for r in rows:
        base = paged.get(r["levels"])
        ratio = (f"{base['points'] / r['points']:.0f}x fewer"
                 if base is not None and r["read"] == "auto" and r["points"] else "—")
        target = "—"
        if r["levels"] == size and r["read"] == "auto":
            misses = [f"{r['points'] - points:,.0f} points over {points}"
                      for _ in [0] if r["points"] >= points]
            misses += [f"{r['simulated'] - seconds:.0f} s over {seconds:.0f} s"
                       for _ in [0] if r["simulated"] >= seconds]
            target = f"< {points} points, < {seconds:.0f} s: " + ("; ".join(misses) or "met")
        lines.append(f"| {r['levels']:,} | {r['read']} | {r['calls']:,} | {r['points']:,.0f} "
                     f"| {r['simulated']:,.1f} | {r['wall']:.1f} | {ratio} | {target} |")
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    """The markdown table: one line per size and reader, both rates side by side."""
    head = ("| levels | reader | calls | cost points | sim. s @100/s | sim. s @1000/s | wall s "
            "| peak MB | calls vs naive | points vs floor |")
    lines = [head, "|" + "---:|" * 2 + "---:|" * 8]
    by_key = {(r["levels"], r["reader"], r["rate"]): r for r in rows}
    for levels in sorted({r["levels"] for r in rows}):
        naive = by_key[(levels, "naive", RATES[0])]
        for reader in READERS:
            slow, fast = by_key[(levels, reader, RATES[0])], by_key[(levels, reader, RATES[1])]
            mark = "~" if slow.get("estimated") else ""
            ratio = naive["calls"] / slow["calls"]
            floor = floor_points(slow["changed"])
            lines.append(
                f"| {levels:,} | {reader} | {mark}{slow['calls']:,.0f} | "
                f"{mark}{slow['points']:,.0f} | {mark}{slow['simulated']:,.1f} | "
                f"{mark}{fast['simulated']:,.1f} | {mark}{slow['wall']:,.1f} | "
                f"{slow['peak_mb']:,.0f} | {'—' if reader == 'naive' else f'{ratio:,.0f}x'} | "
                f"{slow['points'] / floor:,.1f}x ({floor:,}) |")
    return "\n".join(lines)


def chart(rows: list[dict], path: Path, embedded: list[dict] | None = None) -> None:
    """Simulated rate-limit seconds at 100 points/s against levels, log-log, per reader, and
    the embedded default's wall seconds."""
    try:
        import matplotlib
    except ImportError:
        sys.exit("benchmarks/performance.py: the chart needs matplotlib: "
                 "pip install -c constraints.txt -e '.[bench]' (or pass --no-chart)")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=110)
    styles = {"bulk": ("syncer, bulk read", "o-"), "paged": ("syncer, paged read", "s-"),
              "naive": ("naive docs-style script", "^--")}
    for reader, (label, style) in styles.items():
        points = sorted((r["levels"], max(r["simulated"], 0.1)) for r in rows
                        if r["reader"] == reader and r["rate"] == RATES[0])
        axes.plot([p[0] for p in points], [p[1] for p in points], style, label=label)
    for reader, style in (("bulk", "o:"), ("paged", "s:")):
        points = sorted((r["levels"], r["plan"]["wall"]) for r in embedded or ()
                        if r["reader"] == reader)
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], style,
                      label=f"syncer plan --store state.json, {reader} (wall s)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("inventory levels (20% changed)")
    axes.set_ylabel("seconds (simulated at 100 points/s; wall: dotted)")
    axes.set_title("plan + apply: time spent on the rate limit")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


CHART_LINK = "![simulated rate-limit time against levels](performance.png)"
DOCUMENT = """# Performance

Generated by `python benchmarks/performance.py --million --out docs` (one run; about 15 minutes on a
laptop core; the chart needs the `bench` extra: `pip install -c constraints.txt -e '.[dev,bench]'`).
CI runs it at a reduced size only, without the chart (`tests/test_performance.py`).

Each row is one `syncer plan` + `syncer apply` in process against the embedded emulator on a
virtual clock (bucket {bucket:,} points), on a store of N levels (N/10 items at 10 locations,
20 manifest files) where 20% of the levels need a new `available`. *calls* counts every request
sent, throttled ones included; *sim. s* is the time the rate limit imposes (virtual clock) at a
restore rate of 100 points/s (Standard) and 1,000 points/s (Plus); *wall s* and *peak MB* are
the process's own (at 100 points/s). *naive* is a script written as Shopify's documentation
examples are: one query and one mutation per level. Rows marked `~` are extrapolated linearly
from the largest size measured. The *floor* is what any client must spend: 10 points per 250
changed levels (one `inventoryAdjustQuantities` field) plus 11 points to run and poll one bulk
query.

{table}

{chart}

## The embedded default: `syncer plan --store state.json`

A local state file (no `clock` in it) is served in process with `timing: instant`
(`syncer/emulator/README.md`): nothing waits to imitate Shopify, so these rows are the speed of
the code. Each row is one `syncer plan --store state.json --read READ` process on the store
above (20% changed, 20 manifest files), its wall and CPU seconds and its own peak RSS (the whole
process: the emulator's store included; the benchmark's state document is in another process).
*wall / baseline* divides by a baseline process measured in the same run, for comparing runs on
different machines.

{embedded}

Where the misses come from (measured with `cProfile` at 100,000 levels and `tracemalloc`):

- **1,000,000 levels, memory.** The baseline process alone (the state file read with
  `json.load`) peaks at about 0.8 GB: the file's document is held whole while the emulator's
  store (about 0.6 GB) is built from it. Streaming the state file's `levels` (and checking them
  row by row, as the schema check already does) would take most of that off the peak; the
  manifests (about 0.4 GB at this size) and the live levels read are the rest.
- **1,000,000 levels, time.** About a tenth is the state file (parse, check, build); the rest
  is syncer's own work, about ten times the 100,000-level row: the manifests' YAML, decoding
  the bulk result, planning and the output.
- **`--read paged`.** About 520 queries (since each level's item carries its `unitCost`, a
  page holds 249 levels at 4 points each: 35% more cost points than without it, about 6% more
  time in `benchmarks/bench_unit_cost.py`); the emulator answers them without graphql-core's
  executor, so what remains is pricing each query twice (requested and actual cost, from the
  document) and syncer's decoding. The row varies with the machine's load: from 24 s on a quiet
  run to 34 s on a busy one.

## `syncer import`

`syncer import -o DIR` of the whole store (10 locations), in process on the emulator's simulated
clock at Standard rates (100 points a second). The default read asks for a page of item ids first
(about 30 points); when the store may hold {threshold} levels or more it reads them with one bulk
query, as `plan` does (pages again if the bulk query fails); `paged` is the baseline,
measured in the same run.

{imports}
## Targets

- 10,000 levels, 20% changed, plan + apply: at most 2,000 cost points (the 10,000 bulk row).
- 100,000 levels, plan + apply under 5 minutes of simulated time at 100 points/s.
- `syncer plan --store state.json` (2 cores): 100,000 levels under 15 s wall and 600 MB;
  `--read paged` under 30 s wall; 1,000,000 levels under 90 s wall and 2 GB (the *target*
  column above says each one met, or by how much it misses).
- At least 100x fewer calls than the naive script at 10,000 levels (*calls vs naive*).
- `syncer import` of 100,000 levels at Standard rates: under 200 points and 60 s of simulated
  time (the *target* column of the import table).

## Reading the table

- **bulk** (the default from {threshold} manifest levels on, `--read auto`): the store is read
  with one `bulkOperationRunQuery`, so reading costs about 30 points at any size; what remains
  is writing, at 100 changes per request. Its simulated time is mostly the bulk operation
  itself (the emulator exports 2,000 objects/s; Shopify's speed varies) and the writes beyond
  the bucket.
- **paged**: paginated queries, about 3 points a level; the rate limit decides the time.
- **naive**: thousands of calls and the rate limit for each.

## What limits a sync

- **The rate limit.** A store's bucket refills at its plan's restore rate; every request from
  every app of the store drains it. syncer reads in bulk and writes at the cost floor, so the
  writes are what is left: 10 points per 250 changed levels.
- **The bulk operation.** A bulk read takes as long as Shopify needs to export the store, and
  an app can run at most 5 at once per store (API 2026-01 on); when the slots are taken, the
  operation fails or it runs too long, syncer says so and reads page by page.
- **One store per process.** syncer plans and applies one store at a time. A fleet of stores
  runs as a CI matrix, one job per store: each store has its own bucket, so the jobs do not
  slow each other down.
- **Memory.** The live state and the plan are held in memory (see *peak MB*); the bulk
  result is streamed and never held whole.

Set `--read paged` to compare, `--read bulk` to force a bulk read for a small manifest.
"""


def document(text: str, embedded: list[dict], chart: bool = True,
             million: bool = False, imports: list[dict] | None = None) -> str:
    """``docs/performance.md`` around the tables."""
    from syncer.shopify.reader import BULK_MIN_LEVELS

    big = "" if million else "\n1,000,000 levels: not measured in this run (`--million`)."
    return DOCUMENT.format(table=text, bucket=BUCKET, threshold=BULK_MIN_LEVELS,
                           embedded=embedded_table(embedded) + big,
                           imports=import_table(imports or []),
                           chart=CHART_LINK if chart else "(chart not drawn: `--no-chart`)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--naive-max", type=int, default=10000,
                        help="largest size the naive script is run at (above: extrapolated)")
    parser.add_argument("--out", type=Path, help="write performance.md and performance.png here")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--million", action="store_true",
                        help="also plan 1,000,000 levels from a state file (bulk read; ~1 "
                             "minute, ~2 GB)")
    parser.add_argument("--embedded", type=int, nargs="*",
                        help="sizes of the syncer plan --store state.json rows (default: "
                             "--sizes)")
    parser.add_argument("--paged-max", type=int, default=100_000,
                        help="largest size the embedded paged read is measured at")
    parser.add_argument("--no-chart", dest="chart", action="store_false",
                        help="with --out, write performance.md without drawing the chart")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process, not one child per row (quicker; the "
                             "peak MB column is then this process's)")
    args = parser.parse_args(argv)
    rows = measure(sorted(args.sizes), args.naive_max, say=lambda s: print(s, file=sys.stderr),
                   in_process=args.in_process)
    text = table(rows)
    print(text)
    sizes = sorted(args.sizes if args.embedded is None else args.embedded)
    embedded = measure_embedded(sizes + ([1_000_000] if args.million else []), args.paged_max,
                                say=lambda s: print(s, file=sys.stderr))
    print(embedded_table(embedded), file=sys.stderr)  # stdout: the table above, as before
    imports = measure_imports(sorted(args.sizes), args.paged_max,
                              say=lambda s: print(s, file=sys.stderr))
    print(import_table(imports), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        args.json.with_suffix(".embedded.json").write_text(json.dumps(embedded, indent=1) + "\n",
                                                           encoding="utf-8")
        args.json.with_suffix(".import.json").write_text(json.dumps(imports, indent=1) + "\n",
                                                         encoding="utf-8")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        if args.chart:
            chart(rows, args.out / "performance.png", embedded)
        (args.out / "performance.md").write_text(
            document(text, embedded, args.chart, args.million, imports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
