"""The state file: validation errors, stable ids, the persisted key cache, atomic saves, the CLI."""

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator, StateError, VirtualClock

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart" / "store.json"
DEACTIVATE = """mutation { inventoryDeactivate(
  inventoryLevelId: "gid://shopify/InventoryLevel/5?inventory_item_id=4") @idempotent(key: "k") {
  userErrors { message } } }"""
ADJUST = """mutation { inventoryAdjustQuantities(input: {reason: "correction", name: "available",
  changes: [{inventoryItemId: "gid://shopify/InventoryItem/2",
             locationId: "gid://shopify/Location/1", delta: 3, changeFromQuantity: null}]})
  @idempotent(key: "persisted") {
  inventoryAdjustmentGroup { id createdAt changes { name quantityAfterChange } }
  userErrors { code } } }"""


@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "store.json"
    shutil.copy(QUICKSTART, path)
    return path


def post(emu, query):
    status, body = emu.handle({"query": query}, {})
    assert status == 200, body
    return body


def test_quickstart_store_matches_the_documented_demo():
    emu = Emulator.load(QUICKSTART)
    rows = sorted(
        (emu.store.items[lv.item].sku, emu.store.locations[lv.location].name, lv.active,
         {k: v for k, v in lv.quantities.items() if v})
        for lv in emu.store.levels.values())
    assert emu.store.shop == "quickstart.myshopify.com" and emu.store.access_token is None
    assert rows == [
        ("CAP-BLUE", "Retail Soho", True, {"available": 3}),
        ("CAP-BLUE", "Warehouse East", False, {"available": 7}),
        ("MUG-OLD", "Retail Soho", True, {"available": 4}),
        ("MUG-OLD", "Warehouse East", True, {}),
        ("TSHIRT-RED-L", "Warehouse East", True, {"available": 12}),
        ("TSHIRT-RED-M", "Warehouse East", True, {"available": 40, "damaged": 2}),
        ("TSHIRT-RED-XL", "Retail Soho", True, {"available": 5}),
    ]


def test_invalid_json_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"shop": "x",\n  "items": [}\n')
    with pytest.raises(StateError) as caught:
        Emulator.load(path)
    assert str(caught.value) == (
        f"{path}: not valid JSON: line 2, column 13: Expecting value")


def test_every_invalid_field_is_reported_at_once(tmp_path):
    state = json.loads(QUICKSTART.read_text())
    state["throttle"] = {"maximumAvailable": 0}
    state["locations"][1]["id"] = "Location/2"
    state["levels"][0]["quantities"]["on_hand"] = 42
    state["levels"][1]["item"] = "gid://shopify/InventoryItem/99"
    state["levels"][3]["id"] = 1
    state["colour"] = "red"
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state))
    with pytest.raises(StateError) as caught:
        Emulator.load(path)
    assert str(caught.value).splitlines() == [
        f"{path}: invalid emulator state:",
        "  - colour: unknown field",
        "  - throttle.maximumAvailable: must be a positive number",
        "  - locations[1].id: must look like gid://shopify/Location/<number>, got 'Location/2'",
        "  - levels[0].quantities.on_hand: unknown quantity name (on_hand is derived from the "
        "others); use available, committed, damaged, incoming, quality_control, reserved, "
        "safety_stock",
        "  - levels[1].item: unknown inventory item 'gid://shopify/InventoryItem/99'",
        "  - levels[2].location: unknown location 'gid://shopify/Location/2'",
        "  - levels[3].id: duplicate level id 1",
        "  - levels[4].location: unknown location 'gid://shopify/Location/2'",
        "  - levels[6].location: unknown location 'gid://shopify/Location/2'",
    ]


def test_shape_problems_come_from_the_schema_and_name_the_field(tmp_path):
    """What ``state.schema.json`` rejects, each problem at its field, beside cross-references."""
    state = json.loads(QUICKSTART.read_text())
    del state["locations"][0]["name"]
    state["items"][0]["sku"] = 7
    state["levels"][0]["quantities"]["available"] = "5"
    state["levels"][0]["active"] = "yes"
    state["discounts"] = [{"id": "gid://shopify/DiscountCodeNode/1", "startsAt": 1}]
    state["idempotency"] = [{"field": "f", "key": "k", "fingerprint": "x", "response": []}]
    state["adjustment_group_seq"] = -1
    state["faults"] = []
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state))
    with pytest.raises(StateError) as caught:
        Emulator.load(path)
    assert str(caught.value).splitlines() == [
        f"{path}: invalid emulator state:",
        "  - locations[0].name: required, a non-empty string",
        "  - items[0].sku: must be a string or null",
        "  - levels[0].active: must be true or false",
        "  - levels[0].quantities.available: must be an integer",
        "  - discounts[0].startsAt: required, a date-time string",
        "  - discounts[0].title: required, a string",
        "  - idempotency[0].response: required, an object",
        "  - adjustment_group_seq: must be a non-negative integer",
        "  - faults: must be an object",
        "  - levels[0].location: unknown location 'gid://shopify/Location/1'",
        "  - levels[1].location: unknown location 'gid://shopify/Location/1'",
        "  - levels[3].location: unknown location 'gid://shopify/Location/1'",
        "  - levels[5].location: unknown location 'gid://shopify/Location/1'",
    ]


def test_the_state_schema_accepts_what_the_emulator_saves(store_file):
    from syncer.emulator.state_schema import schema_problems

    emu = Emulator.load(store_file)
    post(emu, ADJUST)
    assert schema_problems(json.loads(store_file.read_text())) == []


def test_missing_level_ids_are_assigned_and_survive_reactivation_and_reload(store_file):
    state = json.loads(store_file.read_text())
    for level in state["levels"]:
        del level["id"]
    state["levels"][0]["id"] = 10
    store_file.write_text(json.dumps(state))
    emu = Emulator.load(store_file, clock=VirtualClock())
    deactivate = DEACTIVATE.replace("InventoryLevel/5?", "InventoryLevel/14?")
    assert post(emu, deactivate)["data"] == {"inventoryDeactivate": {"userErrors": []}}
    saved = json.loads(store_file.read_text())
    assert [lv["id"] for lv in saved["levels"]] == [10, 11, 12, 13, 14, 15, 16]
    assert saved["levels"][4]["active"] is False
    reloaded = Emulator.load(store_file, clock=VirtualClock())
    activate = """mutation { inventoryActivate(inventoryItemId: "gid://shopify/InventoryItem/4",
      locationId: "gid://shopify/Location/2") @idempotent(key: "a") {
      inventoryLevel { id quantities(names: ["available"]) { quantity } } } }"""
    assert post(reloaded, activate)["data"]["inventoryActivate"]["inventoryLevel"] == {
        "id": "gid://shopify/InventoryLevel/14?inventory_item_id=4",
        "quantities": [{"quantity": 4}]}


def test_a_replay_after_a_restart_still_replays(store_file):
    first = post(Emulator.load(store_file, clock=VirtualClock()), ADJUST)["data"]
    restarted = Emulator.load(store_file, clock=VirtualClock())
    assert post(restarted, ADJUST)["data"] == first
    level = restarted.store.levels[("gid://shopify/InventoryItem/2", "gid://shopify/Location/1")]
    assert level.quantity("available") == 15
    assert first["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "quantityAfterChange": 15},
        {"name": "on_hand", "quantityAfterChange": 15}]


def test_queries_do_not_rewrite_the_file(store_file):
    before = store_file.read_bytes()
    post(Emulator.load(store_file), "{ shop { name } }")
    assert store_file.read_bytes() == before


def test_save_is_atomic_when_the_rename_fails(store_file, monkeypatch):
    before = store_file.read_bytes()
    renames = []

    def failing_replace(src, dst):
        renames.append((Path(src).parent, Path(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    emu = Emulator.load(store_file, clock=VirtualClock())
    with pytest.raises(OSError, match="disk full"):
        emu.handle({"query": ADJUST}, {})
    assert renames == [(store_file.parent, store_file)]
    assert store_file.read_bytes() == before
    assert sorted(p.name for p in store_file.parent.iterdir()) == ["store.json"]


def test_cli_reports_a_bad_state_file_without_a_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{")
    result = CliRunner().invoke(cli, ["emulator", "--state", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}: not valid JSON: line 1, column 2: "
        "Expecting property name enclosed in double quotes\n")


def test_cli_serves_prints_its_url_and_stops_on_ctrl_c(store_file):
    # `python -m syncer emulator ...`, with Ctrl-C turned back on: a shell starts a background
    # job with SIGINT ignored, and a child inherits that (so does Python, which then leaves it).
    command = [sys.executable, "-c", "import runpy, signal, sys; "
               "signal.signal(signal.SIGINT, signal.default_int_handler); "
               "sys.argv[0] = 'syncer'; runpy.run_module('syncer', run_name='__main__')",
               "emulator", "--state", str(store_file)]
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stderr.readline()
            assert line.startswith("Shopify emulator listening on http://127.0.0.1:")
            url = line.split()[4]
            assert url.endswith("/admin/api/2026-10/graphql.json")
            request = urllib.request.Request(url, data=b'{"query": "{ shop { name } }"}',
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.loads(response.read())["data"] == {"shop": {"name": "quickstart"}}
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == "Stopped.\n"
        finally:
            if process.poll() is None:
                process.kill()


# --- a simulated clock in the state file ------------------------------------------------------

def test_a_state_file_clock_runs_simulated_and_saves_the_time_reached(store_file):
    """``"clock"``: the emulator's time starts there, waits advance it without sleeping, and a
    save writes the time reached; the adjustment group is stamped with it."""
    data = json.loads(store_file.read_text())
    data["clock"] = "2026-05-01T12:00:00Z"
    data["faults"] = {"seed": 1, "latency_ms": 90_000}  # 90 s a request, on the clock
    store_file.write_text(json.dumps(data))
    emu = Emulator.load(store_file)
    assert emu.simulated and isinstance(emu.clock, VirtualClock)
    body = post(emu, ADJUST)
    group = body["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    assert group["createdAt"] == "2026-05-01T12:01:30Z"
    assert json.loads(store_file.read_text())["clock"] == "2026-05-01T12:01:30Z"
    emu.clock.sleep(0.25)
    emu.save()
    assert json.loads(store_file.read_text())["clock"] == "2026-05-01T12:01:30.250000Z"
    again = Emulator.load(store_file)  # the next process goes on from there
    post(again, DEACTIVATE)
    assert json.loads(store_file.read_text())["clock"] == "2026-05-01T12:03:00.250000Z"


def test_without_a_clock_the_emulator_keeps_real_time(store_file):
    emu = Emulator.load(store_file)
    assert not emu.simulated and "clock" not in emu.state()
    post(emu, ADJUST)
    assert "clock" not in json.loads(store_file.read_text())


def test_a_bad_clock_is_named(tmp_path):
    state = json.loads(QUICKSTART.read_text())
    state["clock"] = "1 May 2026"
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state))
    with pytest.raises(StateError) as caught:
        Emulator.load(path)
    assert str(caught.value).splitlines()[1:] == [
        "  - clock: must be a UTC date and time such as 2026-04-01T00:00:00Z"]


def test_a_simulated_clock_is_not_served(store_file):
    data = json.loads(store_file.read_text())
    data["clock"] = "2026-05-01T12:00:00Z"
    store_file.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["emulator", "--state", str(store_file), "--port", "0"])
    assert result.exit_code == 1
    assert "only a local store" in result.output and "Traceback" not in result.output
