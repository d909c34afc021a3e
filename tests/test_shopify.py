"""Decoding the store's answers (errors, user errors, pages, live state) and building variables."""

import doctest

import pytest

from syncer.errors import RemoteError
from syncer.shopify import decode, documents, stores, throttle, transport, variables


def test_doctests():
    for module in (decode, documents, stores, throttle, transport, variables):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (None, []),
        ([], []),
        ("[API] Invalid API key", [{"message": "[API] Invalid API key"}]),
        ({"message": "one", "extensions": {"code": "X"}},
         [{"message": "one", "extensions": {"code": "X"}}]),
        ([{"message": "a", "path": ["s1"]}, "b", 7, None],
         [{"message": "a", "path": ["s1"]}, {"message": "b"}, {"message": "7"},
          {"message": "None"}]),
        (42, [{"message": "42"}]),
    ],
)
def test_graphql_errors_normalises_every_shape(errors, expected):
    assert decode.graphql_errors({"data": None, "errors": errors}) == expected


def test_error_text_keeps_codes_verbatim():
    errors = decode.graphql_errors({"errors": [
        {"message": "Throttled", "extensions": {"code": "THROTTLED"}},
        {"message": " ", "extensions": {"code": "BRAND_NEW"}},
        {"message": "plain"},
    ]})
    assert decode.error_text(errors) == "THROTTLED: Throttled; BRAND_NEW: (no message); plain"



def test_adjust_variables_carry_cas_and_ledger():
    change = variables.QuantityChange("i", "l", -3, 7, ledger_document_uri="https://x/1")
    values = variables.adjust_variables("damaged", "correction", None, [change], "k")
    assert values == {
        "input": {
            "name": "damaged",
            "reason": "correction",
            "changes": [
                {
                    "delta": -3,
                    "inventoryItemId": "i",
                    "locationId": "l",
                    "changeFromQuantity": 7,
                    "ledgerDocumentUri": "https://x/1",
                }
            ],
        },
        "idempotencyKey": "k",
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: variables.adjust_variables("on_hand", "correction", None, [object()], "k"),
        lambda: variables.adjust_variables("available", "correction", None, [], "k"),
        lambda: variables.adjust_variables(
            "available", "correction", None, [variables.QuantityChange("i", "l", 1, 0)] * 251, "k"
        ),
        lambda: variables.deactivate_variables("lvl", "  "),
        lambda: variables.activate_variables("i", "l", ""),
        lambda: variables.bulk_toggle_variables("i", []),
    ],
)
def test_variable_builders_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


# --- responses ----------------------------------------------------------------------------------


def test_raise_for_errors_returns_data():
    assert decode.raise_for_errors({"data": {"a": 1}, "extensions": {}}) == {"a": 1}


def test_raise_for_errors_keeps_codes_verbatim_including_unknown_ones():
    errors = [
        {"message": "Access denied for locations field.", "extensions": {"code": "ACCESS_DENIED"}},
        {"message": "Something new", "extensions": {"code": "SOME_FUTURE_CODE"}},
        {"message": "No code at all"},
    ]
    with pytest.raises(RemoteError) as info:
        decode.raise_for_errors({"data": None, "errors": errors})
    text = str(info.value)
    assert "ACCESS_DENIED: Access denied" in text and "read_inventory" in text
    assert "SOME_FUTURE_CODE: Something new" in text and "No code at all" in text
    assert info.value.errors == tuple(errors)


def test_raise_for_errors_with_partial_data_still_raises():
    errors = [{"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    with pytest.raises(RemoteError, match="INTERNAL_SERVER_ERROR: boom"):
        decode.raise_for_errors({"data": {"a": 1}, "errors": errors})


def test_raise_for_errors_string_errors_and_missing_data():
    with pytest.raises(RemoteError, match="Invalid API key"):
        decode.raise_for_errors({"errors": "[API] Invalid API key"})
    with pytest.raises(RemoteError, match="without data"):
        decode.raise_for_errors({})


def test_user_errors():
    payload = {
        "userErrors": [
            {
                "code": "CHANGE_FROM_QUANTITY_STALE",
                "field": ["input", "changes", "0"],
                "message": "stale",
            },
            {"field": None, "message": "no code"},
        ]
    }
    assert decode.user_errors(payload) == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "changes", "0"],
            "message": "stale",
        },
        {"code": None, "field": None, "message": "no code"},
    ]
    assert decode.user_errors(None) == [] and decode.user_errors({"userErrors": []}) == []


def test_smaller_page():
    exceeded = RemoteError("x", [{"extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1506}}])
    assert decode.smaller_page(250, exceeded) == 166
    assert decode.smaller_page(1, exceeded) is None
    assert decode.smaller_page(250, RemoteError("x", [{"message": "other"}])) is None


@pytest.mark.parametrize(
    ("skus", "expected"),
    [
        (["A-1", "b_2.3/x"], "sku:A-1 OR sku:b_2.3/x"),
        (["with space"], 'sku:"with space"'),
        (["-neg"], 'sku:"-neg"'),
        (["OR"], 'sku:"OR"'),
        (["a:b", "x*", "(p)"], 'sku:"a:b" OR sku:"x*" OR sku:"(p)"'),
        (['q"uote', "back\\slash"], 'sku:"q\\"uote" OR sku:"back\\\\slash"'),
        (["ÄÖ"], 'sku:"ÄÖ"'),
    ],
)
def test_sku_search_quotes_what_needs_it(skus, expected):
    assert variables.sku_search(skus) == expected


def _level(item, active=True, **quantities):
    return {
        "id": f"gid://shopify/InventoryLevel/{item}?inventory_item_id={item}",
        "isActive": active,
        "canDeactivate": active,
        "deactivationAlert": None if active else "Only location",
        "item": {"id": f"gid://shopify/InventoryItem/{item}", "sku": f"SKU-{item}"},
        "quantities": [{"name": k, "quantity": v} for k, v in quantities.items()],
    }


def test_live_from_pages():
    live = decode.live_from_pages(
        [{"id": "gid://shopify/Location/1", "name": "East", "isActive": True}],
        [
            {"id": "gid://shopify/InventoryItem/9", "sku": "DUP"},
            {"id": "gid://shopify/InventoryItem/8", "sku": "DUP"},
            {"id": "gid://shopify/InventoryItem/7", "sku": None},
        ],
        [("gid://shopify/Location/1", [_level(1, available=4, on_hand=6), _level(2, False)])],
    )
    assert live.locations["gid://shopify/Location/1"].name == "East"
    assert live.items_by_sku["DUP"] == (
        "gid://shopify/InventoryItem/8",
        "gid://shopify/InventoryItem/9",
    )
    assert live.items["gid://shopify/InventoryItem/7"].sku is None
    assert live.items["gid://shopify/InventoryItem/2"].sku == "SKU-2"  # unmanaged, seen on a level
    level = live.levels[("gid://shopify/Location/1", "gid://shopify/InventoryItem/1")]
    assert dict(level.quantities) == {"available": 4, "on_hand": 6} and level.active
    inactive = live.levels[("gid://shopify/Location/1", "gid://shopify/InventoryItem/2")]
    assert not inactive.active and not inactive.can_deactivate
    assert inactive.deactivation_alert == "Only location"


def test_page_reads_page_info():
    got = decode.page({"pageInfo": {"hasNextPage": True, "endCursor": "c"}, "nodes": [{"id": 1}]})
    assert got == decode.Page([{"id": 1}], True, "c")
    assert decode.page(None) == decode.Page([], False, None)
