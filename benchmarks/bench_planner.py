"""Benchmark: plan 100,000 levels in process (state already read).

Targets (issue 5): ``plan()`` under 2 seconds and under 500 MB. Prints the best of 3 timings,
the peak memory ``plan()`` allocates (tracemalloc, measured in a separate run because tracing
slows Python down) and the process's peak RSS, and a ratio against a baseline measured in the
same run: a bare dict-comparison loop over the same data, the least any planner must do.

    python benchmarks/bench_planner.py [--levels 100000] [--changed 0.1 --changed 1.0]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncer.errors import Source  # noqa: E402
from syncer.model import (  # noqa: E402
    DesiredLevel,
    DesiredState,
    Item,
    LiveLevel,
    LiveState,
    Location,
    Policy,
    SafetyLimits,
    frozen_map,
)
from syncer.plan.planner import plan  # noqa: E402
from syncer.plan.render import render_json, render_text  # noqa: E402

LOCATIONS = 10


def build(levels: int, changed: float) -> tuple[DesiredState, LiveState]:
    """A store of ``levels`` levels over 10 locations; ``changed`` of them differ from desired.

    Among the differing levels, a tenth is missing live (activate), a tenth inactive
    (reactivate), a tenth is deactivated, the rest have quantities to adjust.
    """
    per_location = levels // LOCATIONS
    locations = [Location(f"gid://shopify/Location/{n}", f"Location {n:02d}")
                 for n in range(LOCATIONS)]
    items = [Item(f"gid://shopify/InventoryItem/{n}", f"SKU-{n:06d}")
             for n in range(per_location)]
    every = max(1, round(1 / changed)) if changed else 0
    desired, live = [], []
    source = Source("bench.yaml", 1, 1)
    i = 0
    for loc in locations:
        for item in items:
            i += 1
            want = {"available": i % 50, "damaged": i % 3}
            have = dict(want)
            active, wanted_active, exists = True, True, True
            if every and i % every == 0:
                kind = (i // every) % 10
                if kind == 0:
                    exists = False
                elif kind == 1:
                    active = False
                elif kind == 2:
                    wanted_active = False
                else:
                    have["available"] += 5
                    have["damaged"] = 0
            have["committed"] = 0
            have["on_hand"] = have["available"] + have["damaged"]
            ref = loc.name
            desired.append(DesiredLevel(ref, item.sku, wanted_active, frozen_map(want), source))
            if exists:
                live.append(LiveLevel(f"gid://shopify/InventoryLevel/{i}?inventory_item_id={i}",
                                      loc.id, item.id, active, frozen_map(have)))
    state = DesiredState(tuple(desired), Policy(), SafetyLimits(allow_deactivate_with_stock=True))
    return state, LiveState.build(locations, items, live)


def baseline(desired: DesiredState, live: LiveState) -> int:
    """A bare comparison loop over the same data: resolve refs, look up, compare quantities."""
    loc_ids = {loc.name: loc.id for loc in live.locations.values()}
    sku_ids = live.items_by_sku
    levels = live.levels
    differ = 0
    for d in desired.levels:
        lv = levels.get((loc_ids[d.location], sku_ids[d.item][0]))
        if lv is None:
            differ += 1
            continue
        q = lv.quantities
        for name, want in d.quantities.items():
            if q.get(name, 0) != want:
                differ += 1
    return differ


def best_of(n: int, fn, *args) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def run(levels: int, changed: float) -> bool:
    desired, live = build(levels, changed)
    t_base, differ = best_of(3, baseline, desired, live)
    t_plan, result = best_of(3, plan, desired, live)
    tracemalloc.start()
    plan(desired, live)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    t_fp, _ = best_of(1, lambda: result.fingerprint)
    t_text, _ = best_of(1, render_text, result)
    t_json, _ = best_of(1, render_json, result)

    s = result.summary
    print(f"{changed:.0%} of levels differ: {len(desired.levels):,} desired, "
          f"{len(live.levels):,} live; {len(result.changes):,} changes ({s.to_activate:,} "
          f"activate, {s.adjustments:,} adjust, {s.to_deactivate:,} deactivate)")
    print(f"  plan():            {t_plan:.3f} s (best of 3)   target < 2 s")
    print(f"  baseline loop:     {t_base:.3f} s (best of 3, {differ:,} differences)   "
          f"plan/baseline = {t_plan / t_base:.1f}x")
    print(f"  plan() peak alloc: {peak / 2**20:.1f} MB (tracemalloc)   process peak RSS so far: "
          f"{rss_mb:.0f} MB   target < 500 MB")
    print(f"  not in the target: fingerprint {t_fp:.3f} s, render_text {t_text:.3f} s, "
          f"render_json {t_json:.3f} s")
    return t_plan < 2.0 and peak / 2**20 < 500 and rss_mb < 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=100_000)
    parser.add_argument("--changed", type=float, action="append",
                        help="share of levels that differ (repeatable; default 0.1 then 1.0)")
    args = parser.parse_args()
    ok = True
    for changed in args.changed or (0.1, 1.0):
        ok = run(args.levels, changed) and ok
    print("OK: within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
