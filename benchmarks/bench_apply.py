"""Benchmark: apply 10,000 quantity changes and 1,000 activations to the emulator.

Targets (issue 6): the apply takes at most 1.1 times the fewest calls the API limits allow, and
its simulated time at 100 points/s (virtual clock, bucket of 2000) is within 1.2 times the
cost-bound minimum.

The limits: every mutation field costs 10 points and one request at most 1000 points (so at most
100 fields); ``inventoryAdjustQuantities`` takes at most 250 changes of one quantity name;
``inventoryBulkToggleActivation`` takes all of one item's locations (up to 250) in one field. So

    min_fields = sum over items of ceil(activations of the item / 250)
               + sum over quantity names of ceil(changes of that name / 250) + deactivations
    min_calls  = ceil(min_fields * 10 / 1000)
    min_time   = max(0, (min_fields * 10 - 2000) / 100) seconds   (bucket starts full)

Two variants: (a) the 1,000 activations on 1,000 items at one location each
(``inventoryActivate``), (b) on 250 items at 4 locations each (bulk toggle). In both, 9,000
existing active levels get a new ``available``, and each activated level is declared with an
``available`` other than 0, which plans an adjust too: 9,000 + 1,000 = 10,000 quantity changes.

Only the apply is measured: transport calls (every attempt, THROTTLED answers included), cost
points, simulated seconds (the emulator's virtual clock) and wall seconds. Before the apply the
virtual clock is moved on until the bucket is full again (reading the store for the plan spent
points); afterwards a new plan must have no changes.

    python benchmarks/bench_apply.py [--variant a --variant b]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncer import engine
from syncer.emulator import Emulator, VirtualClock  # noqa: E402
from syncer.plan.changes import ChangeKind  # noqa: E402
from syncer.shopify import documents as shopify  # noqa: E402
from syncer.shopify.local_transport import LocalTransport  # noqa: E402

API_VERSION = "2026-04"
TOKEN = "bench-token"
BUCKET, RATE = 2000, 100
LOCATIONS = 10
ADJUSTED = 9_000           # existing active levels whose available changes
ACTIVATIONS = 1_000
CALLS_TARGET, TIME_TARGET = 1.1, 1.2
VARIANTS = {"a": 1, "b": 4}  # locations per activated item


def build(per_item: int) -> tuple[dict, str]:
    """The emulator state and the manifest text for one variant.

    ``ADJUSTED // LOCATIONS`` existing items are active at every location with ``available`` 5;
    the manifest wants 6 + (i % 7). ``ACTIVATIONS // per_item`` new items have no level yet; the
    manifest activates each at ``per_item`` locations with ``available`` 1 + (i % 5).
    """
    locations = [{"id": f"gid://shopify/Location/{n + 1}", "name": f"Location {n:02d}"}
                 for n in range(LOCATIONS)]
    items, levels = [], []
    wanted: dict[str, list[str]] = {loc["name"]: [] for loc in locations}
    existing = ADJUSTED // LOCATIONS
    for i in range(existing):
        item = f"gid://shopify/InventoryItem/{i + 1}"
        sku = f"OLD-{i:05d}"
        items.append({"id": item, "sku": sku})
        for n, loc in enumerate(locations):
            levels.append({"item": item, "location": loc["id"], "active": True,
                           "quantities": {"available": 5}})
            wanted[loc["name"]].append(f"    {sku}: {{active: true, available: {6 + (i + n) % 7}}}")
    for j in range(ACTIVATIONS // per_item):
        number = existing + j + 1
        sku = f"NEW-{j:05d}"
        items.append({"id": f"gid://shopify/InventoryItem/{number}", "sku": sku})
        for k in range(per_item):
            loc = locations[(j + k) % LOCATIONS]
            wanted[loc["name"]].append(f"    {sku}: {{active: true, available: {1 + j % 5}}}")
    state = {"shop": "bench.myshopify.com", "access_token": TOKEN,
             "throttle": {"maximumAvailable": BUCKET, "restoreRate": RATE},
             "locations": locations, "items": items, "levels": levels}
    lines = ["apiVersion: syncer/v1", "kind: InventoryLevels",
             "safety: {max_changed_percent: 100}", "locations:"]
    for name, rows in wanted.items():
        lines.append(f"  {name}:")
        lines += rows
    return state, "\n".join(lines) + "\n"


def connect(emu: Emulator) -> engine.Connection:
    """A store over ``emu`` in process, built as ``engine.connect`` does for a state file, but
    without a file (saving 10,000 levels after every request would dominate the wall time)."""
    transport = LocalTransport(emu.handle, api_version=API_VERSION, token=TOKEN,
                               sleep=emu.clock.sleep, clock=emu.clock.now)
    return engine.Connection("bench.myshopify.com", "file", API_VERSION, transport, emu)


def minimum(plan) -> tuple[int, int, int, float]:
    """(min_fields, min_calls, min_points, cost-bound seconds) for ``plan``'s changes."""
    per_item: Counter = Counter()
    per_name: Counter = Counter()
    deactivations = 0
    for c in plan.changes:
        if c.kind is ChangeKind.ACTIVATE:
            per_item[c.level.item_id] += 1
        elif c.kind is ChangeKind.ADJUST:
            per_name[c.quantity] += 1
        else:
            deactivations += 1
    batch = shopify.MAX_INPUT_ITEMS
    fields = (sum(math.ceil(n / batch) for n in per_item.values())
              + sum(math.ceil(n / batch) for n in per_name.values()) + deactivations)
    points = fields * shopify.MUTATION_COST
    calls = math.ceil(points / shopify.MAX_QUERY_COST)
    return fields, calls, points, max(0.0, (points - BUCKET) / RATE)


def run(variant: str) -> bool:
    per_item = VARIANTS[variant]
    state, manifest = build(per_item)
    emu = Emulator.from_state(state, clock=VirtualClock())
    store = connect(emu)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.yaml"
        path.write_text(manifest, encoding="utf-8")
        t0 = time.perf_counter()
        result = engine.make_plan([str(path)], store)
        t_plan = time.perf_counter() - t0
        plan, meta = engine.plan_for_apply(result, store)
        s = plan.summary
        activations = Counter(c.level.item_id for c in plan.changes
                              if c.kind is ChangeKind.ACTIVATE)
        kinds = Counter(("bulk_toggle" if len(st.changes) > 1 else "activate")
                        if st.kind is ChangeKind.ACTIVATE else st.kind.value
                        for st in meta.steps)
        min_fields, min_calls, min_points, min_time = minimum(plan)

        # The read for the plan spent points: let the bucket fill up again before the apply.
        emu.clock.advance(BUCKET / RATE)
        transport = store.transport
        calls0, cost0, waited0 = transport.calls, transport.cost_points, transport.waited
        requests0, sim0 = emu.requests, emu.clock.now()
        t0 = time.perf_counter()
        report = engine.run_plan(plan, meta, store)
        wall = time.perf_counter() - t0
        calls = transport.calls - calls0
        points = transport.cost_points - cost0
        simulated = emu.clock.now() - sim0
        executed = emu.requests - requests0
        waited = transport.waited - waited0

        t0 = time.perf_counter()
        again = engine.make_plan([str(path)], store).plan
        t_replan = time.perf_counter() - t0
    converged = not again.changes
    replan = "no changes (converged)" if converged else f"{len(again.changes):,} changes LEFT"

    calls_ratio = calls / min_calls
    time_ratio = simulated / min_time if min_time > 0 else (1.0 if simulated == 0 else math.inf)
    ok_calls = calls <= CALLS_TARGET * min_calls
    ok_time = simulated <= TIME_TARGET * min_time + 1e-9
    ok = ok_calls and ok_time and converged and report.exit_code == 0

    print(f"({variant}) {ACTIVATIONS:,} activations on {len(activations):,} items x "
          f"{per_item} location{'s' if per_item > 1 else ''}; plan: {s.to_activate:,} activate, "
          f"{s.adjustments:,} adjust ({s.to_adjust:,} levels), {s.to_deactivate:,} deactivate; "
          f"{len(meta.steps):,} steps ({', '.join(f'{n:,} {k}' for k, n in sorted(kinds.items()))})"
          f"; planned in {t_plan:.1f} s wall")
    print(f"  apply: {report.status}, {report.summary_line()}")
    print(f"  {'':14}{'measured':>12}{'minimum':>12}{'ratio':>8}{'target':>9}")
    print(f"  {'calls':14}{calls:>12,}{min_calls:>12,}{calls_ratio:>8.2f}{CALLS_TARGET:>8.1f}x"
          f"  {'ok' if ok_calls else 'MISSED'}")
    print(f"  {'simulated s':14}{simulated:>12.1f}{min_time:>12.1f}{time_ratio:>8.2f}"
          f"{TIME_TARGET:>8.1f}x  {'ok' if ok_time else 'MISSED'}")
    print(f"  {'cost points':14}{points:>12,.0f}{min_points:>12,}{points / min_points:>8.2f}")
    print(f"  {'fields':14}{len(meta.steps):>12,}{min_fields:>12,}"
          f"{len(meta.steps) / min_fields:>8.2f}")
    print(f"  executed requests {executed:,} (calls - executed = {calls - executed:,} answered "
          f"THROTTLED or failed); transport waits {waited:.1f} s; apply wall {wall:.2f} s")
    print(f"  re-plan: {replan} ({t_replan:.1f} s wall)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), action="append",
                        help="a: 1,000 items x 1 location; b: 250 items x 4 (default: both)")
    args = parser.parse_args()
    ok = True
    for variant in args.variant or sorted(VARIANTS):
        ok = run(variant) and ok
    print("OK: within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
