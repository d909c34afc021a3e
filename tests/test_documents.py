"""Every document syncer sends is valid against the real Admin API schema of each version.

The documents are the ones production sends: the four reads, the point-read query of several
shapes, and the aliased apply mutation in each shape the applier builds (activate only, bulk
toggle, an adjust of each quantity name, deactivate, mixed batches, the largest batch), with
variables from the builders the applier uses. A test plants a field the schema lacks and shows
the check fails; another records what a real plan and apply send and checks all of it.
"""

import json

import pytest
import yaml
from click.testing import CliRunner
from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from syncer.cli import cli
from syncer.model import ADJUSTABLE, QUANTITY_NAMES
from syncer.shopify import documents, transport, variables
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.storecheck import STORE_CHECK_QUERY

ITEM = "gid://shopify/InventoryItem/"
LOC = "gid://shopify/Location/"
POINT_SHAPES = [[1], [documents.ITEMS_PER_POINT_QUERY], [3, 5, 1], [1] * 40]


def document_errors(schema, document, values=None):
    """What is wrong with ``document`` (and its variables, if given) against ``schema``."""
    ast = parse(document)
    errors = [e.message for e in validate(schema, ast)]
    if values is not None and not errors:
        op = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))
        coerced = get_variable_values(schema, op.variable_definitions, values)
        errors += [e.message for e in coerced] if isinstance(coerced, list) else []
    return errors


# --- the apply mutation, as the applier builds it ---------------------------------------------


def field_arguments(kind, n, name="available"):
    """The arguments of the n-th field of ``kind``, from the builders the applier calls."""
    item, loc = f"{ITEM}{n + 1}", f"{LOC}{n % 3 + 1}"
    if kind == "activate":
        return variables.activate_variables(item, loc, f"key-{n}")
    if kind == "bulk_toggle":
        return variables.bulk_toggle_variables(item, [(f"{LOC}1", True), (f"{LOC}2", True)])
    if kind == "deactivate":
        return variables.deactivate_variables(
            f"gid://shopify/InventoryLevel/{n}?inventory_item_id={n}", f"key-{n}"
        )
    ledger = None if name == "available" else "gid://syncer/Plan/p1"
    changes = [variables.QuantityChange(item, loc, -2, 7, ledger),
               variables.QuantityChange(f"{ITEM}99", loc, 5, 0, ledger)]
    return variables.adjust_variables(name, "correction", "gid://syncer/Plan/p1", changes,
                                      f"key-{n}")


def journal_record(steps=1):
    """The apply journal's ``metafieldsSet`` input for one request, as the applier builds it."""
    from syncer.apply.journal import JournalWriter, Sent

    writer = JournalWriter("gid://shopify/Shop/1", "84e8397a-bc13-4e37-9693-dc7e1befda73",
                           [3] * steps)
    return writer.record([Sent(f"key-{i}", i, (0, 2)) for i in range(steps)])[0]


def apply_request(kinds, name="available"):
    """``(document, variables)`` of one apply request with fields of ``kinds``."""
    values = {"journal": journal_record(len(kinds))}
    for i, kind in enumerate(kinds):
        values.update(variables.apply_field_variables(i, kind, field_arguments(kind, i, name)))
    return documents.apply_document(kinds), values


#: Inventory fields one apply request carries at most: one field is the apply journal's.
MAX = documents.MAX_FIELDS_PER_REQUEST - 1
APPLY_SHAPES = {
    "activate only": ["activate"],
    "activate x3": ["activate"] * 3,
    "bulk toggle": ["bulk_toggle"],
    "adjust": ["adjust"],
    "deactivate": ["deactivate"],
    "deactivate x5": ["deactivate"] * 5,
    "mixed: activate, toggle, adjusts": ["activate", "bulk_toggle", "adjust", "adjust"],
    "mixed: every kind": list(documents.APPLY_KINDS),
    "largest batch, mixed": [("activate", "bulk_toggle", "adjust")[i % 3] for i in range(MAX)],
    "largest batch of deactivations": ["deactivate"] * MAX,
}


def test_the_apply_shapes_cover_every_kind():
    assert {k for shape in APPLY_SHAPES.values() for k in shape} == set(documents.APPLY_KINDS)
    assert max(len(shape) for shape in APPLY_SHAPES.values()) == MAX == 99


@pytest.mark.parametrize("shape", list(APPLY_SHAPES))
def test_apply_document_is_valid(real_schemas, shape):
    version, schema = real_schemas
    document, values = apply_request(APPLY_SHAPES[shape])
    assert document_errors(schema, document, values) == [], f"{version}: {shape}"


@pytest.mark.parametrize("name", ADJUSTABLE)
def test_apply_adjust_of_each_quantity_name_is_valid(real_schemas, name):
    version, schema = real_schemas
    document, values = apply_request(["adjust", "activate", "adjust"], name)
    assert values["input0"]["name"] == name
    assert document_errors(schema, document, values) == [], f"{version}: {name}"


def test_apply_document_refuses_bad_shapes():
    for kinds in ([], ["activate"] * (MAX + 1), ["activate", "upsert"]):
        with pytest.raises(ValueError):
            documents.apply_document(kinds)
    with pytest.raises(ValueError, match="unknown apply field kind"):
        variables.apply_field_variables(0, "upsert", {})


def test_apply_fields_carry_idempotency_and_cas():
    document, values = apply_request(["activate", "bulk_toggle", "adjust", "deactivate"])
    for i in (0, 2, 3):  # activate, adjust, deactivate
        assert f"@idempotent(key: $key{i})" in document and values[f"key{i}"] == f"key-{i}"
    assert "$key1" not in document  # bulk toggles take no key (activation is idempotent)
    assert all("changeFromQuantity" in row for row in values["input2"]["changes"])


# --- the reads ----------------------------------------------------------------------------------


def read_requests():
    """``{name: (document, variables)}`` of every read, as the reader builds them."""
    groups = [(f"{LOC}{i}", [f"{ITEM}{j}" for j in range(n)]) for i, n in enumerate([2, 1])]
    cases = {
        "shop": (documents.SHOP_QUERY, None),
        "locations": (documents.LOCATIONS_QUERY,
                      {"first": documents.LOCATIONS_PAGE_SIZE, "after": None}),
        "items_by_sku": (documents.ITEMS_BY_SKU_QUERY,
                         {"query": variables.sku_search(["A", "b c"]), "first": 250,
                          "after": "cursor"}),
        "nodes": (documents.NODES_QUERY, {"ids": [f"{ITEM}1", f"{LOC}2"]}),
        "items_probe": (documents.ITEMS_PROBE_QUERY, {"first": 30}),
        "journal": (documents.JOURNAL_QUERY, {"namespace": "$app:syncer-84e8397a",
                                              "after": "cursor"}),
        "journal_write": (documents.JOURNAL_WRITE, {"journal": journal_record()}),
        "location_levels": (documents.LOCATION_LEVELS_QUERY,
                            {"locationId": f"{LOC}1", "first": 9, "after": None}),
        "store_check": (STORE_CHECK_QUERY, None),
        "levels_by_item[2, 1]": (documents.levels_by_item_query([2, 1]),
                                 variables.levels_by_item_variables(groups)),
    }
    assert set(documents.QUERIES) <= set(cases)
    for shape in POINT_SHAPES:
        cases[f"levels_by_item{shape[:3]}x{len(shape)}"] = (
            documents.levels_by_item_query(shape), None)
    return cases


@pytest.mark.parametrize("name", list(read_requests()))
def test_read_document_is_valid(real_schemas, name):
    version, schema = real_schemas
    document, values = read_requests()[name]
    assert document_errors(schema, document, values) == [], f"{version}: {name}"


def test_level_fragment_asks_every_quantity_and_deactivation_fields():
    for name in QUANTITY_NAMES:
        assert f'"{name}"' in documents.LEVEL_FRAGMENT
    for field in ("isActive", "canDeactivate", "deactivationAlert"):
        assert field in documents.LEVEL_FRAGMENT
    assert "includeInactive: true" in documents.LOCATION_LEVELS_QUERY
    assert "includeInactive: true" in documents.levels_by_item_query([1])


# --- the check can fail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "values", "expected"),
    [
        # a field the schema lacks, in the apply document production sends
        (apply_request(["adjust"])[0].replace("createdAt", "createdAtt"), None,
         "Cannot query field 'createdAtt'"),
        (documents.LOCATIONS_QUERY.replace("isActive", "isOpen"), None,
         "Cannot query field 'isOpen'"),
        # an argument that does not exist, and variables of the wrong type
        (apply_request(["activate"])[0].replace("locationId:", "location:"), None,
         "Unknown argument 'location'"),
        (apply_request(["deactivate"])[0], {"level0": ["not", "an id"], "key0": "k"},
         "$level0"),
    ],
)
def test_a_planted_bad_document_fails_the_check(real_schemas, document, values, expected):
    _, schema = real_schemas
    errors = document_errors(schema, document, values)
    assert errors and any(expected in e for e in errors), errors


# --- costs, by the emulator's implementation of Shopify's rules ---------------------------------


@pytest.fixture(scope="session")
def requested(real_schema):
    cost = pytest.importorskip("syncer.emulator.cost")
    return lambda document, values: cost.requested_cost(real_schema, parse(document), values)


def test_page_sizes_are_the_largest_within_1000_points(requested):
    cases = [
        (documents.LOCATIONS_QUERY, lambda n: {"first": n}, documents.LOCATIONS_PAGE_SIZE,
         documents.locations_cost),
        (documents.ITEMS_BY_SKU_QUERY, lambda n: {"first": n, "query": "sku:A"},
         documents.ITEMS_PAGE_SIZE, documents.items_cost),
        (documents.LOCATION_LEVELS_QUERY, lambda n: {"first": n, "locationId": f"{LOC}1"},
         documents.LEVELS_PAGE_SIZE, documents.location_levels_cost),
    ]
    for document, values, size, formula in cases:
        cost = requested(document, values(size))
        assert cost == formula(size) <= documents.MAX_QUERY_COST
        if size < documents.MAX_PAGE_SIZE:
            assert requested(document, values(size + 1)) > 1000
    # each level's item carries its unitCost (issue 24): 4 points a level, not 3, so a page
    # holds 249 levels (999 points) where it held 250 (753)
    assert (documents.LEVELS_PAGE_SIZE, documents.location_levels_cost(249)) == (249, 999)
    assert documents.items_cost(documents.ITEMS_PAGE_SIZE) == 502


def test_point_read_costs(requested):
    for shape in POINT_SHAPES:
        groups = [(f"{LOC}{i}", [f"x{j}" for j in range(n)]) for i, n in enumerate(shape)]
        document = documents.levels_by_item_query(shape)
        cost = requested(document, variables.levels_by_item_variables(groups))
        assert cost == documents.levels_by_item_cost(shape) <= documents.MAX_QUERY_COST
    over = [documents.ITEMS_PER_POINT_QUERY + 1]
    assert documents.levels_by_item_cost(over) > documents.MAX_QUERY_COST


def test_nodes_and_apply_costs(requested):
    ids = [f"{ITEM}{i}" for i in range(documents.IDS_PER_QUERY)]
    assert requested(documents.NODES_QUERY, {"ids": ids}) == documents.NODES_COST
    for shape, kinds in APPLY_SHAPES.items():
        document, values = apply_request(kinds)
        assert requested(document, values) == documents.apply_cost(kinds), shape
    assert documents.apply_cost(["deactivate"] * MAX) == documents.MAX_QUERY_COST


# --- what a real plan and apply send ------------------------------------------------------------


def _store():
    """East holds items 1-3, West an inactive item 1, North item 3: every kind of step."""
    q = {"available": 10, "damaged": 1, "safety_stock": 0}
    levels = [(1, 1, True), (2, 1, True), (3, 1, True), (1, 2, False), (3, 3, True)]
    return {
        "shop": "documents.myshopify.com",
        "locations": [{"id": f"{LOC}{n}", "name": name}
                      for n, name in ((1, "East"), (2, "West"), (3, "North"))],
        "items": [{"id": f"{ITEM}{n}", "sku": f"SKU-{n}"} for n in (1, 2, 3, 4)],
        "levels": [{"id": n, "item": f"{ITEM}{i}", "location": f"{LOC}{loc}", "active": on,
                    "quantities": dict(q)} for n, (i, loc, on) in enumerate(levels, start=1)],
    }


MANIFEST = {
    "apiVersion": "syncer/v1",
    "kind": "InventoryLevels",
    "locations": {
        "East": {"SKU-1": {"active": True, "available": 12, "damaged": 0, "safety_stock": 2},
                 "SKU-2": {"active": True}, "SKU-3": {"active": False}},
        "West": {"SKU-1": {"active": True, "available": 3}, "SKU-4": {"active": True}},
        "North": {"SKU-4": {"active": True, "available": 1}},
    },
    "safety": {"max_changed_percent": 100, "allow_deactivate_with_stock": True},
}


def test_everything_a_plan_and_apply_send_is_valid(tmp_path, monkeypatch, real_schemas):
    version, schema = real_schemas
    sent = []
    execute = transport._BaseTransport.execute

    def recording(self, document, values=None):
        sent.append((document, values))
        return execute(self, document, values)

    monkeypatch.setattr(transport._BaseTransport, "execute", recording)
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(MANIFEST))
    store = tmp_path / "store.json"
    store.write_text(json.dumps(_store()))
    env = {"SYNCER_STORE": ""}
    plan = CliRunner().invoke(cli, ["plan", str(tmp_path / "inventory.yaml"), "--store",
                                    str(store), "-o", str(tmp_path / "plan.json")], env=env)
    assert plan.exit_code == 0, plan.output + plan.stderr
    applied = CliRunner().invoke(cli, ["apply", str(tmp_path / "plan.json"), "--store",
                                       str(store)], env=env)
    assert applied.exit_code == 0, applied.output + applied.stderr

    operations = set()
    for document, values in sent:
        ast = parse(document)
        op = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))
        operations.add(op.name.value)
        if op.name.value == "SyncerApply":
            operations.update(f.name.value for f in op.selection_set.selections)
        assert document_errors(schema, document, values) == [], f"{version}: {document}"
    expected = {"SyncerLocations", "SyncerItemsBySku", "SyncerApply", "inventoryActivate",
                "inventoryBulkToggleActivation", "inventoryAdjustQuantities",
                "inventoryDeactivate"}
    assert expected <= operations, operations


def test_apply_document_runs_on_the_emulator():
    """Each kind of apply field executes; a stale CAS comes back verbatim as a user error."""
    from syncer.emulator import Emulator, VirtualClock
    from syncer.shopify.decode import raise_for_errors, user_errors

    clock = VirtualClock()
    emulator = Emulator.from_state(_store(), clock=clock)
    local = LocalTransport(emulator.handle, sleep=clock.sleep, clock=clock.now)

    def run(*fields):
        kinds = [kind for kind, _ in fields]
        values = {}
        for i, (kind, arguments) in enumerate(fields):
            values.update(variables.apply_field_variables(i, kind, arguments))
        values["journal"] = journal_record(len(fields))
        data = raise_for_errors(local.execute(documents.apply_document(kinds), values))
        return [data[f"s{i}"] for i in range(len(fields))]

    def adjust(key, before):
        change = variables.QuantityChange(f"{ITEM}1", f"{LOC}1", 3, before)
        return "adjust", variables.adjust_variables("available", "correction",
                                                    "gid://syncer/Plan/p", [change], key)

    activated, toggled, adjusted = run(
        ("activate", variables.activate_variables(f"{ITEM}1", f"{LOC}2", "a-1")),
        ("bulk_toggle", variables.bulk_toggle_variables(f"{ITEM}4", [(f"{LOC}2", True),
                                                                     (f"{LOC}3", True)])),
        adjust("j-1", 10),
    )
    assert user_errors(activated) == [] and activated["inventoryLevel"]["id"]
    assert user_errors(toggled) == [] and len(toggled["inventoryLevels"]) == 2
    assert user_errors(adjusted) == [] and adjusted["inventoryAdjustmentGroup"]["createdAt"]
    (stale,) = run(adjust("j-2", 10))
    assert [e["code"] for e in user_errors(stale)] == ["CHANGE_FROM_QUANTITY_STALE"]
    (deactivated,) = run(("deactivate", variables.deactivate_variables(
        "gid://shopify/InventoryLevel/3?inventory_item_id=3", "d-1")))
    assert user_errors(deactivated) == []
    levels = {(lvl["location"], lvl["item"]): lvl for lvl in emulator.state()["levels"]}
    assert levels[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 13
    assert not levels[(f"{LOC}1", f"{ITEM}3")]["active"]
