"""What a plan is worth (issue 24): each item's unitCost read with the levels, units and their
value at cost per currency in every output, saved with the plan, and ``max_value_changed``."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.emulator import Emulator
from syncer.errors import RemoteError
from syncer.model import Money
from syncer.plan.changes import Adjust, LevelRef, Plan
from syncer.plan.planner import plan as make_plan
from syncer.plan.value import StockValue, minor_units, rounded
from syncer.shopify.bulk import local_fetch
from syncer.shopify.decode import parse_item
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.reader import read_live
from tests.helpers import desired_from_yaml
from tests.helpers import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
ITEM = "gid://shopify/InventoryItem/"
LOC = "gid://shopify/Location/"

MANIFEST = """\
apiVersion: syncer/v1
kind: InventoryLevels
locations:
  East:
    MUG: {active: true, available: 14}
    CAP: {active: true, available: 2}
    PIN: {active: true, available: 9}
"""


def _state(**costs):
    items = [("1", "MUG"), ("2", "CAP"), ("3", "PIN")]
    return {
        "shop": "value.myshopify.com",
        "locations": [{"id": f"{LOC}1", "name": "East"}],
        "items": [{"id": f"{ITEM}{n}", "sku": sku,
                   **({"unit_cost": costs[sku]} if sku in costs else {})} for n, sku in items],
        "levels": [{"item": f"{ITEM}{n}", "location": f"{LOC}1",
                    "quantities": {"available": 10}} for n in ("1", "2")],
    }


def _folder(tmp_path, **costs):
    """A store state file with these costs (by SKU) and the manifest beside it."""
    store, manifest = tmp_path / "store.json", tmp_path / "inventory.yaml"
    store.write_text(json.dumps(_state(**costs)))
    manifest.write_text(MANIFEST)
    return store, manifest


def test_minor_units_follow_iso_4217_for_every_currency_shopify_knows(real_schema):
    codes = set(real_schema.get_type("CurrencyCode").values)
    assert len(codes) > 150
    digits = {code: minor_units(code) for code in codes}
    assert {c for c, d in digits.items() if d == 0} >= {"JPY", "KRW", "CLP", "ISK", "VND"}
    assert {c for c, d in digits.items() if d == 3} == {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR",
                                                         "TND"}
    assert set(digits.values()) == {0, 2, 3}


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(-10**6, 10**6)), max_size=40))
def test_value_is_exact_decimal_arithmetic(moves):
    costs = {"a": Money(Decimal("0.10"), "EUR"), "b": Money(Decimal("19.99"), "EUR"),
             "c": Money(Decimal("0.001"), "KWD")}  # "d" has no cost
    value = StockValue.of(moves, costs)
    assert value.units_added == sum(d for _, d in moves if d > 0)
    assert value.units_removed == -sum(d for _, d in moves if d < 0)
    assert value.uncosted_added == sum(d for i, d in moves if d > 0 and i == "d")
    for currency in value.currencies:
        net = sum((costs[i].amount * d for i, d in moves if i in costs
                   and costs[i].currency == currency), Decimal(0))
        assert value.added[currency] - value.removed[currency] == net  # no float, no rounding
        assert isinstance(value.added[currency], Decimal)
    shown = value.to_dict()
    for amount in [*shown["added"].values(), *shown["removed"].values()]:
        assert "." not in amount or len(amount.split(".")[1]) in (2, 3)


def test_totals_are_rounded_once_half_to_even():
    # 3 x 0.335 = 1.005 USD: rounded once, at the end, to 1.00 (not 3 x 0.34 = 1.02)
    value = StockValue.of([("s", 3)], {"s": Money(Decimal("0.335"), "USD")})
    assert value.to_dict()["added"] == {"USD": "1.00"}
    assert rounded(Decimal("2.5"), "JPY") == Decimal("2")


def test_an_item_without_a_cost_is_counted_never_valued_at_zero():
    changes = [Adjust(LevelRef("East", "MUG", f"{LOC}1", f"{ITEM}1"), "available", 10, 14),
               Adjust(LevelRef("East", "CAP", f"{LOC}1", f"{ITEM}2"), "available", 10, 7)]
    plan = Plan(tuple(changes), unit_costs={f"{ITEM}1": Money(Decimal("2.50"), "EUR")})
    assert plan.value.text() == "+10.00/-0.00 EUR; +0/-3 units have no cost"
    assert Plan(tuple(changes)).value.text() == "no unit cost known"
    assert plan.value.to_dict()["uncosted_units_removed"] == 3


def test_a_malformed_unit_cost_is_a_remote_error_naming_the_item():
    assert parse_item({"id": "i1", "sku": "A", "unitCost": None}).unit_cost is None
    cost = parse_item({"id": "i1", "unitCost": {"amount": "8.5", "currencyCode": "EUR"}})
    assert cost.unit_cost == Money(Decimal("8.5"), "EUR")
    for bad in ({"amount": 8.5, "currencyCode": "EUR"}, {"amount": "x", "currencyCode": "EUR"},
                {"amount": "1"}, "8.50 EUR"):
        with pytest.raises(RemoteError, match="inventory item i1 has unitCost"):
            parse_item({"id": "i1", "unitCost": bad})


@pytest.mark.parametrize("read", ["paged", "bulk"])
def test_plan_values_the_adjusts_with_the_costs_it_read(tmp_path, read):
    path = tmp_path / "inventory.yaml"
    path.write_text(MANIFEST)
    emulator = Emulator.from_state(_state(MUG={"amount": "2.50", "currencyCode": "EUR"},
                                          PIN={"amount": "0.5", "currencyCode": "EUR"}))
    transport = LocalTransport(emulator.handle)
    desired = desired_from_yaml(path)
    live = read_live(transport, desired, read=read, fetch=local_fetch(emulator.bulk.open))
    result = make_plan(desired, live)
    # MUG +4 at 2.50; CAP -8 has no cost; PIN is a new level, +9 at 0.5
    assert result.value.to_dict() == {
        "units_added": 13, "units_removed": 8, "added": {"EUR": "14.50"},
        "removed": {"EUR": "0.00"}, "uncosted_units_added": 0, "uncosted_units_removed": 8}
    assert set(result.unit_costs) == {f"{ITEM}1", f"{ITEM}3"}


def test_saved_plan_keeps_its_value_and_show_prints_it(tmp_path):
    store, manifest = _folder(tmp_path, MUG={"amount": "2.50", "currencyCode": "EUR"},
                              CAP={"amount": "1200", "currencyCode": "JPY"})
    out = tmp_path / "plan.json"
    planned = run("plan", manifest, "--store", store, "-o", out)
    assert planned.exit_code == 0, planned.output
    lines = "  East  +13/-8 units  +10.00/-0.00 EUR, +0/-9,600 JPY; +9/-0 units have no cost"
    assert lines in planned.stdout
    document = json.loads(out.read_text())
    assert document["value"]["total"]["removed"] == {"EUR": "0.00", "JPY": "9600"}
    assert document["unit_costs"][f"{ITEM}2"] == {"amount": "1200", "currencyCode": "JPY"}
    shown = run("show", out)
    assert shown.exit_code == 0 and lines in shown.stdout
    as_json = json.loads(run("show", out, "--format", "json").stdout)
    assert as_json["value"] == document["value"]
    # a cost edited in the saved plan is refused, as any other edit
    document["unit_costs"][f"{ITEM}2"]["amount"] = "12"
    out.write_text(json.dumps(document))
    refused = run("show", out)
    assert refused.exit_code == 1 and "edited after it was saved" in refused.output


def test_drift_reports_the_value_of_undoing_it(tmp_path):
    store, manifest = _folder(tmp_path, MUG={"amount": "2.50", "currencyCode": "EUR"})
    text = run("drift", manifest, "--store", store)
    assert text.exit_code == 2
    assert ("Value at cost of undoing the drift (what a plan would change):\n"
            "  East  +13/-8 units  +10.00/-0.00 EUR; +9/-8 units have no cost\n") in text.stdout
    data = json.loads(run("drift", manifest, "--store", store, "--format", "json").stdout)
    assert data["value"]["total"]["added"] == {"EUR": "10.00"}
    markdown = run("drift", manifest, "--store", store, "--format", "markdown").stdout
    assert "| East | +13/-8 units | +10.00/-0.00 EUR; +9/-8 units have no cost |" in markdown


def test_max_value_changed_is_per_currency_and_validated(tmp_path):
    store, manifest = _folder(tmp_path, MUG={"amount": "2.50", "currencyCode": "EUR"})
    manifest.write_text(MANIFEST + "safety: {max_value_changed: {EUR: '9.99', USD: 1}}\n")
    unsafe = run("plan", manifest, "--store", store, "--detailed-exitcode")
    assert unsafe.exit_code == 3
    assert ("moves 10.00 EUR of stock at cost (+10.00 EUR, -0.00 EUR), over the limit of "
            "9.99 EUR") in unsafe.stdout
    manifest.write_text(MANIFEST + "safety: {max_value_changed: {EUR: 10}}\n")
    assert run("plan", manifest, "--store", store, "--detailed-exitcode").exit_code == 2
    for bad, where in (("{eur: 10}", ":8:30:"), ("{EUR: -1}", ":8:35:"), ("{EUR: 1e3}", ":8:35:"),
                       ("{EUR: 'ten'}", ":8:35:"), ("[10]", ":8:29:")):
        manifest.write_text(MANIFEST + f"safety: {{max_value_changed: {bad}}}\n")
        result = run("validate", manifest)
        assert result.exit_code == 1 and where in result.output, (bad, result.output)
        assert "Traceback" not in result.output and "any of the given" not in result.output


def test_emulator_state_refuses_a_currency_shopify_does_not_know(tmp_path):
    store, manifest = _folder(tmp_path, MUG={"amount": "2.50", "currencyCode": "EUX"})
    result = run("plan", manifest, "--store", store)
    assert result.exit_code == 1
    assert "items[0].unit_cost.currencyCode" in result.output and "EUX" in result.output


def test_the_quickstart_store_values_its_plan(tmp_path):
    shutil.copy(ROOT / "examples/quickstart/store.json", tmp_path / "store.json")
    result = run("plan", ROOT / "examples/quickstart", "--store", tmp_path / "store.json",
                 "--format", "markdown")
    assert "| +332.00/-17.00 EUR; +3/-0 units have no cost |" in result.stdout


def test_the_drift_history_records_the_value_of_each_run(tmp_path):
    store, manifest = _folder(tmp_path, MUG={"amount": "2.50", "currencyCode": "EUR"})
    assert run("drift", manifest, "--store", store, "--history", tmp_path / "h").exit_code == 2
    (record,) = [json.loads(line) for line in (tmp_path / "h/history.jsonl").read_text()
                 .splitlines()]
    assert record["value"]["added"] == {"EUR": "10.00"}
    assert record["value"]["uncosted_units_removed"] == 8
    jsonschema.validate(record, json.loads((ROOT / "schemas/history.schema.json").read_text()))
