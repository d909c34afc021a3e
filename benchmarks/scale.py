"""One measured sync for the performance table: build a store and manifests, plan and apply.

``measure(levels, reader, rate)`` runs in the calling process and returns a dict of figures;
``benchmarks/performance.py`` runs each in a child process so peak memory is its own.
``embedded(levels, reader)`` runs a real ``syncer plan --store state.json`` process (the
embedded default: no simulated clock in the file) and a baseline process in the same run, and
returns wall, CPU and peak RSS of each and their ratios.

The store: ``levels / 10`` items (SKU ``SKU-000001``...) active at 10 locations, ``available``
5 everywhere; the manifests (20 files, one per half location) want ``available`` 6 for every
fifth level, so 20% of the levels change. ``reader`` is ``bulk``, ``paged`` or ``naive`` (a
docs-style script: one query and one mutation per level).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syncer import engine  # noqa: E402
from syncer.emulator import Emulator, VirtualClock  # noqa: E402
from syncer.shopify.bulk import local_fetch  # noqa: E402
from syncer.shopify.local_transport import LocalTransport  # noqa: E402

LOCATIONS = 10
FILES = 20
CHANGED_EVERY = 5  # 20% changed
BUCKET = 2000
NAIVE_QUERY = """
query($sku: String!, $locationId: ID!) {
  inventoryItems(first: 1, query: $sku) {
    nodes { id inventoryLevel(locationId: $locationId) {
      id quantities(names: ["available"]) { name quantity } } }
  }
}
"""
NAIVE_MUTATION = """
mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field message }
  }
}
"""


def build(levels: int) -> tuple[dict, list[str]]:
    """The emulator state and the manifest files' texts (see the module docstring)."""
    items = max(1, levels // LOCATIONS)
    locations = [{"id": f"gid://shopify/Location/{n + 1}", "name": f"Location {n:02d}"}
                 for n in range(LOCATIONS)]
    state_items = [{"id": f"gid://shopify/InventoryItem/{i + 1}", "sku": f"SKU-{i + 1:06d}"}
                   for i in range(items)]
    state_levels = [{"id": n * items + i + 1, "item": item["id"], "location": loc["id"],
                     "quantities": {"available": 5}}
                    for n, loc in enumerate(locations) for i, item in enumerate(state_items)]
    files = []
    half = (items + 1) // 2
    for n, loc in enumerate(locations):
        for part in range(FILES // LOCATIONS):
            rows = [f"  {loc['name']}:"]
            for i in range(part * half, min(items, (part + 1) * half)):
                want = 6 if (n * items + i) % CHANGED_EVERY == 0 else 5
                rows.append(f"    SKU-{i + 1:06d}: {{active: true, available: {want}}}")
            files.append("apiVersion: syncer/v1\nkind: InventoryLevels\n"
                         "safety: {max_changed_percent: 100}\nlocations:\n"
                         + "\n".join(rows) + "\n")
    state = {"shop": "bench.myshopify.com",
             "throttle": {"maximumAvailable": BUCKET, "restoreRate": 100},
             "locations": locations, "items": state_items, "levels": state_levels}
    return state, files


def _emulator(state: dict, rate: float) -> tuple[Emulator, LocalTransport]:
    state = {**state, "throttle": {"maximumAvailable": BUCKET, "restoreRate": rate}}
    emu = Emulator.from_state(state, clock=VirtualClock())
    transport = LocalTransport(emu.handle, sleep=emu.clock.sleep, clock=emu.clock.now)
    return emu, transport


def measure(levels: int, reader: str, rate: float, apply: bool = True) -> dict:
    """Plan and apply ``levels`` levels (20% changed) with ``reader``; the figures.

    Without ``apply`` only the plan is made (the 1,000,000-level memory check).
    """
    state, files = build(levels)
    emu, transport = _emulator(state, rate)
    t0 = time.perf_counter()
    if reader == "naive":
        changed = _naive(emu, transport, state, files)
        plan_calls = plan_points = plan_sim = None
    else:
        store = engine.Connection("bench.myshopify.com", "file", "2026-04", transport, emu,
                             fetch=local_fetch(emu.bulk.open))
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, text in enumerate(files):
                path = Path(tmp) / f"inventory-{i:02d}.yaml"
                path.write_text(text, encoding="utf-8")
                paths.append(str(path))
            result = engine.make_plan(paths, store, read=reader)
        plan_calls, plan_points, plan_sim = transport.calls, transport.cost_points, emu.clock.now()
        plan_wall = time.perf_counter() - t0
        changed = result.plan.summary.to_adjust
        if apply:
            plan, meta = engine.plan_for_apply(result, store)
            report = engine.run_plan(plan, meta, store)
            if report.exit_code != 0:
                raise SystemExit(f"apply failed: {report.summary_line()}")
    wall = time.perf_counter() - t0
    figures = {"levels": levels, "reader": reader, "rate": rate, "changed": changed,
               "calls": transport.calls, "points": transport.cost_points,
               "simulated": emu.clock.now(), "wall": wall,
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "plan_calls": plan_calls, "plan_points": plan_points, "plan_simulated": plan_sim}
    if reader != "naive":
        figures["plan_wall"] = plan_wall
    return figures


def measure_import(levels: int, read: str, rate: float = 100.0) -> dict:
    """``syncer import`` of the whole store (``levels`` levels at 10 locations) with ``read``
    (``auto``: a bulk query once the store proves large; ``paged``), on the emulator's simulated
    clock at ``rate`` points a second (Standard: 100); calls, points, simulated and wall time."""
    from syncer.engine.importing import ImportOptions, import_store

    state, _files = build(levels)
    emu, transport = _emulator(state, rate)
    store = engine.Connection("bench.myshopify.com", "http", "2026-10", transport, emu,
                              fetch=local_fetch(emu.bulk.open))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = import_store(store, Path(tmp) / "out", ImportOptions(read=read))
    return {"levels": levels, "read": read, "rate": rate, "written": result.levels,
            "calls": transport.calls, "points": transport.cost_points,
            "simulated": emu.clock.now(), "wall": time.perf_counter() - t0}


#: The baseline process: Python's start, syncer's import and the state file read as JSON, what
#: any plan from a state file spends before reading the store. Ratios against it carry from one
#: machine to another better than seconds do.
BASELINE = "import json, sys, syncer.cli; json.load(open(sys.argv[1], encoding='utf-8'))"


def write_store(levels: int, folder: Path) -> tuple[Path, list[Path]]:
    """The state file (no ``clock``: the embedded default) and the manifests, under ``folder``."""
    state, files = build(levels)
    path = folder / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    manifests = folder / "manifests"
    manifests.mkdir()
    paths = []
    for i, text in enumerate(files):
        paths.append(manifests / f"inventory-{i:02d}.yaml")
        paths[-1].write_text(text, encoding="utf-8")
    return path, paths


def run_process(argv: list[str], cwd: Path | None = None) -> dict:
    """Run ``argv``; its wall and CPU seconds and its own peak RSS in MB (``wait4``)."""
    with tempfile.TemporaryFile() as errors:
        t0 = time.perf_counter()
        # The syncer next to this file, whichever one the interpreter has installed.
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])} ... exited {child.returncode}:\n"
                             + errors.read().decode(errors="replace")[-2000:])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024}


def embedded(levels: int, reader: str = "bulk") -> dict:
    """``syncer plan --store state.json --read READER`` on ``levels`` levels in its own process,
    and the baseline process (``BASELINE``) in the same run: each one's figures and the ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        state, manifests = write_store(levels, Path(tmp))
        base = run_process([sys.executable, "-c", BASELINE, str(state)])
        plan = run_process([sys.executable, "-m", "syncer", "plan", "--store", str(state),
                            "--read", reader, *map(str, manifests)], cwd=Path(tmp))
    return {"levels": levels, "reader": reader, "plan": plan, "baseline": base,
            "ratios": {k: plan[k] / base[k] if base[k] else None for k in plan}}


def _naive(emu: Emulator, transport: LocalTransport, state: dict, files: list[str]) -> int:
    """Shopify's documentation examples in a loop: per level, read it, then set it."""
    locations = {loc["name"]: loc["id"] for loc in state["locations"]}
    changed = 0
    for text in files:
        location = None
        for line in text.splitlines()[4:]:
            if not line.startswith("    "):
                location = locations[line.strip().rstrip(":")]
                continue
            sku, rest = line.strip().split(": ", 1)
            want = int(rest.strip("{}").rsplit(": ", 1)[1])
            data = transport.execute(NAIVE_QUERY, {"sku": f"sku:{sku}", "locationId": location})
            node = data["data"]["inventoryItems"]["nodes"][0]
            have = node["inventoryLevel"]["quantities"][0]["quantity"]
            if have != want:
                changed += 1
                transport.execute(NAIVE_MUTATION, {"key": f"naive-{sku}-{location}", "input": {
                    "reason": "correction", "name": "available", "quantities": [{
                        "inventoryItemId": node["id"], "locationId": location,
                        "quantity": want, "changeFromQuantity": have}]}})
    return changed


if __name__ == "__main__":
    # scale.py LEVELS bulk|paged|naive RATE [plan]; scale.py embedded LEVELS [bulk|paged]
    if sys.argv[1] == "embedded":
        print(json.dumps(embedded(int(sys.argv[2]), *sys.argv[3:4])))
        sys.exit(0)
    print(json.dumps(measure(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]),
                             apply=sys.argv[4:] != ["plan"])))
