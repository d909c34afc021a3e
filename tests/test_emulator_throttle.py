"""Cost accounting and the leaky bucket inside the emulator (virtual clock: no sleeping)."""

import json
from pathlib import Path

from syncer.emulator import Emulator, VirtualClock

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
ADJUST = """mutation { inventoryAdjustQuantities(input: {reason: "correction", name: "available",
  changes: [{inventoryItemId: "gid://shopify/InventoryItem/2",
             locationId: "gid://shopify/Location/1", delta: 1, changeFromQuantity: null}]})
  @idempotent(key: "t-1") { userErrors { code } } }"""
ITEMS = "{ inventoryItems(first: 10) { nodes { sku } } }"


def emulator(maximum=2000, restore=100):
    state = json.loads(QUICKSTART.read_text())
    state["throttle"] = {"maximumAvailable": maximum, "restoreRate": restore}
    clock = VirtualClock()
    return Emulator.from_state(state, clock=clock), clock


def run(emu, query):
    status, body = emu.handle({"query": query}, {})
    assert status == 200
    return body


def test_refund_of_requested_minus_actual():
    emu, _ = emulator()
    body = run(emu, ITEMS)
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 12, "actualQueryCost": 7,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1993.0,
                           "restoreRate": 100.0}}


def test_a_dry_bucket_throttles_without_executing_and_refills_with_time():
    emu, clock = emulator(maximum=15, restore=5)
    assert run(emu, ADJUST)["data"] == {"inventoryAdjustQuantities": {"userErrors": []}}
    throttled = run(emu, ADJUST.replace("t-1", "t-2"))
    assert throttled == {
        "errors": [{"message": "Throttled", "extensions": {
            "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None,
                                "throttleStatus": {"maximumAvailable": 15.0,
                                                   "currentlyAvailable": 5.0,
                                                   "restoreRate": 5.0}}}}
    level = emu.store.levels[("gid://shopify/InventoryItem/2", "gid://shopify/Location/1")]
    assert level.quantity("available") == 13
    clock.advance(1)
    assert run(emu, ADJUST.replace("t-1", "t-2"))["data"] == {
        "inventoryAdjustQuantities": {"userErrors": []}}
    assert level.quantity("available") == 14
