"""Shopify's own examples (../shared/seeds 000, 001, 003, 004) run against the emulator as written.

Only what 2026-04 requires is added: the ``@idempotent`` key and ``changeFromQuantity``. The
store uses the seeds' ids, so the documents and variables are copied verbatim.
"""

import threading
from types import SimpleNamespace

import pytest
from test_emulator import http_caller  # tests/ is on sys.path under pytest

from syncer.emulator import Emulator, VirtualClock

SEED_ITEM = "gid://shopify/InventoryItem/30322695"
SEED_LOCATION = "gid://shopify/Location/124656943"
STATE = {
    "shop": "your-development-store.myshopify.com",
    "access_token": "shpat_seed",
    "locations": [{"id": SEED_LOCATION, "name": "Seed warehouse"},
                  {"id": "gid://shopify/Location/1", "name": "Backroom"}],
    "items": [{"id": SEED_ITEM, "sku": "SEED-1"},
              {"id": "gid://shopify/InventoryItem/826867926", "sku": "SEED-2"}],
    "levels": [
        {"item": SEED_ITEM, "location": SEED_LOCATION, "quantities": {"available": 5}},
        {"id": 820859520, "item": "gid://shopify/InventoryItem/826867926",
         "location": SEED_LOCATION, "quantities": {"available": 2}},
        {"item": "gid://shopify/InventoryItem/826867926", "location": "gid://shopify/Location/1"},
    ],
    "discounts": [{"id": "gid://shopify/DiscountCodeNode/206265824",
                   "title": "percentage_off_code", "startsAt": "2026-05-01T00:00:00Z",
                   "endsAt": None}],
}

SEED_000 = ("mutation inventoryDeactivate($inventoryLevelId: ID!) { inventoryDeactivate("
            "inventoryLevelId: $inventoryLevelId) { userErrors { message } } }")
SEED_003 = ("mutation discountCodeDeactivate($id: ID!) { discountCodeDeactivate(id: $id) { "
            "codeDiscountNode { codeDiscount { ... on DiscountCodeBasic { title status startsAt "
            "endsAt } } } userErrors { field code message } } }")
SEED_004 = """mutation inventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
userErrors {
field
message
}
inventoryAdjustmentGroup {
createdAt
reason
referenceDocumentUri
changes {
name
delta
}
}
}
}"""  # noqa: E501
SEED_004_RESPONSE_CHANGES = [{"name": "available", "delta": -4}, {"name": "on_hand", "delta": -4}]


def seed_004_variables(change_from):
    return {
        "input": {
            "reason": "correction",
            "name": "available",
            "referenceDocumentUri": "logistics://some.warehouse/take/2023-01/13",
            "changes": [{
                "delta": -4,
                "inventoryItemId": "gid://shopify/InventoryItem/30322695",
                "locationId": "gid://shopify/Location/124656943",
                "changeFromQuantity": change_from,
            }],
        },
        "idempotencyKey": "550e8400-e29b-41d4-a716-446655440000",
    }


@pytest.fixture(params=["process", "http"])
def seeded(request, http_emulator):
    emu = Emulator.from_state(STATE, clock=VirtualClock())
    headers = {"X-Shopify-Access-Token": "shpat_seed"}
    if request.param == "process":
        def call(body):
            return emu.handle(body, headers)
    else:
        http_call = http_caller(http_emulator(emu).url)

        def call(body):
            return http_call(body, headers)
    return SimpleNamespace(emu=emu, call=call)


def run(seeded, query, variables):
    status, body = seeded.call({"query": query, "variables": variables})
    assert status == 200, body
    return body


def test_seed_000_inventory_deactivate(seeded):
    variables = {"inventoryLevelId":
                 "gid://shopify/InventoryLevel/820859520?inventory_item_id=826867926"}
    body = run(seeded, SEED_000, variables)
    assert body["data"] == {"inventoryDeactivate": {"userErrors": []}}
    level = seeded.emu.store.level_by_gid(variables["inventoryLevelId"])
    assert (level.active, level.quantity("available")) == (False, 2)  # 2026-04 keeps it


def test_seed_001_inventory_level_fields_and_mutations(seeded):
    activate = """mutation { inventoryActivate(inventoryItemId: "gid://shopify/InventoryItem/30322695",
        locationId: "gid://shopify/Location/1", available: 3, stockAtLegacyLocation: false)
        @idempotent(key: "seed-001") {
        inventoryLevel { id canDeactivate deactivationAlert isActive
          item { id } location { id } quantities(names: ["available", "on_hand", "incoming",
            "committed"]) { name quantity } } userErrors { field message } } }"""  # noqa: E501
    level = run(seeded, activate, None)["data"]["inventoryActivate"]["inventoryLevel"]
    assert level == {
        "id": "gid://shopify/InventoryLevel/820859523?inventory_item_id=30322695",
        "canDeactivate": True, "deactivationAlert": None, "isActive": True,
        "item": {"id": SEED_ITEM}, "location": {"id": "gid://shopify/Location/1"},
        "quantities": [{"name": "available", "quantity": 3}, {"name": "on_hand", "quantity": 3},
                       {"name": "incoming", "quantity": 0}, {"name": "committed", "quantity": 0}]}
    toggle = """mutation($id: ID!, $updates: [InventoryBulkToggleActivationInput!]!) {
        inventoryBulkToggleActivation(inventoryItemId: $id, inventoryItemUpdates: $updates) {
        inventoryItem { id } inventoryLevels { id } userErrors { field message code } } }"""
    out = run(seeded, toggle, {"id": SEED_ITEM, "updates": [
        {"locationId": "gid://shopify/Location/1", "activate": False}]})
    assert out["data"]["inventoryBulkToggleActivation"] == {
        "inventoryItem": {"id": SEED_ITEM}, "inventoryLevels": [], "userErrors": []}


def test_seed_003_discount_code_deactivate(seeded):
    body = run(seeded, SEED_003, {"id": "gid://shopify/DiscountCodeNode/206265824"})
    assert body["data"] == {"discountCodeDeactivate": {"codeDiscountNode": {"codeDiscount": {
        "title": "percentage_off_code", "status": "EXPIRED",
        "startsAt": "2026-04-01T00:00:00Z", "endsAt": "2026-04-01T00:00:00Z"}},
        "userErrors": []}}
    missing = run(seeded, SEED_003, {"id": "gid://shopify/DiscountCodeNode/1"})
    assert missing["data"]["discountCodeDeactivate"] == {"codeDiscountNode": None, "userErrors": [
        {"field": ["id"], "code": "INVALID", "message": "Code discount does not exist."}]}


@pytest.mark.parametrize("change_from", [None, 5])
def test_seed_004_adjust_with_key_and_change_from_quantity(seeded, change_from):
    body = run(seeded, SEED_004, seed_004_variables(change_from))
    payload = body["data"]["inventoryAdjustQuantities"]
    assert payload == {"userErrors": [], "inventoryAdjustmentGroup": {
        "createdAt": "2026-04-01T00:00:00Z", "reason": "Inventory correction",
        "referenceDocumentUri": "logistics://some.warehouse/take/2023-01/13",
        "changes": SEED_004_RESPONSE_CHANGES}}
    level = seeded.emu.store.levels[(SEED_ITEM, SEED_LOCATION)]
    assert level.quantity("available") == 1


def test_seed_004_2026_01_forms_are_refused_in_2026_04(seeded):
    old = SEED_004.replace(", $idempotencyKey: String!", "").replace(
        " @idempotent(key: $idempotencyKey)", "")
    variables = seed_004_variables(None)
    del variables["idempotencyKey"]
    no_key = run(seeded, old, variables)
    assert no_key["data"] == {"inventoryAdjustQuantities": None}
    assert no_key["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    variables = seed_004_variables(None)
    del variables["input"]["changes"][0]["changeFromQuantity"]
    no_cas = run(seeded, SEED_004, variables)
    assert no_cas["data"] == {"inventoryAdjustQuantities": None}
    assert seeded.emu.store.levels[(SEED_ITEM, SEED_LOCATION)].quantity("available") == 5


def test_seed_requests_from_threads_share_one_store(seeded):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        run(seeded, "{ shop { myshopifyDomain } }", None)["data"])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [{"shop": {"myshopifyDomain": "your-development-store.myshopify.com"}}] * 4
