"""The emulator's bulk query operations: rules, timeline, limit, cancel, costs, JSONL, faults."""

import json
import random
import threading

import pytest
import requests

from syncer.emulator import Emulator, VirtualClock, serve
from syncer.emulator.bulk import ERROR_CODES, BulkSettings
from syncer.emulator.bulkquery import fast_lines, generic_lines
from syncer.emulator.bulkrules import check
from syncer.emulator.schema import build_emulator_schema
from syncer.emulator.versions import LATEST
from syncer.shopify.bulk import BULK_LEVELS_QUERY

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query($id: ID!) { bulkOperation(id: $id) {
  id status errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt
  completedAt type query } }"""
CANCEL = """mutation($id: ID!) { bulkOperationCancel(id: $id) {
  bulkOperation { id status } userErrors { field message } } }"""
LEVELS = ('{ inventoryItems { edges { node { id sku inventoryLevels(includeInactive: true) '
          '{ edges { node { id isActive location { id } '
          'quantities(names: ["available", "on_hand"]) { name quantity } } } } } } } }')


def state(items=3, locations=2, seed=0):
    rng = random.Random(seed)
    levels = [{"item": f"{ITEM}{i}", "location": f"{LOC}{n}", "active": rng.random() < 0.8,
               "quantities": {"available": rng.randrange(50), "committed": rng.randrange(3)}}
              for i in range(1, items + 1) for n in range(1, locations + 1)
              if rng.random() < 0.9]
    return {"shop": "bulk.myshopify.com",
            "locations": [{"id": f"{LOC}{n}", "name": f"Loc {n}"}
                          for n in range(1, locations + 1)],
            "items": [{"id": f"{ITEM}{i}", "sku": None if i % 7 == 0 else f"SKU-{i}",
                       **({"unit_cost": {"amount": f"{i}.25", "currencyCode": "EUR"}}
                          if i % 3 else {})}  # every third item has no cost
                      for i in range(1, items + 1)],
            "levels": levels}


def emulator(settings=None, **kw):
    emu = Emulator.from_state(state(**kw), clock=VirtualClock())
    emu.bulk.configure(settings or BulkSettings())
    return emu


def call(emu, query, **variables):
    status, body = emu.handle({"query": query, "variables": variables}, {})
    assert status == 200 and "errors" not in body, body
    return body


def run(emu, query=LEVELS):
    return call(emu, RUN, q=query)["data"]["bulkOperationRunQuery"]


def poll(emu, op_id="gid://shopify/BulkOperation/1"):
    return call(emu, POLL, id=op_id)["data"]["bulkOperation"]


def download(emu, url):
    size, chunks = emu.bulk.open(url.split("emulator.invalid", 1)[1])
    data = b"".join(chunks)
    assert len(data) == size
    return [json.loads(line) for line in data.decode().splitlines()]


def test_status_follows_the_clock_at_the_configured_rate_then_serves_jsonl():
    emu = emulator(BulkSettings(rows_per_second=100, startup_seconds=2), items=50, locations=4)
    started = run(emu)
    assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
    assert poll(emu)["status"] == "CREATED"
    emu.clock.advance(2.5)  # 0.5 s running at 100 rows/s
    running = poll(emu)
    assert (running["status"], running["objectCount"], running["url"]) == ("RUNNING", "50", None)
    emu.clock.advance(10)
    done = poll(emu)
    assert done["status"] == "COMPLETED" and done["type"] == "QUERY" and done["query"] == LEVELS
    rows = download(emu, done["url"])
    items = [r for r in rows if "__parentId" not in r]
    assert done["objectCount"] == str(len(rows)) and done["rootObjectCount"] == str(len(items))
    assert int(done["fileSize"]) > 0 and done["partialDataUrl"] is None
    total = len(rows)
    assert done["createdAt"] == "2026-04-01T00:00:00Z"
    assert done["completedAt"] == f"2026-04-01T00:00:{int(2 + total / 100):02d}Z"
    # Children come after their parent and name it; every level of the store is there once.
    seen = set()
    for row in rows:
        if "__parentId" in row:
            assert row["__parentId"] in seen and row["id"].startswith("gid://shopify/Inventory")
        else:
            seen.add(row["id"])
    assert len(rows) - len(items) == len(emu.store.levels)


def test_run_costs_a_mutation_and_polls_one_point_whatever_the_size():
    emu = emulator(items=400, locations=5)
    body = call(emu, RUN, q=LEVELS)
    assert body["extensions"]["cost"]["actualQueryCost"] == 10
    body = call(emu, POLL, id="gid://shopify/BulkOperation/1")
    assert body["extensions"]["cost"]["actualQueryCost"] == 1


@pytest.mark.parametrize(("query", "message"), [
    ('{ node(id: "gid://shopify/Location/1") { id } }', "top-level node and nodes"),
    ("{ shop { name } }", "must be a connection"),
    ("{ inventoryItems { nodes { id } } }", "edges and node"),
    ("{ inventoryItems { edges { node { id inventoryLevels { edges { node { location { "
     "inventoryLevels { edges { node { id } } } } } } } } } } }", "nested more than 2"),
    ("{ inventoryItems { edges { node { a: inventoryLevels { edges { node { id } } } "
     "b: inventoryLevels { edges { node { id } } } c: inventoryLevels { edges { node { id } } } "
     "d: inventoryLevels { edges { node { id } } } e: inventoryLevels { edges { node { id } } } "
     "} } } }", "more than 5 connections"),
    ("{ inventoryItems { edges { node { nope } } } }", "Invalid bulk query"),
    ("{ inventoryItems { edges { node { id } } ", "Invalid bulk query"),
    ("mutation { bulkOperationCancel(id: \"x\") { userErrors { message } } }",
     "one query operation"),
])
def test_queries_breaking_shopifys_bulk_rules_are_user_errors(query, message):
    emu = emulator()
    payload = run(emu, query)
    assert payload["bulkOperation"] is None
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID" and error["field"] == ["query"]
    assert message in error["message"]
    assert emu.bulk.operations == {}


def test_five_operations_run_at_once_and_a_sixth_waits_for_a_slot():
    emu = emulator(BulkSettings(rows_per_second=1, startup_seconds=0), items=5, locations=1)
    for _ in range(5):
        assert run(emu)["userErrors"] == []
    refused = run(emu)
    assert refused["bulkOperation"] is None
    assert refused["userErrors"][0]["code"] == "LIMIT_REACHED"
    emu.clock.advance(60)  # all five complete
    assert run(emu)["userErrors"] == []


def test_cancel_moves_a_running_operation_to_canceled_and_refuses_a_finished_one():
    emu = emulator(BulkSettings(rows_per_second=1, startup_seconds=0), items=20, locations=1)
    run(emu)
    emu.clock.advance(3)
    body = call(emu, CANCEL, id="gid://shopify/BulkOperation/1")["data"]["bulkOperationCancel"]
    assert body["userErrors"] == [] and body["bulkOperation"]["status"] == "CANCELING"
    emu.clock.advance(5)
    canceled = poll(emu)
    assert (canceled["status"], canceled["objectCount"], canceled["url"]) == ("CANCELED", "3", None)
    again = call(emu, CANCEL, id="gid://shopify/BulkOperation/1")["data"]["bulkOperationCancel"]
    assert "canceled" in again["userErrors"][0]["message"]
    missing = call(emu, CANCEL, id="gid://shopify/BulkOperation/9")["data"]["bulkOperationCancel"]
    assert missing["userErrors"][0]["field"] == ["id"]


def test_fail_fault_ends_the_operation_failed_with_an_error_code_and_no_url():
    emu = emulator(BulkSettings(fail=1.0, seed=3), items=100, locations=3)
    run(emu)
    emu.clock.advance(3600)
    failed = poll(emu)
    assert failed["status"] == "FAILED" and failed["errorCode"] in ERROR_CODES
    assert failed["url"] is None and 0 < int(failed["objectCount"]) < 100 * 3
    assert emu.bulk.open("/_emulator/bulk/1.jsonl") is None


def test_drop_fault_cuts_the_download_half_way():
    emu = emulator(BulkSettings(drop=1.0), items=200, locations=3)
    run(emu)
    emu.clock.advance(3600)
    size, chunks = emu.bulk.open("/_emulator/bulk/1.jsonl")
    received = b""
    with pytest.raises(ConnectionResetError):
        for chunk in chunks:
            received += chunk
    assert len(received) == size // 2


QUERIES = [
    LEVELS,
    BULK_LEVELS_QUERY,  # what syncer sends: items with their unitCost, levels
    "{ inventoryItems { edges { node { id sku legacyResourceId tracked } } } }",
    "{ inventoryItems { edges { node { id price: unitCost { currencyCode amount } } } } }",
    "{ locations { edges { node { id name isActive inventoryLevels { edges { node { id "
    "isActive canDeactivate deactivationAlert item { id sku } quantities(names: "
    '["available", "committed", "on_hand", "incoming"]) { name quantity } } } } } } } }',
    "{ all: inventoryItems { edges { node { key: id s: sku levels: inventoryLevels("
    "includeInactive: false) { edges { node { id where: location { name } } } } } } } }",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_direct_store_path_answers_exactly_as_graphql_core(query, seed):
    emu, schema = emulator(items=30, locations=4, seed=seed), build_emulator_schema(LATEST)
    document = check(schema, query)
    fast = fast_lines(schema, document, emu.store)
    assert fast is not None
    assert list(fast) == list(generic_lines(schema, document, emu.store, "2026-04-01"))


def test_queries_outside_the_direct_path_go_through_graphql_core():
    emu = emulator(items=10, locations=2)
    query = ('{ inventoryItems(query: "sku:SKU-3") { edges { node { id inventoryLevel('
             'locationId: "gid://shopify/Location/1") { id } } } } }')
    schema = build_emulator_schema(LATEST)
    document = check(schema, query)
    assert fast_lines(schema, document, emu.store) is None
    assert run(emu, query)["userErrors"] == []
    emu.clock.advance(60)
    rows = download(emu, poll(emu)["url"])
    assert [r["id"] for r in rows] == [f"{ITEM}3"]


def test_the_result_url_is_served_over_http_and_the_drop_fault_closes_the_socket():
    emu = emulator(BulkSettings(seed=1), items=2000, locations=3)
    server = serve(emu)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run(emu)
        emu.clock.advance(3600)
        url = poll(emu)["url"]
        assert url.startswith(f"http://127.0.0.1:{server.server_address[1]}/_emulator/bulk/")
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        assert len(response.content) == int(poll(emu)["fileSize"])
        emu.bulk.configure(BulkSettings(drop=1.0))
        with pytest.raises(requests.RequestException):
            requests.get(url, timeout=10).content  # noqa: B018
        assert requests.get(url.replace("/1.jsonl", "/7.jsonl"), timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_the_emulator_command_takes_bulk_speed_and_faults(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import syncer.emulator
    from syncer.cli import cli

    path = tmp_path / "store.json"
    path.write_text(json.dumps(state()), encoding="utf-8")
    served = []

    def fake_serve(emu, host, port):
        served.append(emu.bulk.settings)
        raise OSError("not serving in a test")

    monkeypatch.setattr(syncer.emulator, "serve", fake_serve)
    result = CliRunner().invoke(cli, ["emulator", "--state", str(path), "--bulk-rate", "50",
                                      "--bulk-fail", "0.25", "--bulk-drop", "1", "--fault-seed",
                                      "3"])
    assert result.exit_code == 1 and "not serving in a test" in result.stderr
    assert served == [BulkSettings(rows_per_second=50, fail=0.25, drop=1.0, seed=3)]
    bad = CliRunner().invoke(cli, ["emulator", "--state", str(path), "--bulk-fail", "2"])
    assert bad.exit_code == 64 and "--bulk-fail" in bad.stderr
