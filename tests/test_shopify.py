"""The codec: documents valid against the real schema, costs within limits, parsing, variables."""

import pytest
from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from syncer.errors import RemoteError
from syncer.model import QUANTITY_NAMES
from syncer.shopify import codec as shopify

POINT_SHAPES = [[1], [shopify.ITEMS_PER_POINT_QUERY], [3, 5, 1], [1] * 40]


APPLY_SHAPES = [["activate", "adjust", "adjust"], ["bulk_toggle"], ["deactivate", "deactivate"]]


def all_documents():
    """Every document syncer sends (the apply ones in a few shapes of its batches)."""
    docs = dict(shopify.DOCUMENTS)
    for shape in POINT_SHAPES:
        docs[f"levels_by_item{shape[:3]}x{len(shape)}"] = shopify.levels_by_item_query(shape)
    for kinds in APPLY_SHAPES:
        docs[f"apply{kinds}"] = shopify.apply_document(kinds)
    return docs


@pytest.mark.parametrize(("name", "document"), sorted(all_documents().items()))
def test_document_validates_against_every_supported_version(real_schemas, name, document):
    version, schema = real_schemas
    errors = validate(schema, parse(document))
    assert errors == [], f"{version} {name}: {[e.message for e in errors]}"


def test_supported_versions_are_the_ones_validated():
    from syncer.shopify.transport import SUPPORTED_API_VERSIONS
    from tests.conftest import SDL_VERSIONS

    assert SUPPORTED_API_VERSIONS == SDL_VERSIONS


def test_the_built_2026_10_schema_has_the_changelog_changes():
    from tests.conftest import NOT_STOCKED_ENUMS, load_real_schema

    old, new = load_real_schema("2026-07"), load_real_schema("2026-10")
    for enum in NOT_STOCKED_ENUMS:
        assert set(old.type_map[enum].values) - set(new.type_map[enum].values) == {
            "ITEM_NOT_STOCKED_AT_LOCATION"}
        assert set(new.type_map[enum].values) <= set(old.type_map[enum].values)
    assert "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in new.type_map[
        "InventorySetQuantitiesUserErrorCode"].values


def _check_variables(schema, document, variables):
    op = next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))
    result = get_variable_values(schema, op.variable_definitions, variables)
    errors = result if isinstance(result, list) else []
    assert errors == [], [e.message for e in errors]


def test_variable_builders_match_the_documents(real_schemas):
    _version, real_schema = real_schemas
    change = shopify.QuantityChange(
        "gid://shopify/InventoryItem/1", "gid://shopify/Location/2", 5, 10
    )
    cases = [
        (shopify.LOCATIONS_QUERY, {"first": shopify.LOCATIONS_PAGE_SIZE, "after": None}),
        (shopify.ITEMS_BY_SKU_QUERY, {"query": shopify.sku_search(["A"]), "first": 250}),
        (shopify.NODES_QUERY, {"ids": ["gid://shopify/InventoryItem/1"]}),
        (shopify.LOCATION_LEVELS_QUERY, {"locationId": "gid://shopify/Location/1", "first": 9}),
        (
            shopify.ACTIVATE_MUTATION,
            shopify.activate_variables("gid://i/1", "gid://l/1", "key-1", available=4),
        ),
        (shopify.ACTIVATE_MUTATION, shopify.activate_variables("gid://i/1", "gid://l/1", "k")),
        (shopify.DEACTIVATE_MUTATION, shopify.deactivate_variables("gid://lvl/1", "key-2")),
        (
            shopify.BULK_TOGGLE_MUTATION,
            shopify.bulk_toggle_variables("gid://i/1", [("gid://l/1", True), ("gid://l/2", False)]),
        ),
        (
            shopify.ADJUST_MUTATION,
            shopify.adjust_variables(
                "available", "correction", "gid://syncer/Plan/p1", [change], "key-3"
            ),
        ),
        (
            shopify.levels_by_item_query([2, 1]),
            shopify.levels_by_item_variables([("gid://l/1", ["i1", "i2"]), ("gid://l/2", ["i3"])]),
        ),
    ]
    for document, variables in cases:
        _check_variables(real_schema, document, variables)


def test_mutations_carry_idempotency_and_cas():
    for document in (
        shopify.ACTIVATE_MUTATION,
        shopify.DEACTIVATE_MUTATION,
        shopify.ADJUST_MUTATION,
    ):
        assert "@idempotent(key: $idempotencyKey)" in document
    change = shopify.QuantityChange("i", "l", -3, 7, ledger_document_uri="https://x/1")
    variables = shopify.adjust_variables("damaged", "correction", None, [change], "k")
    assert variables == {
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
        lambda: shopify.adjust_variables("on_hand", "correction", None, [object()], "k"),
        lambda: shopify.adjust_variables("available", "correction", None, [], "k"),
        lambda: shopify.adjust_variables(
            "available", "correction", None, [shopify.QuantityChange("i", "l", 1, 0)] * 251, "k"
        ),
        lambda: shopify.deactivate_variables("lvl", "  "),
        lambda: shopify.bulk_toggle_variables("i", []),
    ],
)
def test_variable_builders_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_level_fragment_asks_every_quantity_and_deactivation_fields():
    for name in QUANTITY_NAMES:
        assert f'"{name}"' in shopify.LEVEL_FRAGMENT
    for field in ("isActive", "canDeactivate", "deactivationAlert"):
        assert field in shopify.LEVEL_FRAGMENT
    assert "includeInactive: true" in shopify.LOCATION_LEVELS_QUERY
    assert "includeInactive: true" in shopify.levels_by_item_query([1])


# --- costs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def requested(real_schema):
    """Requested cost by the emulator's implementation of Shopify's rules (used in tests only)."""
    cost = pytest.importorskip("syncer.emulator.cost")
    return lambda document, variables: cost.requested_cost(real_schema, parse(document), variables)


def test_page_sizes_are_the_largest_within_1000_points(requested):
    cases = [
        (
            shopify.LOCATIONS_QUERY,
            lambda n: {"first": n},
            shopify.LOCATIONS_PAGE_SIZE,
            shopify.locations_cost,
        ),
        (
            shopify.ITEMS_BY_SKU_QUERY,
            lambda n: {"first": n, "query": "sku:A"},
            shopify.ITEMS_PAGE_SIZE,
            shopify.items_cost,
        ),
        (
            shopify.LOCATION_LEVELS_QUERY,
            lambda n: {"first": n, "locationId": "gid://shopify/Location/1"},
            shopify.LEVELS_PAGE_SIZE,
            shopify.location_levels_cost,
        ),
    ]
    for document, variables, size, formula in cases:
        cost = requested(document, variables(size))
        assert cost == formula(size) <= shopify.MAX_QUERY_COST
        if size < shopify.MAX_PAGE_SIZE:
            assert requested(document, variables(size + 1)) > 1000
    assert shopify.location_levels_cost(shopify.LEVELS_PAGE_SIZE) == 753


def test_point_read_costs(requested):
    for shape in POINT_SHAPES:
        groups = [
            (f"gid://shopify/Location/{i}", [f"x{j}" for j in range(n)])
            for i, n in enumerate(shape)
        ]
        document = shopify.levels_by_item_query(shape)
        cost = requested(document, shopify.levels_by_item_variables(groups))
        assert cost == shopify.levels_by_item_cost(shape) <= shopify.MAX_QUERY_COST
    over = [shopify.ITEMS_PER_POINT_QUERY + 1]
    assert shopify.levels_by_item_cost(over) > shopify.MAX_QUERY_COST


def test_nodes_and_mutation_costs(requested):
    ids = [f"gid://shopify/InventoryItem/{i}" for i in range(shopify.IDS_PER_QUERY)]
    assert requested(shopify.NODES_QUERY, {"ids": ids}) == (shopify.NODES_COST)
    for document in (
        shopify.ACTIVATE_MUTATION,
        shopify.DEACTIVATE_MUTATION,
        shopify.BULK_TOGGLE_MUTATION,
        shopify.ADJUST_MUTATION,
    ):
        assert requested(document, {}) == shopify.MUTATION_COST


# --- responses ----------------------------------------------------------------------------------


def test_raise_for_errors_returns_data():
    assert shopify.raise_for_errors({"data": {"a": 1}, "extensions": {}}) == {"a": 1}


def test_raise_for_errors_keeps_codes_verbatim_including_unknown_ones():
    errors = [
        {"message": "Access denied for locations field.", "extensions": {"code": "ACCESS_DENIED"}},
        {"message": "Something new", "extensions": {"code": "SOME_FUTURE_CODE"}},
        {"message": "No code at all"},
    ]
    with pytest.raises(RemoteError) as info:
        shopify.raise_for_errors({"data": None, "errors": errors})
    text = str(info.value)
    assert "ACCESS_DENIED: Access denied" in text and "read_inventory" in text
    assert "SOME_FUTURE_CODE: Something new" in text and "No code at all" in text
    assert info.value.errors == tuple(errors)


def test_raise_for_errors_with_partial_data_still_raises():
    errors = [{"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    with pytest.raises(RemoteError, match="INTERNAL_SERVER_ERROR: boom"):
        shopify.raise_for_errors({"data": {"a": 1}, "errors": errors})


def test_raise_for_errors_string_errors_and_missing_data():
    with pytest.raises(RemoteError, match="Invalid API key"):
        shopify.raise_for_errors({"errors": "[API] Invalid API key"})
    with pytest.raises(RemoteError, match="without data"):
        shopify.raise_for_errors({})


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
    assert shopify.user_errors(payload) == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "changes", "0"],
            "message": "stale",
        },
        {"code": None, "field": None, "message": "no code"},
    ]
    assert shopify.user_errors(None) == [] and shopify.user_errors({"userErrors": []}) == []


def test_smaller_page():
    exceeded = RemoteError("x", [{"extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1506}}])
    assert shopify.smaller_page(250, exceeded) == 166
    assert shopify.smaller_page(1, exceeded) is None
    assert shopify.smaller_page(250, RemoteError("x", [{"message": "other"}])) is None


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
    assert shopify.sku_search(skus) == expected


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
    live = shopify.live_from_pages(
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
    got = shopify.page({"pageInfo": {"hasNextPage": True, "endCursor": "c"}, "nodes": [{"id": 1}]})
    assert got == shopify.Page([{"id": 1}], True, "c")
    assert shopify.page(None) == shopify.Page([], False, None)


def test_mutation_documents_run_on_the_emulator():
    """Each mutation document and its variable builder executes; CAS errors come back verbatim."""
    from syncer.emulator import Emulator, VirtualClock
    from syncer.shopify.transport import LocalTransport

    clock = VirtualClock()
    emulator = Emulator.from_state(
        {
            "shop": "t.myshopify.com",
            "locations": [{"id": f"gid://shopify/Location/{n}", "name": f"L{n}"} for n in (1, 2)],
            "items": [{"id": f"gid://shopify/InventoryItem/{n}", "sku": f"S{n}"} for n in (1, 2)],
            "levels": [
                {
                    "id": 1,
                    "item": "gid://shopify/InventoryItem/1",
                    "location": "gid://shopify/Location/1",
                    "quantities": {"available": 40},
                },
                {
                    "id": 2,
                    "item": "gid://shopify/InventoryItem/2",
                    "location": "gid://shopify/Location/1",
                    "quantities": {},
                },
            ],
        },
        clock=clock,
    )
    transport = LocalTransport(emulator.handle, sleep=clock.sleep, clock=clock.now)
    loc1, loc2 = "gid://shopify/Location/1", "gid://shopify/Location/2"
    item1, item2 = "gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2"

    def run(document, variables, field):
        payload = shopify.raise_for_errors(transport.execute(document, variables))[field]
        return payload, shopify.user_errors(payload)

    payload, errors = run(
        shopify.ACTIVATE_MUTATION,
        shopify.activate_variables(item1, loc2, "a-1", available=5),
        "inventoryActivate",
    )
    assert errors == [] and payload["inventoryLevel"]["isActive"]
    change = shopify.QuantityChange(item1, loc1, 3, 40)
    variables = shopify.adjust_variables(
        "available", "correction", "gid://syncer/Plan/p", [change], "j-1"
    )
    payload, errors = run(shopify.ADJUST_MUTATION, variables, "inventoryAdjustQuantities")
    assert errors == []
    after = {
        c["name"]: c["quantityAfterChange"] for c in payload["inventoryAdjustmentGroup"]["changes"]
    }
    assert after["available"] == 43
    variables["idempotencyKey"] = "j-2"
    _, errors = run(shopify.ADJUST_MUTATION, variables, "inventoryAdjustQuantities")
    assert [e["code"] for e in errors] == ["CHANGE_FROM_QUANTITY_STALE"]
    payload, errors = run(
        shopify.BULK_TOGGLE_MUTATION,
        shopify.bulk_toggle_variables(item2, [(loc2, True)]),
        "inventoryBulkToggleActivation",
    )
    assert errors == [] and payload["inventoryItem"]["id"] == item2
    _, errors = run(
        shopify.DEACTIVATE_MUTATION,
        shopify.deactivate_variables("gid://shopify/InventoryLevel/2?inventory_item_id=2", "d-1"),
        "inventoryDeactivate",
    )
    assert errors == []
