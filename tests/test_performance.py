"""The performance benchmark at a reduced size: it runs, and its figures make sense."""

import importlib.util
import re
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "performance.py"


def load():
    spec = importlib.util.spec_from_file_location("performance", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow(seconds=2)
def test_the_benchmark_at_a_small_size_shows_bulk_cheapest_and_writes_the_table(
        tmp_path, capsys):
    # In process and without the chart: the suite does not install matplotlib (the `bench`
    # extra) or start a process per row; the full run (`--out docs`) does both.
    performance = load()
    assert performance.main(["--sizes", "100", "600", "--naive-max", "100", "--out",
                             str(tmp_path), "--json", str(tmp_path / "rows.json"),
                             "--in-process", "--no-chart"]) == 0
    import json

    rows = {(r["levels"], r["reader"], r["rate"]): r
            for r in json.loads((tmp_path / "rows.json").read_text())}
    bulk, paged, naive = (rows[(600, reader, 100.0)] for reader in ("bulk", "paged", "naive"))
    assert naive.get("estimated") and not bulk.get("estimated")
    assert bulk["changed"] == paged["changed"] == 120
    # A bulk read costs a few dozen points at any size; the writes are at the floor.
    floor = performance.floor_points(bulk["changed"])
    # locations, run, polls: ~30 points; the apply journal: its read, its field in each apply
    # request and the closing record, ~30 more (10 points a mutation field)
    assert floor <= bulk["points"] <= floor + 30 + 30
    assert bulk["points"] * 10 < paged["points"] < naive["points"]
    assert naive["calls"] / bulk["calls"] >= 100
    for reader in ("bulk", "paged", "naive"):
        slow, fast = rows[(600, reader, 100.0)], rows[(600, reader, 1000.0)]
        assert fast["simulated"] <= slow["simulated"]
        assert slow["points"] == fast["points"] or reader == "naive"
    printed = capsys.readouterr().out
    assert re.search(r"\| 600 \| bulk \| \d+ \| \d+ \|", printed)
    assert "| 600 | naive | ~" in printed
    document = (tmp_path / "performance.md").read_text()
    assert printed.strip() in document and "--no-chart" in document
    assert "performance.png" not in document and not (tmp_path / "performance.png").exists()
