"""The emulator's API versions (2026-04, 2026-07, 2026-10), its key replay modes, and the
answers it gives word for word as live Shopify does."""

import json
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest

from syncer.emulator import API_PATH, Emulator, StateError, VirtualClock, serve
from syncer.emulator.versions import VERSIONS

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes(quantityNames: ["available"]) { delta quantityAfterChange } }
    userErrors { field message code } } }"""
SET = """mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id } userErrors { field message code } } }"""
LEVEL = """query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) {
  nodes { isActive location { id } quantities(names: ["available"]) { quantity } } } } }"""


def item(n: int) -> str:
    return f"gid://shopify/InventoryItem/{n}"


def path(version: str) -> str:
    return f"/admin/api/{version}/graphql.json"


@pytest.fixture
def emu(tmp_path):
    target = tmp_path / "store.json"
    shutil.copy(QUICKSTART, target)
    return Emulator.load(target, clock=VirtualClock())


def gql(emu, version, query, variables=None):
    status, body = emu.handle({"query": query, "variables": variables}, {}, path(version))
    assert status == 200, body
    return body


def adjust_vars(n, location, delta, before, key="k1"):
    change = {"inventoryItemId": item(n), "locationId": location, "delta": delta}
    if before is not ...:
        change["changeFromQuantity"] = before
    return {"key": key, "input": {"reason": "correction", "name": "available",
                                  "changes": [change]}}


def set_vars(n, location, quantity, before, key="s1"):
    entry = {"inventoryItemId": item(n), "locationId": location, "quantity": quantity}
    if before is not ...:
        entry["changeFromQuantity"] = before
    return {"key": key, "input": {"reason": "correction", "name": "available",
                                  "quantities": [entry]}}


def test_each_version_is_served_and_named_in_the_response_header(emu):
    for version in VERSIONS:
        status, body, headers = emu.respond({"query": "{ shop { name } }"}, {}, path(version))
        assert (status, body["data"], headers) == (
            200, {"shop": {"name": "quickstart"}}, {"X-Shopify-API-Version": version})


def test_a_retired_version_falls_forward_to_the_oldest_served_one(emu):
    status, body, headers = emu.respond({"query": "{ shop { name } }"}, {}, path("2025-10"))
    assert (status, headers) == (200, {"X-Shopify-API-Version": "2026-04"})
    # and behaves as 2026-04: no level, no adjust
    out = gql(emu, "2025-10", ADJUST, adjust_vars(3, LOC1, 1, 0))
    assert out["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "ITEM_NOT_STOCKED_AT_LOCATION")


def test_the_version_header_is_sent_over_http(emu):
    server = serve(emu, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = server.url.replace(API_PATH, path("2026-07"))
        request = urllib.request.Request(
            url, data=json.dumps({"query": "{ shop { name } }"}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["X-Shopify-API-Version"] == "2026-07"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("version", ["2026-04", "2026-07"])
def test_before_2026_10_a_change_where_no_level_exists_is_refused(emu, version):
    out = gql(emu, version, ADJUST, adjust_vars(3, LOC1, 2, 0))["data"]
    assert out["inventoryAdjustQuantities"] == {"inventoryAdjustmentGroup": None, "userErrors": [
        {"field": ["input", "changes", "0", "locationId"],
         "message": "The inventory item is not stocked at the location.",
         "code": "ITEM_NOT_STOCKED_AT_LOCATION"}]}
    out = gql(emu, version, SET, set_vars(3, LOC1, 2, 0))["data"]["inventorySetQuantities"]
    assert out["userErrors"][0]["code"] == "ITEM_NOT_STOCKED_AT_LOCATION"
    assert len(emu.store.levels_of(item=item(3), include_inactive=True)) == 1


def test_from_2026_10_quantities_change_at_any_location(emu):
    out = gql(emu, "2026-10", ADJUST, adjust_vars(3, LOC1, 2, 0))["data"]
    assert out["inventoryAdjustQuantities"] == {"userErrors": [], "inventoryAdjustmentGroup": {
        "changes": [{"delta": 2, "quantityAfterChange": 2}]}}
    levels = gql(emu, "2026-10", LEVEL, {"id": item(3)})["data"]["inventoryItem"]
    assert [(n["location"]["id"], n["isActive"], n["quantities"][0]["quantity"])
            for n in levels["inventoryLevels"]["nodes"]] == [(LOC2, True, 5), (LOC1, True, 2)]
    # all or nothing: a refused mutation makes no level
    out = gql(emu, "2026-10", ADJUST, adjust_vars(1, LOC2, 2, 99, key="k2"))["data"]
    assert out["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "CHANGE_FROM_QUANTITY_STALE")
    assert (item(1), LOC2) not in emu.store.levels
    set_out = gql(emu, "2026-10", SET, set_vars(1, LOC2, 4, 0))["data"]["inventorySetQuantities"]
    assert set_out["userErrors"] == [] and emu.store.levels[(item(1), LOC2)].quantity(
        "available") == 4


def test_2026_10_drops_item_not_stocked_from_the_quantity_error_codes(emu):
    query = '{ __type(name: "InventoryAdjustQuantitiesUserErrorCode") { enumValues { name } } }'
    names = {v: {e["name"] for e in gql(emu, v, query)["data"]["__type"]["enumValues"]}
             for v in VERSIONS}
    assert "ITEM_NOT_STOCKED_AT_LOCATION" in names["2026-04"] & names["2026-07"]
    assert "ITEM_NOT_STOCKED_AT_LOCATION" not in names["2026-10"]
    assert names["2026-04"] - names["2026-10"] == {"ITEM_NOT_STOCKED_AT_LOCATION"}


def test_2026_10_refuses_a_set_key_whose_previous_attempt_failed(emu):
    def attempt(version, key):
        out = gql(emu, version, SET, set_vars(2, LOC1, 20, 99, key))
        return out["data"]["inventorySetQuantities"]

    assert attempt("2026-10", "s1")["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert attempt("2026-10", "s1") == {"inventoryAdjustmentGroup": None, "userErrors": [{
        "field": None, "code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
        "message": "A previous request with this idempotency key failed. Retry with a new "
                   "idempotency key."}]}
    # 2026-07 runs a key's failed attempt again (and its CAS answers)
    for _ in range(2):
        assert attempt("2026-07", "s2")["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mutation, input_type, variables", [
    ("inventoryAdjustQuantities", "InventoryChangeInput", adjust_vars(1, LOC1, 1, ...)),
    ("inventorySetQuantities", "InventoryQuantityInput", set_vars(1, LOC1, 1, ...)),
])
def test_a_change_without_change_from_quantity_is_refused_word_for_word(
        emu, version, mutation, input_type, variables):
    query = ADJUST if mutation == "inventoryAdjustQuantities" else SET
    out = gql(emu, version, query, variables)
    assert out["data"] == {mutation: None}
    [error] = out["errors"]
    assert {k: error[k] for k in ("message", "path", "extensions")} == {
        "message": f"{input_type} must include the following argument: changeFromQuantity.",
        "path": [mutation], "extensions": {"code": "INVALID_FIELD_ARGUMENTS"}}


def _replayed_adjust(emu, mode):
    emu.key_replay = mode
    first = gql(emu, "2026-07", ADJUST, adjust_vars(1, LOC1, 3, 40))["data"]
    second = gql(emu, "2026-07", ADJUST, adjust_vars(1, LOC1, 3, 40))["data"]
    return first["inventoryAdjustQuantities"], second["inventoryAdjustQuantities"]


def test_key_replay_cached_answers_the_first_result_again(emu):
    first, second = _replayed_adjust(emu, "cached")
    assert first == second and first["userErrors"] == []
    assert [j["replay"] for j in emu.store.journal] == [False, True]
    assert emu.store.levels[(item(1), LOC1)].quantity("available") == 43


def test_key_replay_reevaluate_runs_again_and_the_cas_refuses(emu):
    first, second = _replayed_adjust(emu, "reevaluate")
    assert first["userErrors"] == []
    assert second["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert emu.store.levels[(item(1), LOC1)].quantity("available") == 43
    # the key is still bound to its arguments
    other = gql(emu, "2026-07", ADJUST, adjust_vars(1, LOC1, 5, 43))["data"]
    assert other["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")


def test_key_replay_ignored_deduplicates_nothing(emu):
    first, second = _replayed_adjust(emu, "ignored")
    assert second["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    # without CAS nothing protects the change: it lands twice
    emu.key_replay = "ignored"
    for _ in range(2):
        gql(emu, "2026-07", ADJUST, adjust_vars(2, LOC1, 1, None, key="k9"))
    assert emu.store.levels[(item(2), LOC1)].quantity("available") == 14
    assert emu.store.idempotency == {}


def test_key_replay_is_read_from_the_state_file_and_checked(tmp_path):
    state = json.loads(QUICKSTART.read_text())
    assert Emulator.from_state({**state, "key_replay": "ignored"}).key_replay == "ignored"
    assert Emulator.from_state(state).key_replay == "cached"
    assert Emulator.from_state(state, key_replay="reevaluate").key_replay == "reevaluate"
    with pytest.raises(StateError, match="key_replay: must be one of cached, reevaluate, ignored"):
        Emulator.from_state({**state, "key_replay": "sometimes"})
    target = tmp_path / "s.json"
    target.write_text(json.dumps({**state, "key_replay": "reevaluate"}))
    emu = Emulator.load(target)
    emu.save()
    assert json.loads(target.read_text())["key_replay"] == "reevaluate"


def test_the_emulator_command_takes_key_replay():
    from click.testing import CliRunner

    from syncer.cli import cli

    result = CliRunner().invoke(cli, ["emulator", "--state", str(QUICKSTART),
                                       "--key-replay", "sometimes"])
    assert result.exit_code == 64 and "'sometimes' is not one of" in result.output


@pytest.mark.parametrize("plan, rate", [("standard", 100), ("advanced", 200), ("plus", 1000),
                                        ("enterprise", 2000)])
def test_throttle_models_each_plan(plan, rate):
    state = {**json.loads(QUICKSTART.read_text()), "throttle": {"plan": plan}}
    emu = Emulator.from_state(state, clock=VirtualClock())
    status = gql(emu, "2026-10", "{ shop { name } }")["extensions"]["cost"]["throttleStatus"]
    assert (status["restoreRate"], status["maximumAvailable"]) == (rate, 20 * rate)
    with pytest.raises(StateError, match="throttle.plan: must be one of standard"):
        Emulator.from_state({**state, "throttle": {"plan": "basic"}})
