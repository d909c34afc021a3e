"""What reading each item's unitCost adds to a read (issue 24): cost points, calls, time.

A store of ``--levels`` levels over 10 locations (two thirds of the items with a cost) is read
for a plan of every level, paged and in bulk, twice each in the same run: with syncer's
documents as they are, and (the baseline) with ``unitCost { amount currencyCode }`` taken out
of every document before it reaches the emulator. Prints cost points, calls, wall time and the
ratios, and the plan's value line so the read is seen to be used.

    python benchmarks/bench_unit_cost.py [--levels 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncer.emulator import Emulator, VirtualClock  # noqa: E402
from syncer.errors import Source  # noqa: E402
from syncer.model import DesiredLevel, DesiredState, frozen_map  # noqa: E402
from syncer.plan.planner import plan  # noqa: E402
from syncer.shopify.bulk import local_fetch  # noqa: E402
from syncer.shopify.local_transport import LocalTransport  # noqa: E402
from syncer.shopify.reader import read_live  # noqa: E402

COST_SELECTION = " unitCost { amount currencyCode }"
LOC, ITEM = "gid://shopify/Location/", "gid://shopify/InventoryItem/"


def state(levels: int) -> dict:
    items = levels // 10
    return {
        "shop": "bench.myshopify.com",
        "throttle": {"maximumAvailable": 20_000, "restoreRate": 1_000},
        "locations": [{"id": f"{LOC}{n}", "name": f"Loc {n}"} for n in range(1, 11)],
        "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i:06d}",
                   **({"unit_cost": {"amount": f"{i % 40 + 1}.50", "currencyCode": "EUR"}}
                      if i % 3 else {})} for i in range(1, items + 1)],
        "levels": [{"item": f"{ITEM}{i}", "location": f"{LOC}{n}",
                    "quantities": {"available": i % 17}}
                   for i in range(1, items + 1) for n in range(1, 11)],
    }


def desired(levels: int) -> DesiredState:
    return DesiredState(tuple(
        DesiredLevel(f"Loc {n}", f"SKU-{i:06d}", True, frozen_map({"available": i % 17 + 1}),
                     Source("m.yaml", i, 1))
        for n in range(1, 11) for i in range(1, levels // 10 + 1)))


class WithoutCosts(LocalTransport):
    """The baseline: every document sent without the unitCost selection."""

    def execute(self, document, variables=None):  # type: ignore[override]
        if variables and isinstance(variables.get("query"), str):  # the bulk query
            variables = {**variables, "query": variables["query"].replace(COST_SELECTION, "")}
        return super().execute(document.replace(COST_SELECTION, ""), variables)


def measure(levels: int, read: str, strip: bool) -> tuple[float, int, float, str]:
    emulator = Emulator.from_state(state(levels), clock=VirtualClock())
    kind = WithoutCosts if strip else LocalTransport
    transport = kind(emulator.handle, sleep=emulator.clock.sleep, clock=emulator.clock.now)
    wanted = desired(levels)
    start = time.perf_counter()
    live = read_live(transport, wanted, read=read, fetch=local_fetch(emulator.bulk.open))
    seconds = time.perf_counter() - start
    return transport.cost_points, transport.calls, seconds, plan(wanted, live).value.text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(f"{args.levels:,} levels, 10 locations, a plan of every level")
    print(f"{'read':<7} {'documents':<16} {'points':>9} {'calls':>6} {'seconds':>8}")
    for read in ("paged", "bulk"):
        base = measure(args.levels, read, strip=True)
        costed = measure(args.levels, read, strip=False)
        for label, (points, calls, seconds, _) in (("without unitCost", base),
                                                   ("with unitCost", costed)):
            print(f"{read:<7} {label:<16} {points:>9,.0f} {calls:>6,} {seconds:>8.2f}")
        print(f"{read:<7} {'ratio':<16} {costed[0] / base[0]:>9.2f} {costed[1] / base[1]:>6.2f} "
              f"{costed[2] / base[2]:>8.2f}")
        print(f"{read:<7} value: {costed[3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
