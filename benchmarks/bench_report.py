"""``syncer report``: a year of nightly drift history for 10,000 levels into one page.

Target (issue 25): under 10 s and a page under 5 MB. The history: 365 nightly drift records of
a 10,000-level store (10 locations) where ``--drift`` of the levels (default 5%) drifted each
night, and an apply every week. Prints the figures, and the ratio against a baseline measured
in the same run: reading the history file's JSON lines alone.

    python benchmarks/bench_report.py [--levels 10000] [--nights 365] [--drift 0.05]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncer.engine import history  # noqa: E402
from syncer.engine.report import report  # noqa: E402


def write_history(folder: Path, levels: int, nights: int, drift: float, seed: int = 1) -> int:
    rng = random.Random(seed)
    for night in range(nights):
        day = time.strftime("%Y-%m-%d", time.gmtime(1767225600 + 86400 * night))
        drifted = [{"location": f"Location {n % 10:02d}", "sku": f"SKU-{n // 10:06d}",
                    "item_id": f"gid://shopify/InventoryItem/{n // 10}", "kind": "quantity",
                    "quantity": "available", "desired": 5, "live": 5 - d, "delta": d}
                   for n in rng.sample(range(levels), int(levels * drift))
                   for d in [rng.choice([-3, -2, -1, 1, 2])]]
        history.append(folder, {
            "version": 1, "kind": "drift", "time": f"{day}T02:00:00Z",
            "store": "bench.myshopify.com", "shop": "bench.myshopify.com", "shop_name": "Bench",
            "api_version": "2026-10", "exit_code": 2,
            "totals": {"levels": len(drifted), "units": sum(abs(e["delta"]) for e in drifted),
                       "above": 0, "below": 0}, "levels": drifted})
        if night % 7 == 6:
            history.append(folder, {
                "version": 1, "kind": "apply", "time": f"{day}T12:00:00Z",
                "store": "bench.myshopify.com", "exit_code": 0, "plan_id": f"{night:08d}",
                "summary": {"adjusted": 25}})
    return (folder / history.FILE).stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--drift", type=float, default=0.05)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "history"
        size = write_history(folder, args.levels, args.nights, args.drift)
        t0 = time.perf_counter()
        with open(folder / history.FILE, encoding="utf-8") as handle:
            rows = sum(1 for line in handle if json.loads(line))
        baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        report(str(folder), str(Path(tmp) / "drift.html"))
        wall = time.perf_counter() - t0
        page = (Path(tmp) / "drift.html").stat().st_size
    met = wall < 10 and page < 5_000_000
    print(f"history: {rows:,} records, {size / 1e6:.1f} MB ({args.nights} nights, "
          f"{args.levels:,} levels, {args.drift:.0%} drifted a night)")
    print(f"report: {wall:.2f} s wall, page {page / 1e3:,.0f} KB; baseline (reading the "
          f"history's JSON alone) {baseline:.2f} s: {wall / baseline:.1f}x the baseline")
    print(f"target < 10 s and < 5 MB: {'met' if met else 'missed'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
