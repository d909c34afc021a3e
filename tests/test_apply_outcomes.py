"""Issue 12, the apply side: what a run reports for every change, and when it is a replay."""

import json
from pathlib import Path

import yaml

from syncer import engine
from syncer.apply.applier import ApplyOptions
from syncer.connect import Connection
from syncer.emulator import Emulator, VirtualClock
from syncer.plan.document import load_plan_document
from syncer.shopify.transport import LocalTransport

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
QUANTITIES = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
              "safety_stock")


def _state(items=4):
    levels = []
    for i in range(1, items + 1):
        q = dict.fromkeys(QUANTITIES, 0) | {"available": 10 * i}
        levels.append({"id": i, "item": f"{ITEM}{i}", "location": f"{LOC}1", "active": True,
                       "quantities": q})
    return {"shop": "outcomes.myshopify.com",
            "throttle": {"maximumAvailable": 2000, "restoreRate": 100},
            "locations": [{"id": f"{LOC}1", "name": "East"}, {"id": f"{LOC}2", "name": "West"}],
            "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i}"} for i in range(1, items + 1)],
            "levels": levels}


def _manifest(tmp_path, east, west=None):
    data = {"apiVersion": "syncer/v1", "kind": "InventoryLevels",
            "safety": {"max_changed_percent": 100},
            "locations": {"East": east, **({"West": west} if west else {})}}
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _virtual(emulator: Emulator) -> Connection:
    clock = emulator.clock
    transport = LocalTransport(emulator.handle, token=emulator.store.access_token,
                               sleep=clock.sleep, clock=clock.now)
    return Connection("virtual", "file", "2026-04", transport, emulator)


def _plan(manifest: Path, connection: Connection):
    result = engine.make_plan([str(manifest)], connection)
    return load_plan_document(engine.new_plan_document(result, connection))


def test_a_replay_within_the_same_second_is_already_applied(tmp_path):
    """Item 8: the second run starts 0.3 s after the first on the store's clock; createdAt has
    whole seconds, and the replayed groups must still count as already applied."""
    emulator = Emulator.from_state(_state(), clock=VirtualClock(start=0.2))
    connection = _virtual(emulator)
    east = {"SKU-1": {"active": True, "available": 15}, "SKU-2": {"active": True, "available": 25}}
    plan, meta = _plan(_manifest(tmp_path, east), connection)
    first = engine.run_plan(plan, meta, connection, ApplyOptions(limits=meta.limits))
    assert first.counts()["adjusted"] == 2
    emulator.clock.advance(0.3)
    second = engine.run_plan(plan, meta, connection, ApplyOptions(limits=meta.limits))
    assert second.exit_code == 0
    counts = second.counts()
    assert (counts["adjusted"], counts["changes_already_applied"]) == (0, 2), counts
    assert json.loads(json.dumps(emulator.state()))["adjustment_group_seq"] == 1
