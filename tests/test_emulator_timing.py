"""The emulator's ``timing``: a local state file runs at the speed of the code (``instant``),
unless the file, a clock or ``syncer emulator`` asks for Shopify's timing."""

import json

import pytest

from syncer import engine
from syncer.emulator import Emulator, StateError, VirtualClock
from syncer.engine.connect import connect

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status objectCount url } userErrors { message } } }"""
ITEMS = "{ inventoryItems { edges { node { id sku } } } }"
SHOP = "{ shop { name } }"  # 1 point


def state(**extra):
    return {"shop": "timing.myshopify.com",
            "throttle": {"maximumAvailable": 10, "restoreRate": 0.001},
            "locations": [{"id": f"{LOC}1", "name": "East"}],
            "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i}"} for i in range(1, 4)],
            "levels": [{"item": f"{ITEM}{i}", "location": f"{LOC}1",
                        "quantities": {"available": 5}} for i in range(1, 4)],
            **extra}


def answers(emu, query, times):
    bodies = [emu.handle({"query": query}, {})[1] for _ in range(times)]
    return ["errors" not in body for body in bodies], bodies[-1]


def run(emu):
    status, body = emu.handle({"query": RUN, "variables": {"q": ITEMS}}, {})
    assert status == 200 and "errors" not in body, body
    return body["data"]["bulkOperationRunQuery"]["bulkOperation"]


def test_a_local_state_file_without_a_clock_makes_no_one_wait(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state()), encoding="utf-8")
    emu = Emulator.load(path)
    assert emu.timing == "instant"
    # The bucket (10 points, restoring one point in 1,000 s) is never dry ...
    ok, last = answers(emu, SHOP, 12)
    assert all(ok)
    assert last["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 10
    # ... and a bulk operation is finished when it is created.
    operation = run(emu)
    assert (operation["status"], operation["objectCount"]) == ("COMPLETED", "3")
    assert operation["url"].endswith("/_emulator/bulk/1.jsonl")


@pytest.mark.parametrize("how", ["file", "clock", "argument"])
def test_shopify_timing_when_the_file_a_clock_or_the_caller_asks(tmp_path, how):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(**{"timing": "shopify"} if how == "file" else {})),
                    encoding="utf-8")
    emu = Emulator.load(path, clock=VirtualClock() if how == "clock" else None,
                        timing="shopify" if how == "argument" else None)
    assert emu.timing == "shopify"
    ok, last = answers(emu, SHOP, 11)  # the eleventh finds the bucket dry
    assert ok == [True] * 10 + [False] and last["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_a_simulated_clock_can_be_instant_and_timing_is_saved_with_the_file(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(timing="instant", clock="2026-04-01T00:00:00Z")),
                    encoding="utf-8")
    emu = Emulator.load(path)
    assert emu.simulated and emu.timing == "instant"
    assert run(emu)["status"] == "COMPLETED"
    assert emu.state()["timing"] == "instant"
    assert "timing" not in Emulator.from_state(state()).state()


def test_a_timing_that_is_not_one_of_the_two_is_refused(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(timing="fast")), encoding="utf-8")
    with pytest.raises(StateError, match="timing: must be one of instant, shopify"):
        Emulator.load(path)
    with pytest.raises(ValueError, match="timing must be one of instant, shopify"):
        Emulator.from_state(state(), timing="fast")


def test_a_plan_from_a_local_state_file_waits_for_nothing(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(throttle={"maximumAvailable": 2000, "restoreRate": 100})),
                    encoding="utf-8")
    manifest = tmp_path / "inventory.yaml"
    rows = "".join(f"    SKU-{i}: {{active: true, available: 6}}\n" for i in range(1, 4))
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  East:\n"
                        + rows, encoding="utf-8")
    store = connect(str(path))
    try:
        result = engine.make_plan([str(manifest)], store, read="bulk")
        # The bulk read: the run answers the finished operation, then its result is fetched;
        # no poll, no sleep (before: a second's wait, then the export at 2,000 objects/s).
        assert result.plan.summary.to_adjust == 3
        assert store.transport.waited == 0
        assert store.emulator.fault_report()["requests"] == store.transport.calls
        assert store.transport.calls <= 3  # shop, locations, the bulk run: no poll
    finally:
        store.close()


def test_the_emulator_command_serves_with_shopify_timing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from syncer.cli import cli

    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(timing="instant")), encoding="utf-8")
    served = []
    load = Emulator.load.__func__

    def loaded(cls, *args, **kwargs):  # the emulator the command would serve, not served
        emu = load(cls, *args, **kwargs)
        served.append((emu.timing, emu.bucket.instant, emu.bulk.instant))
        raise StateError("not serving in a test")

    monkeypatch.setattr(Emulator, "load", classmethod(loaded))
    result = CliRunner().invoke(cli, ["emulator", "--state", str(path)])
    assert result.exit_code == 1 and "not serving in a test" in result.stderr
    # Clients over HTTP sleep in real time: the file's timing is for the embedded store.
    assert served == [("shopify", False, False)]
