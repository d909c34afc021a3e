"""How long ``load_manifests`` takes for 100,000 levels in 20 files (target: under 5 seconds).

Run: ``python benchmarks/bench_manifest.py [--levels N] [--files N] [--repeat N]``. Prints the
best of ``--repeat`` runs (wall clock and CPU time: the machine may be shared), levels per second,
peak memory (a separate, traced run), and the ratio to a baseline measured on the same files in
the same run: plain ``yaml.load`` with pyyaml's fastest safe loader, which keeps no marks, checks
nothing and builds no ``DesiredState``; once as is, and once with the cyclic garbage collector
paused as ``load_manifests`` does, which is the fairer comparison.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncer.manifest.load import load_manifests  # noqa: E402
from syncer.manifest.yamlmarks import LOADER  # noqa: E402

TARGET_SECONDS = 5.0


def write_manifests(folder: Path, levels: int, files: int) -> list[str]:
    """``files`` manifests holding ``levels`` levels in all, 5 locations per file."""
    per_file = levels // files
    paths = []
    for f in range(files):
        lines = ["apiVersion: syncer/v1", "kind: InventoryLevels", "locations:"]
        for n in range(per_file):
            if n % (per_file // 5 or 1) == 0:
                lines.append(f"  Location {f:02d}-{n // (per_file // 5 or 1)}:")
            i = f * per_file + n
            quantities = f"available: {i % 997}, damaged: {i % 3}"
            if i % 10 == 0:
                quantities += f", incoming: {i % 50}"
            active = "false" if i % 17 == 0 else "true"
            lines.append(f"    SKU-{i:07d}: {{active: {active}, {quantities}}}")
        path = folder / f"manifest-{f:02d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def best_of(repeat: int, run) -> tuple[float, float, object]:
    """Best wall-clock seconds, best CPU seconds, and the result of ``run()``."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, result


def without_gc(run):
    def paused():
        gc.disable()
        try:
            return run()
        finally:
            gc.enable()

    return paused


def baseline(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = yaml.load(handle.read(), Loader=LOADER)  # noqa: S506 (a safe loader)
        total += sum(len(items) for items in document["locations"].values())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_manifests(Path(tmp), args.levels, args.files)
        size = sum(Path(p).stat().st_size for p in paths)
        seconds, cpu, desired = best_of(args.repeat, lambda: load_manifests([tmp]))
        base_seconds, _, base_levels = best_of(1, lambda: baseline(paths))
        fair_seconds, _, _ = best_of(args.repeat, without_gc(lambda: baseline(paths)))
        tracemalloc.start()
        load_manifests([tmp])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    levels = len(desired.levels)
    assert levels == base_levels == args.levels, (levels, base_levels)
    print(f"loader: {LOADER.__name__} (pyyaml {yaml.__version__})")
    print(f"input: {levels:,} levels in {len(paths)} files, {size / 1e6:.1f} MB")
    rate = levels / seconds
    print(
        f"load_manifests: {seconds:.2f} s best of {args.repeat} ({cpu:.2f} s CPU), "
        f"{rate:,.0f} levels/s"
    )
    print(f"peak memory (tracemalloc, separate run): {peak / 1e6:.0f} MB")
    print(f"baseline yaml.load({LOADER.__name__}), gc on: {base_seconds:.2f} s (1 run)")
    print(f"baseline yaml.load({LOADER.__name__}), gc paused: {fair_seconds:.2f} s")
    print(
        f"ratio load_manifests / baseline: {seconds / base_seconds:.2f} (gc on), "
        f"{seconds / fair_seconds:.2f} (gc paused)"
    )
    verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
    print(f"target under {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
