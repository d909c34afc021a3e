"""The planner as golden data (``tests/cases/<name>/plan.json``) plus its contracts."""

import json

import jsonschema
import pytest

from syncer import resources
from syncer.errors import UsageError
from syncer.model import DesiredLevel, DesiredState, SafetyLimits, Source, frozen_map
from syncer.plan.changes import Activate, Adjust, ChangeKind, Deactivate
from syncer.plan.encoding import document_json
from syncer.plan.planner import Selection, parse_selection, plan
from syncer.plan.render import render_markdown, render_text
from syncer.plan.steps import build_steps
from tests.helpers import (
    CASE_NAMES,
    CASES,
    check_golden,
    desired_from_yaml,
    live_from_data,
    plan_case,
)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_plan_json(name, update_golden):
    result, _ = plan_case(name)
    data = result.to_dict()
    jsonschema.validate(data, resources.load_json_schema("plan.schema.json"))
    text = document_json(data)
    assert json.loads(text) == data
    check_golden(CASES / name / "plan.json", text, update_golden)


def _kinds(p):
    return [(c.kind.value, c.level.location, c.level.sku, getattr(c, "quantity", None))
            for c in p.changes]


def test_quickstart_mix():
    p, _ = plan_case("quickstart")
    assert _kinds(p) == [
        ("activate", "Retail Soho", "MUG-OLD", None),
        ("activate", "Warehouse East", "TSHIRT-RED-XL", None),
        ("adjust", "Retail Soho", "MUG-OLD", "available"),
        ("adjust", "Warehouse East", "MUG-OLD", "available"),
        ("adjust", "Warehouse East", "TSHIRT-RED-M", "available"),
        ("adjust", "Warehouse East", "TSHIRT-RED-M", "damaged"),
        ("adjust", "Warehouse East", "TSHIRT-RED-XL", "available"),
        ("deactivate", "Warehouse East", "MUG-OLD", None),
    ]
    reactivate = p.changes[0]
    assert reactivate.reactivation and reactivate.restores["available"] == 4
    soho_mug = p.changes[2]
    assert (soho_mug.before, soho_mug.after, soho_mug.delta) == (4, 10, 6)  # from restored
    new = p.changes[6]
    assert (new.before, new.after) == (0, 25) and new.level.level_id is None
    assert [f.code for f in p.findings] == ["deactivate_with_stock"]
    assert "3 committed" in p.findings[0].message
    s = p.summary
    assert (s.to_activate, s.to_adjust, s.units_added, s.units_removed, s.to_deactivate) == (
        2, 4, 43, 9, 1)


def test_no_changes_and_no_delta_zero():
    p, _ = plan_case("no_changes")
    assert not p.changes and not p.errors and not p.findings
    for name in CASE_NAMES:
        p, _ = plan_case(name)
        assert all(c.delta != 0 for c in p.changes if c.kind is ChangeKind.ADJUST)


def test_tolerance_band_applies_to_live_active_levels_only():
    p, _ = plan_case("tolerance")
    assert {(c.level.sku, c.quantity) for c in p.changes if isinstance(c, Adjust)} == {
        ("C-OUTSIDE", "available"), ("C-OUTSIDE", "damaged"), ("D-NEW", "available"),
        ("E-REACTIVATED", "available")}


def test_unmanaged_modes():
    ignore, _ = plan_case("unmanaged_ignore")
    assert not [c for c in ignore.changes if isinstance(c, Deactivate)]
    for name in ("unmanaged_deactivate", "unmanaged_prune"):
        p, _ = plan_case(name)
        gone = [(c.level.location, c.level.sku) for c in p.changes if isinstance(c, Deactivate)]
        # only active levels at the manifests' locations; never Retail Soho's POSTER
        assert gone == [("Warehouse East", "POSTER"), ("Warehouse East", "STICKER")]
        assert all(c.unmanaged for c in p.changes if isinstance(c, Deactivate))
        assert [w.code for w in p.warnings] == ["deactivation_alert"]


def test_cannot_deactivate_is_an_error_naming_the_alert():
    p, _ = plan_case("cannot_deactivate")
    assert [(e.code, e.sku) for e in p.errors] == [
        ("cannot_deactivate", "MUG-ONLY"), ("cannot_deactivate", "MUG-PLAIN")]
    assert "stocked at one location" in p.errors[0].message
    assert str(p.errors[0]).startswith("desired.yaml:5:5: Warehouse East / MUG-ONLY: ")
    assert [c.kind for c in p.changes] == [ChangeKind.ADJUST]


def test_deactivation_alert_is_a_warning():
    p, _ = plan_case("deactivation_alert")
    assert not p.errors and not p.findings
    assert sorted(w.code for w in p.warnings) == ["deactivation_alert", "last_active_level"]


@pytest.mark.parametrize("name, codes", [
    ("unsafe_percent", ["max_changed_percent"]),
    ("unsafe_stock", ["deactivate_with_stock"] * 2),
    ("unsafe_units_removed", ["max_units_removed"]),
])
def test_unsafe(name, codes):
    p, _ = plan_case(name)
    assert [f.code for f in p.findings] == codes and p.unsafe


def test_stock_finding_counts_quantities_after_the_plan_adjusts():
    p, _ = plan_case("unsafe_stock")
    held = {f.sku: f.message for f in p.findings}
    assert set(held) == {"MUG-COMMITTED", "MUG-INCOMING"}
    assert held["MUG-COMMITTED"].startswith("holds 3 committed units")
    assert held["MUG-INCOMING"].startswith("holds 5 incoming units")


def test_reference_errors_name_file_line_column():
    p, _ = plan_case("unknown_sku")
    assert [str(e) for e in p.errors] == [
        "desired.yaml:6:5: Warehouse East / TSHIRT-REDD-M: unknown SKU 'TSHIRT-REDD-M': "
        "no inventory item carries it (did you mean 'TSHIRT-RED-M'?)",
        "desired.yaml:8:5: Retail Soho / TSHIRT-REDD-M: unknown SKU 'TSHIRT-REDD-M': "
        "no inventory item carries it (did you mean 'TSHIRT-RED-M'?)",
        "desired.yaml:9:5: Retail Soho / gid://shopify/InventoryItem/999: inventory item "
        "gid://shopify/InventoryItem/999 does not exist in the store",
    ]
    p, _ = plan_case("ambiguous_sku")
    assert [e.code for e in p.errors] == ["ambiguous_sku"]
    assert "gid://shopify/InventoryItem/1, gid://shopify/InventoryItem/2" in p.errors[0].message
    # the ambiguous SKU's levels are not "unmanaged": nothing is deactivated
    assert not [c for c in p.changes if isinstance(c, Deactivate)]
    p, _ = plan_case("unknown_location")
    assert [(e.code, e.source.line) for e in p.errors] == [
        ("unknown_location", 4), ("unknown_location", 6), ("ambiguous_location", 8)]
    assert [c.level.location for c in p.changes] == ["Retail Soho"]


def test_gid_refs_resolve_to_names():
    p, _ = plan_case("gid_refs")
    assert _kinds(p) == [
        ("activate", "Retail Soho", "gid://shopify/InventoryItem/103", None),
        ("adjust", "Retail Soho", "TSHIRT-RED-L", "available"),
        ("adjust", "Retail Soho", "gid://shopify/InventoryItem/103", "available"),
        ("adjust", "Warehouse East", "TSHIRT-RED-M", "available"),
    ]


def test_inactive_adjust_is_marked():
    p, _ = plan_case("inactive_adjust")
    assert [(c.level.sku, c.quantity, c.inactive) for c in p.changes] == [
        ("MUG-OLD", "available", True), ("MUG-OLD", "damaged", True)]


def test_selection_case():
    p, _ = plan_case("selection")
    assert _kinds(p) == [
        ("adjust", "Warehouse East", "TSHIRT-RED-M", "available"),
        ("deactivate", "Warehouse East", "MUG-OLD", None),
        ("deactivate", "Warehouse East", "TSHIRT-RED-S", None),
    ]


def test_parse_selection():
    sel = parse_selection(["location=Retail Soho", "sku=A*", "sku=B*"], ["sku=*-L"])
    assert sel == Selection(("Retail Soho",), ("A*", "B*"), (), ("*-L",))
    assert not parse_selection()
    for bad in ("sku", "color=red", "sku=", "=x", "location= "):
        with pytest.raises(UsageError, match="bad selector"):
            parse_selection([bad])
    with pytest.raises(UsageError):
        parse_selection((), ["nope"])


def test_large_batch_splits_steps_at_250():
    p, _ = plan_case("large_batch")
    steps = build_steps(p)
    assert [(s.kind, s.quantity, len(s.changes)) for s in steps] == [
        (ChangeKind.ADJUST, "available", 250), (ChangeKind.ADJUST, "available", 10),
        (ChangeKind.ADJUST, "damaged", 3)]
    assert len({s.step_key for s in steps}) == 3
    assert [s.step_key for s in build_steps(plan_case("large_batch")[0])] == [
        s.step_key for s in steps]


def test_steps_order_activate_adjust_deactivate():
    p, _ = plan_case("quickstart")
    kinds = [s.kind for s in build_steps(p)]
    assert kinds == sorted(kinds, key=lambda k: k.rank)
    assert kinds.count(ChangeKind.ACTIVATE) == 2 and kinds.count(ChangeKind.DEACTIVATE) == 1


def test_duplicate_level_by_sku_and_gid():
    live = live_from_data({"locations": {"1": "East"}, "items": {"5": "MUG"},
                           "levels": {"East": {"MUG": {"available": 1}}}})
    levels = tuple(
        DesiredLevel("East", ref, True, frozen_map({"available": 2}), Source("m.yaml", n, 5))
        for n, ref in ((3, "MUG"), (4, "gid://shopify/InventoryItem/5")))
    p = plan(DesiredState(levels), live)
    assert [e.code for e in p.errors] == ["duplicate_level"]
    assert "m.yaml:3:5" in p.errors[0].message


def test_unknown_quantity_name_is_an_error():
    live = live_from_data({"locations": {"1": "East"}, "items": {"5": "MUG"},
                           "levels": {"East": {"MUG": {"available": 1}}}})
    d = DesiredLevel("East", "MUG", True, frozen_map({"on_hand": 3}), Source("m.yaml", 3, 5))
    p = plan(DesiredState((d,)), live)
    assert [e.code for e in p.errors] == ["not_adjustable"] and not p.changes


def test_plan_values_are_frozen():
    p, _ = plan_case("quickstart")
    with pytest.raises(AttributeError):
        p.changes[0].level = None
    assert isinstance(p.changes[0], Activate)


def _store(*names, items=("MUG", "Tasse Köln")):
    levels = {name: {sku: {"available": 1} for sku in items} for name in names}
    return live_from_data({"locations": {str(n): name for n, name in enumerate(names, 1)},
                           "items": {str(n): sku for n, sku in enumerate(items, 1)},
                           "levels": levels})


def _desired(location, sku="MUG"):
    level = DesiredLevel(location, sku, True, frozen_map({"available": 2}), Source("m.yaml", 5, 5))
    return DesiredState((level,))


def test_names_compare_in_nfc_so_a_visually_identical_name_matches():
    live = _store("Store K\u00f6ln")
    p = plan(_desired("Store Ko\u0308ln", "Tasse Ko\u0308ln"), live)
    assert not p.errors
    assert [(c.level.location, c.level.sku) for c in p.changes] == [("Store Köln", "Tasse Köln")]
    selected = plan(_desired("Store K\u00f6ln"), live, targets=["location=Store Ko\u0308ln"])
    assert not selected.errors and selected.changes


def test_a_sku_two_items_share_is_ambiguous_also_when_its_forms_differ_in_nfc():
    live = live_from_data({"locations": {"1": "Store"},
                           "items": {"1": "CAF\u00c9", "2": "CAFE\u0301", "3": "MUG"},
                           "levels": {"Store": {n: {"available": 1} for n in "123"}}})
    p = plan(_desired("Store", "CAF\u00c9"), live)
    assert [(e.code, str(e.source)) for e in p.errors] == [("ambiguous_sku", "m.yaml:5:5")]
    assert p.errors[0].message == (
        "SKU 'CAF\u00c9' is shared by 2 inventory items (gid://shopify/InventoryItem/1, "
        "gid://shopify/InventoryItem/2): name each of them by its id instead of the SKU, as "
        "gid://shopify/InventoryItem/N")


def test_two_items_sharing_a_sku_stay_two_rows_labelled_by_id():
    live = live_from_data({"locations": {"1": "Store"},
                           "items": {"1": "MUG", "2": "MUG", "3": "CAP"},
                           "levels": {"Store": {n: {"available": 1} for n in "123"}}})
    levels = tuple(DesiredLevel("Store", ref, True, frozen_map({"available": n}),
                                Source("m.yaml", n, 5))
                   for n, ref in ((5, "gid://shopify/InventoryItem/1"),
                                  (6, "gid://shopify/InventoryItem/2"), (7, "CAP")))
    p = plan(DesiredState(levels), live)
    assert not p.errors
    assert [(c.level.sku, c.level.item_sku) for c in p.changes] == [
        ("CAP", "CAP"), ("gid://shopify/InventoryItem/1", None),
        ("gid://shopify/InventoryItem/2", None)]
    text = render_text(p)
    assert "gid://shopify/InventoryItem/1  available 1 -> 5 (+4)" in text
    assert "gid://shopify/InventoryItem/2  available 1 -> 6 (+5)" in text
    md = render_markdown(p)
    assert "| ~ | Store | gid://shopify/InventoryItem/1 | available 1 → 5 (+4) |" in md
    assert "| ~ | Store | gid://shopify/InventoryItem/2 | available 1 → 6 (+5) |" in md
    # a selector still sees the SKU, and unmanaged levels of such items are two rows too
    assert len(plan(DesiredState(levels), live, targets=["sku=MUG"]).changes) == 2
    pruned = plan(DesiredState(levels[2:]), live, prune=True)
    assert sorted(c.level.sku for c in pruned.changes if isinstance(c, Deactivate)) == [
        "gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2"]


def test_names_in_messages_are_quoted_as_written_not_as_python_reprs():
    live = _store("Main Warehouse")
    p = plan(_desired("Main Warehouse", 'o\'brien "cap"'), live)
    assert p.errors[0].message == "unknown SKU 'o'brien \"cap\"': no inventory item carries it"
    p = plan(_desired('Depot "North"\n'), live)
    assert p.errors[0].message == ("unknown location 'Depot \"North\"\\n': no location has this "
                                   "name")


def test_unknown_location_and_sku_suggest_close_names():
    live = _store("Main Warehouse", "Retail Soho")
    p = plan(_desired("main warehouse"), live)
    assert [e.message for e in p.errors] == [
        "unknown location 'main warehouse': no location has this name (did you mean "
        "'Main Warehouse'?)"]
    p = plan(_desired("Main Warehouse", "mug"), live)
    assert p.errors[0].message.endswith("(did you mean 'MUG'?)")
    p = plan(_desired("Main Warehouse", "ZZZ-UNRELATED"), live)
    assert "did you mean" not in p.errors[0].message


def test_a_selection_that_matches_nothing_is_an_error_and_a_partial_plan_says_so():
    live = _store("Main Warehouse", "Retail Soho")
    desired = _desired("Main Warehouse")
    p = plan(desired, live, targets=["location=Main Warehous"])
    assert not p.changes
    assert [e.code for e in p.errors] == ["empty_selection"]
    assert "--target location=Main Warehous matched none of the 1 level" in p.errors[0].message
    assert [w.message for w in p.warnings] == [
        "--target location=Main Warehous matched no level (did you mean 'Main Warehouse'?)"]
    p = plan(desired, live, targets=["sku=MUG", "sku=NOPE-*"], excludes=["location=Outlet"])
    assert not p.errors and len(p.changes) == 1
    assert [(w.code, w.message) for w in p.warnings] == [
        ("partial_plan", "partial plan: it compares only the levels selected by --target sku=MUG "
         "--target sku=NOPE-* --exclude location=Outlet (1 level); levels outside the selection "
         "may differ too"),
        ("unmatched_selector", "--exclude location=Outlet matched no level"),
        ("unmatched_selector", "--target sku=NOPE-* matched no level"),
    ]
    assert not plan(desired, live).warnings


def test_report_only_lists_deactivations_shopify_would_refuse():
    case = CASES / "cannot_deactivate"
    live = live_from_data(json.loads((case / "live.json").read_text()))
    refused, _ = plan_case("cannot_deactivate")
    assert [e.code for e in refused.errors] == ["cannot_deactivate", "cannot_deactivate"]
    p = plan(desired_from_yaml(case / "desired.yaml"), live, report_only=True)
    assert not p.errors and not p.findings and not p.warnings
    assert [c.level.sku for c in p.changes if isinstance(c, Deactivate)] == [
        "MUG-ONLY", "MUG-PLAIN"]


def test_safety_findings_show_thousands_separators():
    live = live_from_data({"locations": {"1": "East"}, "items": {"5": "MUG"},
                           "levels": {"East": {"MUG": {"available": 5000}}}})
    level = DesiredLevel("East", "MUG", True, frozen_map({"available": 3500}),
                         Source("m.yaml", 3, 5))
    p = plan(DesiredState((level,), safety=SafetyLimits(max_units_removed=1000)), live)
    assert [f.message for f in p.findings] == [
        "removes 1,500 units, over the limit of 1,000"]
