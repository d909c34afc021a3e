"""2026-04 semantics of the emulator, each run in process (``handle``) and over real HTTP."""

import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from syncer.emulator import API_PATH, Emulator, VirtualClock

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"


def item(n):
    return f"gid://shopify/InventoryItem/{n}"


def http_caller(url):
    """``call(body, headers, path)`` over HTTP to the emulator whose endpoint is ``url``."""
    base = url.removesuffix(API_PATH)

    def call(body, headers=None, path=API_PATH):
        request = urllib.request.Request(
            base + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    return call


@pytest.fixture(params=["process", "http"])
def shop(request, tmp_path, http_emulator):
    """The quickstart store, with a virtual clock, reached in process or over HTTP."""
    path = tmp_path / "store.json"
    shutil.copy(QUICKSTART, path)
    emu = Emulator.load(path, clock=VirtualClock())
    if request.param == "process":
        def call(body, headers=None, path=API_PATH):
            return emu.handle(body, headers or {}, path)
    else:
        call = http_caller(http_emulator(emu).url)

    def gql(query, variables=None):
        status, body = call({"query": query, "variables": variables})
        assert status == 200, body
        return body

    return SimpleNamespace(emu=emu, call=call, gql=gql, path=path)


LEVELS = """query($id: ID!, $all: Boolean) { inventoryItem(id: $id) {
  inventoryLevels(first: 10, includeInactive: $all) { nodes {
    id isActive canDeactivate deactivationAlert location { id name }
    quantities(names: ["available", "on_hand", "damaged", "reserved"]) { name quantity } } } } }"""
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange
      item { id } location { id } } }
    userErrors { field message code } } }"""
ACTIVATE = """mutation($item: ID!, $loc: ID!, $available: Int, $onHand: Int, $key: String!) {
  inventoryActivate(inventoryItemId: $item, locationId: $loc, available: $available,
                    onHand: $onHand) @idempotent(key: $key) {
    inventoryLevel { id isActive quantities(names: ["available", "on_hand"]) { name quantity } }
    userErrors { field message } } }"""
DEACTIVATE = """mutation($id: ID!) { inventoryDeactivate(inventoryLevelId: $id) {
  userErrors { field message } } }"""


def levels(shop, n, include_inactive=False):
    data = shop.gql(LEVELS, {"id": item(n), "all": include_inactive})["data"]
    return [
        {"id": lv["id"], "active": lv["isActive"], "at": lv["location"]["name"],
         **{q["name"]: q["quantity"] for q in lv["quantities"]}}
        for lv in data["inventoryItem"]["inventoryLevels"]["nodes"]
    ]


def adjust(shop, changes, name="available", key="k1", **extra):
    variables = {"input": {"reason": "correction", "name": name, "changes": changes, **extra},
                 "key": key}
    return shop.gql(ADJUST, variables)


def change(n, loc, delta, before, **extra):
    return {"inventoryItemId": item(n), "locationId": loc, "delta": delta,
            "changeFromQuantity": before, **extra}


def test_default_queries_return_only_active_levels(shop):
    assert levels(shop, 5) == [{"id": "gid://shopify/InventoryLevel/7?inventory_item_id=5",
                                "active": True, "at": "Retail Soho", "available": 3,
                                "on_hand": 3, "damaged": 0, "reserved": 0}]
    both = levels(shop, 5, include_inactive=True)
    assert [(lv["at"], lv["active"], lv["available"]) for lv in both] == [
        ("Warehouse East", False, 7), ("Retail Soho", True, 3)]


def test_level_ids_and_derived_on_hand(shop):
    [level] = levels(shop, 1)
    assert level["id"] == "gid://shopify/InventoryLevel/1?inventory_item_id=1"
    assert (level["available"], level["damaged"], level["on_hand"]) == (40, 2, 42)


def test_deactivation_keeps_quantities_and_reactivation_restores_the_same_id(shop):
    gid = "gid://shopify/InventoryLevel/5?inventory_item_id=4"
    assert shop.gql(DEACTIVATE, {"id": gid})["data"] == {"inventoryDeactivate": {"userErrors": []}}
    assert [lv["at"] for lv in levels(shop, 4)] == ["Warehouse East"]
    inactive = levels(shop, 4, include_inactive=True)[1]
    assert (inactive["id"], inactive["active"], inactive["available"]) == (gid, False, 4)
    out = shop.gql(ACTIVATE, {"item": item(4), "loc": LOC2, "key": "re-1"})["data"]
    assert out["inventoryActivate"] == {"userErrors": [], "inventoryLevel": {
        "id": gid, "isActive": True,
        "quantities": [{"name": "available", "quantity": 4}, {"name": "on_hand", "quantity": 4}]}}


def test_inactive_levels_can_be_adjusted(shop):
    out = adjust(shop, [change(5, LOC1, -7, 7)])["data"]["inventoryAdjustQuantities"]
    assert out["userErrors"] == []
    assert levels(shop, 5, include_inactive=True)[0]["available"] == 0


def test_adjusting_available_moves_on_hand_and_lists_both_rows(shop):
    out = adjust(shop, [change(1, LOC1, 5, 40)])["data"]["inventoryAdjustQuantities"]
    group = out["inventoryAdjustmentGroup"]
    assert group["reason"] == "Inventory correction"
    assert group["id"] == "gid://shopify/InventoryAdjustmentGroup/1"
    assert [(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]] == [
        ("available", 5, 45), ("on_hand", 5, 47)]
    assert group["changes"][0]["item"] == {"id": item(1)}
    assert group["changes"][0]["location"] == {"id": LOC1}


@pytest.mark.parametrize("name, rows", [
    ("damaged", [("damaged", -2, 0), ("on_hand", -2, 40)]),
    ("reserved", [("reserved", -2, -2), ("on_hand", -2, 40)]),
    ("incoming", [("incoming", -2, -2)]),
])
def test_other_names_move_on_hand_except_incoming(shop, name, rows):
    before = 2 if name == "damaged" else 0
    ledger = {"ledgerDocumentUri": "gid://syncer/Plan/1"}
    out = adjust(shop, [change(1, LOC1, -2, before, **ledger)], name=name)
    group = out["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    assert [(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]] == rows


@pytest.mark.parametrize("name", ["on_hand", "committed"])
def test_adjusting_on_hand_or_committed_is_refused(shop, name):
    out = adjust(shop, [change(1, LOC1, 1, None)], name=name)["data"]["inventoryAdjustQuantities"]
    assert out == {"inventoryAdjustmentGroup": None, "userErrors": [{
        "field": ["input", "name"], "code": "INVALID_QUANTITY_NAME",
        "message": "The specified quantity name is invalid. Valid values are: available, "
                   "damaged, incoming, quality_control, reserved, safety_stock."}]}


def test_change_from_quantity_missing_null_and_stale(shop):
    missing = {k: v for k, v in change(1, LOC1, 1, 0).items() if k != "changeFromQuantity"}
    out = adjust(shop, [missing])
    assert out["data"] == {"inventoryAdjustQuantities": None}
    assert out["errors"][0]["message"] == (
        "InventoryChangeInput must include the following argument: changeFromQuantity.")
    assert out["errors"][0]["path"] == ["inventoryAdjustQuantities"]
    stale = adjust(shop, [change(1, LOC1, 1, 39)], key="k2")["data"]["inventoryAdjustQuantities"]
    assert stale["inventoryAdjustmentGroup"] is None
    assert stale["userErrors"] == [{
        "field": ["input", "changes", "0", "changeFromQuantity"],
        "code": "CHANGE_FROM_QUANTITY_STALE",
        "message": "The changeFromQuantity argument no longer matches the persisted quantity."}]
    assert levels(shop, 1)[0]["available"] == 40
    unchecked = adjust(shop, [change(1, LOC1, 1, None)], key="k3")
    assert unchecked["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert levels(shop, 1)[0]["available"] == 41


def test_a_multi_change_adjust_is_all_or_nothing(shop):
    out = adjust(shop, [change(1, LOC1, 5, 40), change(2, LOC1, 5, 999)])
    assert out["data"]["inventoryAdjustQuantities"]["userErrors"][0]["field"] == [
        "input", "changes", "1", "changeFromQuantity"]
    assert (levels(shop, 1)[0]["available"], levels(shop, 2)[0]["available"]) == (40, 12)


@pytest.mark.parametrize("query, field", [
    ("mutation { inventoryAdjustQuantities(input: {reason: \"correction\", name: \"available\","
     " changes: []}) { userErrors { message } } }", "inventoryAdjustQuantities"),
    ("mutation { inventorySetQuantities(input: {reason: \"correction\", name: \"available\","
     " quantities: []}) { userErrors { message } } }", "inventorySetQuantities"),
    ("mutation { inventoryActivate(inventoryItemId: \"gid://shopify/InventoryItem/3\","
     " locationId: \"gid://shopify/Location/1\") { userErrors { message } } }",
     "inventoryActivate"),
])
def test_idempotent_key_is_required(shop, query, field):
    out = shop.gql(query)
    assert out["data"] == {field: None}
    [error] = out["errors"]
    assert error["message"] == (
        "The @idempotent directive is required for this mutation but was not provided.")
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["path"] == [field]
    assert levels(shop, 3) == levels(shop, 3, include_inactive=True)  # nothing activated


def test_idempotent_key_is_accepted_on_deactivate_and_must_have_a_key(shop):
    gid = "gid://shopify/InventoryLevel/5?inventory_item_id=4"
    query = ('mutation($id: ID!) { inventoryDeactivate(inventoryLevelId: $id)'
             ' @idempotent(key: "d-1") { userErrors { message } } }')
    assert shop.gql(query, {"id": gid})["data"]["inventoryDeactivate"] == {"userErrors": []}
    bare = shop.gql(query.replace('(key: "d-1")', ""), {"id": gid})
    assert "data" not in bare
    assert bare["errors"][0]["message"] == (
        "Directive 'idempotent' is missing required arguments: key")
    assert bare["errors"][0]["extensions"] == {
        "code": "missingRequiredArguments", "className": "Directive", "name": "idempotent",
        "arguments": "key"}


def test_a_replayed_key_returns_the_first_result_and_applies_once(shop):
    first = adjust(shop, [change(1, LOC1, 5, 40)], key="same")
    again = adjust(shop, [change(1, LOC1, 5, 40)], key="same")
    assert again["data"] == first["data"]
    assert first["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["id"] == (
        "gid://shopify/InventoryAdjustmentGroup/1")
    assert levels(shop, 1)[0]["available"] == 45
    other = adjust(shop, [change(1, LOC1, 6, 45)], key="same")["data"]["inventoryAdjustQuantities"]
    assert other == {"inventoryAdjustmentGroup": None, "userErrors": [{
        "field": None, "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "message": "The same idempotency key cannot be used with different operation parameters."}]}
    assert levels(shop, 1)[0]["available"] == 45


def test_key_mismatch_without_a_code_enum_is_a_top_level_error(shop):
    shop.gql(ACTIVATE, {"item": item(3), "loc": LOC1, "key": "a-1"})
    out = shop.gql(ACTIVATE, {"item": item(3), "loc": LOC1, "available": 9, "key": "a-1"})
    assert out["data"] == {"inventoryActivate": None}
    assert out["errors"][0]["extensions"] == {"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}


def test_a_stale_failure_is_not_remembered_as_the_keys_result(shop):
    stale = adjust(shop, [change(1, LOC1, 5, 1)], key="retry")
    assert stale["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "CHANGE_FROM_QUANTITY_STALE")
    fixed = adjust(shop, [change(1, LOC1, 5, 40)], key="retry")
    assert fixed["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert levels(shop, 1)[0]["available"] == 45


ONLY = ("The product couldn't be unstocked from Retail Soho because products need to be "
        "stocked at a minimum of 1 location.")


def test_deactivating_the_only_active_level_is_refused(shop):
    [level] = levels(shop, 3)
    assert level["id"] == "gid://shopify/InventoryLevel/3?inventory_item_id=3"
    data = shop.gql(LEVELS, {"id": item(3)})["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
    assert (data[0]["canDeactivate"], data[0]["deactivationAlert"]) == (False, ONLY)
    out = shop.gql(DEACTIVATE, {"id": level["id"]})["data"]["inventoryDeactivate"]
    assert out == {"userErrors": [{"field": None, "message": ONLY}]}
    bulk = shop.gql("""mutation { inventoryBulkToggleActivation(
        inventoryItemId: "gid://shopify/InventoryItem/3",
        inventoryItemUpdates: [{locationId: "gid://shopify/Location/2", activate: false}]) {
        inventoryItem { id } inventoryLevels { id } userErrors { field message code } } }""")
    assert bulk["data"]["inventoryBulkToggleActivation"] == {
        "inventoryItem": None, "inventoryLevels": None,
        "userErrors": [{"field": None, "message": ONLY,
                        "code": "CANNOT_DEACTIVATE_FROM_ONLY_LOCATION"}]}
    assert levels(shop, 3)[0]["active"] is True


def test_bulk_toggle_activates_and_returns_the_levels(shop):
    out = shop.gql("""mutation { inventoryBulkToggleActivation(
        inventoryItemId: "gid://shopify/InventoryItem/3",
        inventoryItemUpdates: [{locationId: "gid://shopify/Location/1", activate: true},
                               {locationId: "gid://shopify/Location/2", activate: false}]) {
        inventoryItem { sku } inventoryLevels { id isActive } userErrors { code } } }""")
    assert out["data"]["inventoryBulkToggleActivation"] == {
        "inventoryItem": {"sku": "TSHIRT-RED-XL"}, "userErrors": [],
        "inventoryLevels": [{"id": "gid://shopify/InventoryLevel/8?inventory_item_id=3",
                             "isActive": True}]}
    assert [(lv["at"], lv["active"]) for lv in levels(shop, 3, include_inactive=True)] == [
        ("Retail Soho", False), ("Warehouse East", True)]


def test_deactivating_a_level_holding_reserved_stock_succeeds_with_an_alert(shop):
    ledger = {"ledgerDocumentUri": "gid://syncer/Plan/1"}
    adjust(shop, [change(4, LOC2, 3, 0, **ledger)], name="reserved")
    data = shop.gql(LEVELS, {"id": item(4)})["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
    assert (data[1]["canDeactivate"], data[1]["deactivationAlert"]) == (
        True, "Deactivating inventory at Retail Soho affects 3 reserved units.")
    out = shop.gql(DEACTIVATE, {"id": data[1]["id"]})["data"]["inventoryDeactivate"]
    assert out == {"userErrors": []}
    assert levels(shop, 4, include_inactive=True)[1]["reserved"] == 3


def test_activate_refuses_available_with_on_hand_and_on_hand_on_an_active_level(shop):
    both = shop.gql(ACTIVATE, {"item": item(3), "loc": LOC1, "available": 1, "onHand": 1,
                               "key": "b"})["data"]["inventoryActivate"]
    assert both == {"inventoryLevel": None, "userErrors": [
        {"field": ["onHand"], "message": "Only one of available or onHand can be specified."}]}
    active = shop.gql(ACTIVATE, {"item": item(1), "loc": LOC1, "onHand": 1, "key": "c"})
    assert active["data"]["inventoryActivate"]["userErrors"][0]["field"] == ["onHand"]
    new = shop.gql(ACTIVATE, {"item": item(3), "loc": LOC1, "onHand": 6, "key": "d"})
    assert new["data"]["inventoryActivate"]["inventoryLevel"]["quantities"] == [
        {"name": "available", "quantity": 6}, {"name": "on_hand", "quantity": 6}]


def test_set_quantities_with_cas(shop):
    query = """mutation($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) @idempotent(key: "s-1") {
        inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
        userErrors { field code } } }"""
    quantity = {"inventoryItemId": item(2), "locationId": LOC1, "quantity": 20,
                "changeFromQuantity": 12}
    out = shop.gql(query, {"input": {"reason": "correction", "name": "available",
                                     "quantities": [quantity]}})["data"]["inventorySetQuantities"]
    assert out["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": 8, "quantityAfterChange": 20},
        {"name": "on_hand", "delta": 8, "quantityAfterChange": 20}]
    again = shop.gql(query.replace("s-1", "s-2"), {"input": {
        "reason": "correction", "name": "available", "quantities": [quantity]}})
    assert again["data"]["inventorySetQuantities"]["userErrors"] == [{
        "field": ["input", "quantities", "0", "changeFromQuantity"],
        "code": "CHANGE_FROM_QUANTITY_STALE"}]


def test_sku_and_id_search_and_cursor_pagination(shop):
    query = """query($q: String, $first: Int, $after: String) {
      inventoryItems(first: $first, after: $after, query: $q) {
        edges { cursor node { sku } } nodes { id } pageInfo { hasNextPage endCursor } } }"""

    def skus(q, first=10, after=None):
        data = shop.gql(query, {"q": q, "first": first, "after": after})["data"]
        return data["inventoryItems"]

    assert [e["node"]["sku"] for e in skus("sku:CAP-BLUE OR sku:TSHIRT-RED-M")["edges"]] == [
        "TSHIRT-RED-M", "CAP-BLUE"]
    assert [n["id"] for n in skus("id:3")["nodes"]] == [item(3)]
    assert skus("sku:NOPE")["nodes"] == []
    page = skus(None, first=2)
    assert [e["node"]["sku"] for e in page["edges"]] == ["TSHIRT-RED-M", "TSHIRT-RED-L"]
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": page["edges"][1]["cursor"]}
    rest = skus(None, first=5, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["sku"] for e in rest["edges"]] == ["TSHIRT-RED-XL", "MUG-OLD", "CAP-BLUE"]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_single_level_lookups_from_both_sides(shop):
    out = shop.gql("""{ location(id: "gid://shopify/Location/1") {
        inventoryLevel(inventoryItemId: "gid://shopify/InventoryItem/5") { id }
        withInactive: inventoryLevel(inventoryItemId: "gid://shopify/InventoryItem/5",
                                     includeInactive: true) { id isActive item { sku } } }
      inventoryItem(id: "gid://shopify/InventoryItem/2") {
        inventoryLevel(locationId: "gid://shopify/Location/1") {
          location { name } quantities(names: ["available"]) { quantity } } }
      inventoryLevel(id: "gid://shopify/InventoryLevel/2?inventory_item_id=2") {
        item { sku } } }""")
    assert out["data"] == {
        "location": {"inventoryLevel": None, "withInactive": {
            "id": "gid://shopify/InventoryLevel/6?inventory_item_id=5", "isActive": False,
            "item": {"sku": "CAP-BLUE"}}},
        "inventoryItem": {"inventoryLevel": {"location": {"name": "Warehouse East"},
                                             "quantities": [{"quantity": 12}]}},
        "inventoryLevel": {"item": {"sku": "TSHIRT-RED-L"}},
    }


def test_first_over_250_and_inputs_over_250_are_rejected(shop):
    out = shop.gql("{ inventoryItems(first: 251) { nodes { id } } }")
    assert "data" not in out
    assert out["errors"][0]["message"] == "The first argument must be less than or equal to 250."
    changes = [change(1, LOC1, 1, None)] * 251
    big = adjust(shop, changes)
    assert "data" not in big
    assert big["errors"][0]["message"] == (
        "The input array size of 251 is greater than the maximum allowed of 250.")
    assert big["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert big["errors"][0]["path"] == ["inventoryAdjustQuantities", "input", "changes"]
    assert levels(shop, 1)[0]["available"] == 40


def test_every_response_carries_cost(shop):
    body = shop.gql("{ shop { name myshopifyDomain } }")
    assert body["data"] == {"shop": {"name": "quickstart",
                                     "myshopifyDomain": "quickstart.myshopify.com"}}
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 1, "actualQueryCost": 1,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1999.0,
                           "restoreRate": 100.0}}


def test_concurrent_adjustments_are_atomic(shop):
    def bump(i):
        adjust(shop, [change(2, LOC1, 1, None)], key=f"c-{i}")

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert levels(shop, 2)[0]["available"] == 24
    saved = json.loads(shop.path.read_text())
    assert [lv["quantities"]["available"] for lv in saved["levels"] if lv["id"] == 2] == [24]


def test_wrong_or_missing_token_is_401(shop, tmp_path):
    state = json.loads(QUICKSTART.read_text())
    shop.emu.store.access_token = "shpat_secret"
    query = {"query": "{ shop { name } }"}
    unauthorized = {"errors": "[API] Invalid API key or access token (unrecognized login or "
                              "wrong password)"}
    assert shop.call(query) == (401, unauthorized)
    assert shop.call(query, {"X-Shopify-Access-Token": "nope"}) == (401, unauthorized)
    status, body = shop.call(query, {"X-Shopify-Access-Token": "shpat_secret"})
    assert (status, body["data"]) == (200, {"shop": {"name": "quickstart"}})
    assert "access_token" not in state


def test_other_api_versions_are_not_found(shop):
    query = {"query": "{ shop { name } }"}
    assert shop.call(query, path="/admin/api/2025-01/graphql.json") == (
        404, {"errors": "Not Found"})
    assert shop.call(query, path="/admin/api/2026-04/other.json") == (404, {"errors": "Not Found"})


def test_missing_query_is_a_bad_request(shop):
    assert shop.call({"variables": {}}) == (
        400, {"errors": {"query": "Required parameter missing or invalid"}})


def test_queries_over_the_max_cost_are_refused(shop):
    out = shop.gql("""{ inventoryItems(first: 250) { nodes {
        inventoryLevels(first: 250) { nodes { id } } } } }""")
    assert "data" not in out
    [error] = out["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == 1000
    assert error["message"].startswith("Query cost is 63252, which exceeds the single query max")


def test_refused_bulk_toggle_undoes_its_earlier_updates(shop):
    """All or nothing: a level the toggle created before a refused update is removed again."""
    before = shop.emu.state()
    bulk = shop.gql("""mutation { inventoryBulkToggleActivation(
        inventoryItemId: "gid://shopify/InventoryItem/3",
        inventoryItemUpdates: [{locationId: "gid://shopify/Location/1", activate: true},
                               {locationId: "gid://shopify/Location/1", activate: false},
                               {locationId: "gid://shopify/Location/2", activate: false}]) {
        inventoryLevels { id } userErrors { code } } }""")
    assert bulk["data"]["inventoryBulkToggleActivation"] == {
        "inventoryLevels": None, "userErrors": [{"code": "CANNOT_DEACTIVATE_FROM_ONLY_LOCATION"}]}
    assert [(lv["id"], lv["active"]) for lv in levels(shop, 3, include_inactive=True)] == [
        ("gid://shopify/InventoryLevel/3?inventory_item_id=3", True)]
    assert shop.emu.state()["levels"] == before["levels"]
