"""``syncer import`` reads a large store with one bulk query (issue 23): from 300 levels on,
as ``plan`` does, falling back to pages when the bulk query fails, and writes the same
manifests either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli as run

from syncer import engine
from syncer.emulator.bulk import BulkSettings
from syncer.engine.importing import ImportOptions, import_store

ROOT = Path(__file__).resolve().parent.parent


def store(path: Path, items: int, locations: int = 3) -> Path:
    """``items`` x ``locations`` levels; every tenth inactive; SKUs shared by two items."""
    state = {
        "shop": "big.myshopify.com",
        "locations": [{"id": f"gid://shopify/Location/{n}", "name": f"Shop {n}"}
                      for n in range(1, locations + 1)],
        "items": [{"id": f"gid://shopify/InventoryItem/{i}",
                   "sku": "SHARED" if i in (7, 8) else f"SKU-{i:04d}"}
                  for i in range(1, items + 1)],
        "levels": [{"item": f"gid://shopify/InventoryItem/{i}",
                    "location": f"gid://shopify/Location/{n}",
                    "active": i % 10 != 0, "quantities": {"available": i % 17}}
                   for n in range(1, locations + 1) for i in range(1, items + 1)],
    }
    path.write_text(json.dumps(state))
    return path


def written(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))
            if p.name != "syncer.yaml"}


@pytest.mark.parametrize("items, bulk", [(60, False), (200, True)])
def test_import_reads_with_a_bulk_query_from_300_levels_and_writes_the_same(tmp_path, items,
                                                                             bulk):
    path = store(tmp_path / "store.json", items)
    auto = run("import", "-o", tmp_path / "auto", "--store", path, "--quantities",
               "available,damaged")
    assert auto.exit_code == 0, auto.output
    assert ("Reading levels with a bulk query" in auto.stderr) == bulk
    paged = run("import", "-o", tmp_path / "paged", "--store", path, "--read", "paged",
                "--quantities", "available,damaged")
    assert paged.exit_code == 0 and "bulk query" not in paged.stderr
    assert written(tmp_path / "auto") == written(tmp_path / "paged")
    assert len(written(tmp_path / "auto")) == 3
    # the shared SKU is told apart by item id in both reads
    assert "gid://shopify/InventoryItem/7" in written(tmp_path / "auto")["shop-1.yaml"]
    plan = run("plan", tmp_path / "auto", "--store", path, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_a_failing_bulk_query_falls_back_to_pages_and_says_so(tmp_path):
    path = store(tmp_path / "store.json", 200)
    connection = engine.connect(str(path))
    connection.emulator.bulk.configure(BulkSettings(fail=1.0, seed=1))  # every one fails
    said: list[str] = []
    try:
        import_store(connection, tmp_path / "out", ImportOptions(read="bulk"),
                     progress=lambda line: said.append(str(line)))
    finally:
        connection.close()
    assert any("Bulk read unavailable" in line and "reading page by page" in line
               for line in said), said
    paged = run("import", "-o", tmp_path / "paged", "--store", path, "--read", "paged")
    assert paged.exit_code == 0, paged.output
    assert written(tmp_path / "out") == written(tmp_path / "paged")
