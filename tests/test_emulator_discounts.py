"""The emulator's code discounts: look-ups by code, the list, activate/deactivate on its clock.

The virtual clock starts at 2026-04-01T00:00:00Z.
"""

import json

import pytest

from syncer.emulator import Emulator, VirtualClock
from syncer.emulator.state import StateError

NODE = "gid://shopify/DiscountCodeNode/"
STATE = {
    "shop": "demo.myshopify.com",
    "discounts": [
        {"id": NODE + "1", "title": "Spring", "code": "SPRING10",
         "startsAt": "2026-03-01T00:00:00Z", "endsAt": "2026-06-01T00:00:00Z"},
        {"id": NODE + "2", "title": "Summer", "code": "SUMMER",
         "startsAt": "2026-07-01T00:00:00Z", "endsAt": "2026-08-01T00:00:00Z"},
        {"id": NODE + "3", "title": "Winter", "code": "WINTER",
         "startsAt": "2025-12-01T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z"},
    ],
}
FIELDS = "id codeDiscount { ... on DiscountCodeBasic { title status startsAt endsAt " \
         "codes(first: 1) { nodes { code } } } }"
BY_CODE = "query($c: String!) { codeDiscountNodeByCode(code: $c) { " + FIELDS + " } }"
BY_ID = "query($id: ID!) { codeDiscountNode(id: $id) { " + FIELDS + " } }"
TOGGLE = ("mutation($id: ID!) { %s(id: $id) { codeDiscountNode { " + FIELDS + " } "
          "userErrors { field code message } } }")


@pytest.fixture
def emu():
    return Emulator.from_state(json.loads(json.dumps(STATE)), clock=VirtualClock())


def call(emu, query, variables=None):
    status, body = emu.handle({"query": query, "variables": variables or {}}, {})
    assert status == 200 and "errors" not in body, body
    return body["data"]


def basic(node):
    return node["codeDiscount"]


def test_by_code_ignores_case_and_reports_status_from_the_schedule(emu):
    data = call(emu, BY_CODE, {"c": "spring10"})
    assert basic(data["codeDiscountNodeByCode"]) == {
        "title": "Spring", "status": "ACTIVE", "startsAt": "2026-03-01T00:00:00Z",
        "endsAt": "2026-06-01T00:00:00Z", "codes": {"nodes": [{"code": "SPRING10"}]}}
    statuses = [basic(call(emu, BY_CODE, {"c": c})["codeDiscountNodeByCode"])["status"]
                for c in ("SUMMER", "WINTER")]
    assert statuses == ["SCHEDULED", "EXPIRED"]
    assert call(emu, '{ codeDiscountNodeByCode(code: "NOPE") { id } }') == {
        "codeDiscountNodeByCode": None}


def test_list_pages_and_filters(emu):
    page = call(emu, "{ codeDiscountNodes(first: 2) { nodes { id } "
                     "pageInfo { hasNextPage endCursor } } }")["codeDiscountNodes"]
    assert [n["id"] for n in page["nodes"]] == [NODE + "1", NODE + "2"]
    assert page["pageInfo"]["hasNextPage"]
    rest = call(emu, "query($a: String) { codeDiscountNodes(first: 2, after: $a) { "
                     "nodes { id } } }", {"a": page["pageInfo"]["endCursor"]})
    assert rest["codeDiscountNodes"]["nodes"] == [{"id": NODE + "3"}]
    found = call(emu, '{ codeDiscountNodes(first: 5, query: "code:winter OR status:scheduled") '
                      "{ nodes { id } } }")
    assert [n["id"] for n in found["codeDiscountNodes"]["nodes"]] == [NODE + "2", NODE + "3"]


def test_deactivate_active_ends_it_now_keeping_the_start(emu):
    out = call(emu, TOGGLE % "discountCodeDeactivate", {"id": NODE + "1"})["discountCodeDeactivate"]
    assert out["userErrors"] == []
    got = basic(out["codeDiscountNode"])
    assert (got["status"], got["startsAt"], got["endsAt"]) == (
        "EXPIRED", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")


def test_deactivate_scheduled_moves_start_and_end_to_now(emu):
    out = call(emu, TOGGLE % "discountCodeDeactivate", {"id": NODE + "2"})["discountCodeDeactivate"]
    got = basic(out["codeDiscountNode"])
    assert (got["status"], got["startsAt"], got["endsAt"]) == (
        "EXPIRED", "2026-04-01T00:00:00Z", "2026-04-01T00:00:00Z")


def test_activate_removes_the_end_date_and_keeps_the_start(emu):
    out = call(emu, TOGGLE % "discountCodeActivate", {"id": NODE + "3"})["discountCodeActivate"]
    got = basic(out["codeDiscountNode"])
    assert (got["status"], got["startsAt"], got["endsAt"]) == (
        "ACTIVE", "2025-12-01T00:00:00Z", None)
    again = call(emu, TOGGLE % "discountCodeActivate", {"id": NODE + "3"})["discountCodeActivate"]
    assert again == out  # activating an active discount changes nothing


def test_deactivate_then_activate_follows_the_clock(emu):
    emu.clock.advance(3600)
    call(emu, TOGGLE % "discountCodeDeactivate", {"id": NODE + "1"})
    got = basic(call(emu, BY_ID, {"id": NODE + "1"})["codeDiscountNode"])
    assert got["endsAt"] == "2026-04-01T01:00:00Z"
    out = call(emu, TOGGLE % "discountCodeActivate", {"id": NODE + "1"})["discountCodeActivate"]
    assert basic(out["codeDiscountNode"])["status"] == "ACTIVE"


@pytest.mark.parametrize("mutation", ["discountCodeActivate", "discountCodeDeactivate"])
def test_an_unknown_id_is_a_user_error_on_id(emu, mutation):
    out = call(emu, TOGGLE % mutation, {"id": NODE + "99"})[mutation]
    assert out == {"codeDiscountNode": None, "userErrors": [
        {"field": ["id"], "code": "INVALID", "message": "Code discount does not exist."}]}


def test_codes_are_saved_and_must_be_unique_ignoring_case(emu):
    from syncer.emulator.state import state_from_store

    assert state_from_store(emu.store)["discounts"][0]["code"] == "SPRING10"
    bad = json.loads(json.dumps(STATE))
    bad["discounts"][1]["code"] = "spring10"
    with pytest.raises(StateError, match=r"discounts\[1\]\.code: 'spring10' is also the code of"):
        Emulator.from_state(bad, clock=VirtualClock())


def test_a_blank_code_is_refused():
    bad = json.loads(json.dumps(STATE))
    bad["discounts"][0]["code"] = " "
    with pytest.raises(StateError, match=r"discounts\[0\]\.code: must be a non-empty string"):
        Emulator.from_state(bad, clock=VirtualClock())


def test_the_reader_reads_by_code_and_id_in_batches_and_toggles(emu):
    from syncer.errors import RemoteError, Source
    from syncer.model import DesiredDiscount
    from syncer.shopify.discounts import read_discounts, toggle_discount
    from syncer.shopify.local_transport import LocalTransport

    transport = LocalTransport(emu.handle, sleep=emu.clock.sleep, clock=emu.clock.now)
    wanted = [DesiredDiscount(ref, True, Source("d.yaml", n, 3))
              for n, ref in enumerate(["spring10", NODE + "3", "NOPE", NODE + "99", "SUMMER"])]
    found = read_discounts(transport, wanted, per_query=2)
    assert transport.calls == 3
    assert {k: (d.id, d.status) for k, d in found.items()} == {
        "spring10": (NODE + "1", "ACTIVE"), NODE + "3": (NODE + "3", "EXPIRED"),
        "summer": (NODE + "2", "SCHEDULED")}
    after = toggle_discount(transport, NODE + "3", True)
    assert (after.status, after.ends_at) == ("ACTIVE", None)
    with pytest.raises(RemoteError, match=r"Code discount does not exist\. \(INVALID\)"):
        toggle_discount(transport, NODE + "99", False)
