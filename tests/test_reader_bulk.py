"""The reader's bulk path: same live state as paged reads, fewer points, fallback with a reason."""

import io
import random

import pytest

from syncer.emulator import Emulator, VirtualClock
from syncer.emulator.bulk import BulkSettings
from syncer.errors import Source
from syncer.model import DesiredLevel, DesiredState, Policy
from syncer.plan.planner import plan
from syncer.progress import ProgressPrinter, Tick
from syncer.shopify.bulk import BulkPolicy, local_fetch
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.reader import BULK_MIN_LEVELS, read_live

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"


def store_state(items=120, locations=4, seed=0):
    rng = random.Random(seed)
    levels = []
    for i in range(1, items + 1):
        for n in range(1, locations + 1):
            if rng.random() < 0.85:
                levels.append({"item": f"{ITEM}{i}", "location": f"{LOC}{n}",
                               "active": rng.random() < 0.8,
                               "quantities": {"available": rng.randrange(40),
                                              "reserved": rng.randrange(2)}})
    skus = [f"SKU-{i % (items - 3)}" if i % 11 else None for i in range(1, items + 1)]
    return {"shop": "bulk.myshopify.com",
            "locations": [{"id": f"{LOC}{n}", "name": f"Loc {n}"}
                          for n in range(1, locations + 1)],
            "items": [{"id": f"{ITEM}{i}", "sku": sku, **_cost(i)}
                      for i, sku in enumerate(skus, 1)],
            "levels": levels}


def _cost(i):
    """Every third item has no unitCost; the others cost i.ii EUR or USD."""
    if i % 3 == 0:
        return {}
    currency = "EUR" if i % 2 else "USD"
    return {"unit_cost": {"amount": f"{i}.{i % 100:02d}", "currencyCode": currency}}


def manifest(items=120, locations=3, seed=1):
    """Desired levels by SKU and by gid, some of items that do not exist, at named locations."""
    rng = random.Random(seed)
    pairs = set()
    for n in range(1, locations + 1):
        for i in range(1, items + 1):
            if rng.random() < 0.7:
                pairs.add((f"Loc {n}", f"SKU-{i}" if i % 5 else f"{ITEM}{i}"))
    pairs.add((f"{LOC}1", "SKU-NOPE"))
    levels = tuple(DesiredLevel(loc, item, True, {}, Source("s.yaml", line, 1))
                   for line, (loc, item) in enumerate(sorted(pairs), 1))
    return DesiredState(levels, policy=Policy(unmanaged="ignore"))


def connect(state=None, settings=None):
    emu = Emulator.from_state(state or store_state(), clock=VirtualClock())
    emu.bulk.configure(settings or BulkSettings())
    transport = LocalTransport(emu.handle, sleep=emu.clock.sleep, clock=emu.clock.now)
    return emu, transport, local_fetch(emu.bulk.open)


@pytest.mark.parametrize("prune", [False, True])
def test_bulk_reads_the_same_live_state_as_paged_reads_for_fewer_points(prune):
    desired = manifest()
    _, paged_transport, _ = connect()
    paged = read_live(paged_transport, desired, prune=prune, read="paged")
    emu, transport, fetch = connect()
    lines = []
    bulk = read_live(transport, desired, prune=prune, read="bulk", fetch=fetch,
                     progress=lines.append)
    assert len(emu.bulk.operations) == 1
    # Paged reads may scan a location whole (unmanaged levels come along); the plans agree.
    expected = plan(desired, paged, prune=prune)
    assert plan(desired, bulk, prune=prune) == expected
    assert len(expected.changes) > 50 and expected.errors  # SKU-NOPE, duplicated SKUs
    # each item's unitCost comes along in both reads (issue 24), and is the same
    costs = {item_id: item.unit_cost for item_id, item in bulk.items.items()}
    assert costs == {item_id: paged.items[item_id].unit_cost for item_id in costs}
    assert None in costs.values() and {c.currency for c in costs.values() if c} == {"EUR", "USD"}
    assert transport.cost_points < paged_transport.cost_points / 5
    assert "Reading items and levels with a bulk query ..." in lines
    assert [line for line in lines if line.startswith("Bulk operation COMPLETED")] == [
        line for line in lines if line.startswith("Bulk operation COMPLETED: ")]  # said once
    assert any(line.startswith("Bulk operation COMPLETED: ") for line in lines)


def test_auto_reads_in_bulk_only_from_the_threshold_on():
    levels = manifest(items=200, locations=4).levels
    small = DesiredState(levels[: BULK_MIN_LEVELS - 1])
    large = DesiredState(levels[:BULK_MIN_LEVELS])
    assert len(levels) > BULK_MIN_LEVELS
    emu, transport, fetch = connect()
    read_live(transport, small, fetch=fetch)
    assert emu.bulk.operations == {}
    read_live(transport, large, fetch=fetch)
    assert len(emu.bulk.operations) == 1


def fallback(settings=None, policy=None, before=None):
    desired = manifest()
    _, paged_transport, _ = connect()
    expected = read_live(paged_transport, desired, read="paged")
    emu, transport, fetch = connect(settings=settings)
    if before:
        before(emu)
    lines = []
    live = read_live(transport, desired, read="bulk", fetch=fetch, progress=lines.append,
                     bulk_policy=policy)
    assert plan(desired, live) == plan(desired, expected)
    [said] = [line for line in lines if line.startswith("Bulk read unavailable: ")]
    assert said.endswith("; reading page by page instead")
    return emu, said


def test_a_failed_bulk_operation_falls_back_to_paged_reads_and_says_why():
    _, said = fallback(BulkSettings(fail=1.0, seed=2))
    assert "is FAILED (" in said


def test_a_refused_bulk_query_falls_back_when_other_apps_hold_the_five_slots():
    def hold_slots(emu):
        emu.bulk.configure(BulkSettings(rows_per_second=0.001))
        for _ in range(5):
            emu.handle({"query": 'mutation { bulkOperationRunQuery(query: "{ locations { edges '
                                 '{ node { id } } } }") { userErrors { message } } }'}, {})

    _, said = fallback(before=hold_slots)
    assert "refused the bulk query: A maximum of 5 bulk query operations" in said


def test_a_bulk_operation_that_takes_too_long_is_canceled_and_paged_instead():
    emu, said = fallback(BulkSettings(rows_per_second=0.01), BulkPolicy(timeout=60))
    assert "did not finish in 60 s (canceled)" in said
    emu.clock.advance(2)
    assert emu.bulk.operations[1].view(emu.clock.now()).status == "CANCELED"


def test_a_download_that_keeps_breaking_falls_back_after_three_attempts():
    emu, said = fallback(BulkSettings(drop=1.0))
    assert "the result download broke 3 times" in said and emu.bulk.downloads == 3


def test_a_download_that_breaks_once_is_read_again_from_the_start():
    desired = manifest()
    _, paged_transport, _ = connect()
    expected = read_live(paged_transport, desired, read="paged")
    for seed in range(20):  # a seed whose first download breaks and the second does not
        emu, transport, fetch = connect(settings=BulkSettings(drop=0.5, seed=seed))
        lines = []
        live = read_live(transport, desired, read="bulk", fetch=fetch, progress=lines.append)
        if emu.bulk.downloads == 2:
            break
    assert emu.bulk.downloads == 2
    assert any(line.startswith("Bulk result download broke") for line in lines)
    assert plan(desired, live) == plan(desired, expected)


def test_polls_back_off_so_a_long_operation_costs_few_polls():
    emu, transport, fetch = connect(settings=BulkSettings(rows_per_second=2))  # ~4 minutes
    lines = []
    read_live(transport, manifest(), read="bulk", fetch=fetch, progress=lines.append)
    polls = [line for line in lines if isinstance(line, Tick)]
    # Polls back off from 1 s to 5 s (1 point each): about one every 5 s over 4 minutes, not
    # one a second; 5 s at most, so a finished export waits at most 5 s to be noticed.
    assert emu.clock.now() > 200 and len(polls) <= emu.clock.now() / 5 + 5
    assert "RUNNING" in polls[len(polls) // 2]


def test_the_printer_draws_a_bar_on_a_terminal_and_throttles_plain_lines():
    now = [0.0]
    plain = io.StringIO()
    printer = ProgressPrinter(plain, terminal=False, every=5, clock=lambda: now[0])
    for t in range(12):
        now[0] = t
        printer(Tick(f"Reading levels: {t:,}", t, 12))
    printer("done")
    assert plain.getvalue().splitlines() == ["Reading levels: 0", "Reading levels: 5",
                                             "Reading levels: 10", "done"]
    tty = io.StringIO()
    printer = ProgressPrinter(tty, terminal=True)
    printer(Tick("Reading levels: 6 / 12", 6, 12))
    printer("done")
    assert tty.getvalue() == ("\r\x1b[2K[############------------] Reading levels: 6 / 12"
                              "\r\x1b[2Kdone\n")


@pytest.mark.parametrize(("mode", "bulk"), [("bulk", True), ("paged", False), ("auto", False)])
def test_the_read_flag_chooses_how_plan_reads_the_store(tmp_path, mode, bulk):
    import shutil
    from pathlib import Path

    from click.testing import CliRunner

    from syncer.cli import cli

    example = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
    shutil.copy(example / "store.json", tmp_path / "store.json")
    result = CliRunner().invoke(cli, ["plan", str(example / "inventory.yaml"), "--store",
                                      str(tmp_path / "store.json"), "--read", mode])
    assert result.exit_code == 0, result.output
    assert ("Bulk operation COMPLETED" in result.stderr) is bulk
    assert "Reading 1 location" in result.stderr or "Reading 2 locations" in result.stderr
    bad = CliRunner().invoke(cli, ["plan", str(example / "inventory.yaml"), "--read", "fast"])
    assert bad.exit_code == 64
    assert "'fast' is not one of 'auto', 'bulk', 'paged', 'scan'" in bad.stderr


def test_bulk_reads_over_http_stream_the_result_from_the_emulators_url():
    import threading

    from syncer.emulator import serve
    from syncer.shopify.http_transport import HttpTransport
    from syncer.shopify.http_transport import download as http_fetch

    desired = manifest()
    _, paged_transport, _ = connect()
    expected = plan(desired, read_live(paged_transport, desired, read="paged"))
    emu = Emulator.from_state(store_state(), clock=VirtualClock())
    # A seed whose first download is cut off and whose second is not (rolls: fail, drop, drop).
    seed = next(n for n in range(100) if (lambda r: (r.random(), r.random() < 0.5,
                                                     r.random() >= 0.5))(random.Random(n))[1:]
                == (True, True))
    emu.bulk.configure(BulkSettings(drop=0.5, seed=seed))
    server = serve(emu)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        transport = HttpTransport(server.url, sleep=emu.clock.sleep, clock=emu.clock.now)
        lines = []
        live = read_live(transport, desired, read="bulk", fetch=http_fetch,
                         progress=lines.append)
        transport.close()
    finally:
        server.shutdown()
        server.server_close()
    assert plan(desired, live) == expected
    assert emu.bulk.downloads == 2 and not any("unavailable" in line for line in lines)
    assert any(line.startswith("Bulk result download broke") for line in lines)


def test_read_mode_comes_from_syncer_yaml_and_the_flag_overrides_it(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from click.testing import CliRunner

    from syncer.cli import cli

    example = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
    folder = tmp_path / "stores" / "us"
    folder.mkdir(parents=True)
    shutil.copy(example / "store.json", folder / "store.json")
    shutil.copy(example / "inventory.yaml", folder / "inventory.yaml")
    (folder / "syncer.yaml").write_text("store: store.json\nread: bulk\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCER_READ", raising=False)
    configured = CliRunner().invoke(cli, ["plan", "stores/us"])
    assert configured.exit_code == 0, configured.output
    assert "Bulk operation COMPLETED" in configured.stderr
    flagged = CliRunner().invoke(cli, ["plan", "stores/us", "--read", "paged"])
    assert flagged.exit_code == 0 and "Bulk operation" not in flagged.stderr
