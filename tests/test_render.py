"""Renderers as golden data (``tests/cases/<name>/plan.txt``, ``plan.md``) plus their contracts."""

import json
import re

import jsonschema
import pytest

from syncer import resources
from syncer.plan.changes import Adjust, LevelRef, Plan
from syncer.plan.notices import Finding
from syncer.plan.render import (
    DRIFT_RENDERERS,
    MARKDOWN_LIMIT,
    RENDERERS,
    TOP_CHANGES,
    drift_entries,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
    render_json,
    render_markdown,
    render_text,
)
from tests.helpers import CASE_NAMES, CASES, check_golden, plan_case


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_text(name, update_golden):
    p, _ = plan_case(name)
    check_golden(CASES / name / "plan.txt", render_text(p), update_golden)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_markdown(name, update_golden):
    p, _ = plan_case(name)
    check_golden(CASES / name / "plan.md", render_markdown(p), update_golden)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_json_is_the_golden_plan_and_matches_the_schema(name, update_golden):
    p, _ = plan_case(name)
    text = render_json(p)
    check_golden(CASES / name / "plan.json", text, update_golden)
    jsonschema.validate(json.loads(text), resources.load_json_schema("plan.schema.json"))


def test_text_shapes():
    p, _ = plan_case("quickstart")
    text = render_text(p)
    assert "~ TSHIRT-RED-M" in text and "available 40 -> 52 (+12)" in text
    assert "damaged 2 -> 0 (-2)" in text
    assert "reactivate (restores available 4)" in text
    assert "! holds 3 committed units" in text
    assert "Plan: 2 to activate, 4 to adjust (+43/-9 units), 1 to deactivate." in text
    assert text.rstrip().endswith(f"Fingerprint {p.fingerprint[:12]}")
    assert "\x1b[" not in text
    assert "\x1b[32m" in render_text(p, color=True)
    assert "(inactive)" in render_text(plan_case("inactive_adjust")[0])
    empty = render_text(plan_case("no_changes")[0])
    assert empty.startswith("No changes. The store matches the manifests.\nFingerprint ")


def _huge_plan(n: int) -> Plan:
    changes = tuple(
        Adjust(LevelRef(f"Location {i % 7}", f"SKU-{i:06d}", f"gid://shopify/Location/{i % 7}",
                        f"gid://shopify/InventoryItem/{i}"), "available", i, i + 1)
        for i in range(n))
    return Plan(changes)


def test_markdown_is_truncated_below_the_limit():
    p = _huge_plan(20_000)
    md = render_markdown(p)
    assert len(md) < MARKDOWN_LIMIT
    assert "more changes not shown here" in md
    assert md.startswith("### syncer plan\n\n<!-- syncer-fingerprint: ")
    assert md.count("<details>") == md.count("</details>")
    assert f"Fingerprint `{p.fingerprint[:12]}`" in md
    small = render_markdown(_huge_plan(30))
    assert "more changes" not in small and small.count("<details>") == 1 + 7  # full plan + 7


def test_markdown_at_its_cap_keeps_every_location_heading_and_count():
    big = _huge_plan(20_000).changes
    small = tuple(
        Adjust(LevelRef(f"Zeta {i}", "MUG", f"gid://shopify/Location/{100 + i}",
                        "gid://shopify/InventoryItem/1"), "available", 1, 2) for i in range(3))
    md = render_markdown(Plan(big + small))
    assert len(md) < MARKDOWN_LIMIT
    for i in range(7):
        count = sum(1 for c in big if c.level.location == f"Location {i}")
        assert f"<summary>Location {i} ({count:,} changes)</summary>" in md
    for i in range(3):  # small locations after the big ones keep all their rows
        assert f"<summary>Zeta {i} (1 change)</summary>" in md
        assert md.split(f"Zeta {i} (1 change)")[1].split("</details>")[0].count("| ~ |") == 1
    shown = md.split("<summary>Full plan")[1].count("| ~ |")
    omitted = [int(line.split("| ")[3].split(" more")[0].replace(",", ""))
               for line in md.splitlines() if line.startswith("| | ... |")]
    assert len(omitted) == 7 and shown + sum(omitted) == 20_003
    assert f"... and {sum(omitted):,} more changes not shown here" in md
    drift = render_drift_markdown(Plan(big + small))
    assert len(drift) < MARKDOWN_LIMIT and drift.count("<details>") == 10


def test_markdown_with_more_locations_than_fit_lists_their_headings():
    changes = tuple(
        Adjust(LevelRef(f"Location {i:05d}", "MUG", f"gid://shopify/Location/{i}",
                        "gid://shopify/InventoryItem/1"), "available", 1, 2) for i in range(3000))
    md = render_markdown(Plan(changes))
    assert len(md) < MARKDOWN_LIMIT
    assert "- Location 00000 (1 change)" in md
    assert "3,000 changes not shown here (" in md and "more locations not listed" in md


def test_large_numbers_have_thousands_separators():
    level = LevelRef("East", "MUG", "gid://shopify/Location/1", "gid://shopify/InventoryItem/1")
    p = Plan((Adjust(level, "available", 1_000, 12_500),))
    assert "~ MUG  available 1,000 -> 12,500 (+11,500)" in render_text(p)
    assert "available 1,000 → 12,500 (+11,500)" in render_markdown(p)
    assert "available: live 1,000, desired 12,500 (+11,500)" in render_drift_text(p)
    assert "Drift: 1 level differs from the manifests." in render_drift_text(p)


def test_markdown_escapes_table_cells():
    p = Plan((Adjust(LevelRef("A|B", "<b>X|Y</b>", "gid://shopify/Location/1",
                              "gid://shopify/InventoryItem/1"), "available", 1, 2),))
    md = render_markdown(p)
    # the location and the SKU sit in table cells; in the full plan (a plan of more than
    # TOP_CHANGES rows) the location heads a <summary> (HTML, no Markdown there)
    assert "| ~ | A\\|B | \\<b\\>X\\|Y\\</b\\> |" in md
    assert "| A\\|B | 0 | 1 | 0 | +1 / -0 |" in md
    many = Plan(tuple(Adjust(LevelRef("A|B", f"<b>X|{i}</b>", "gid://shopify/Location/1",
                                      f"gid://shopify/InventoryItem/{i}"), "available", 1, 2)
                      for i in range(TOP_CHANGES + 1)))
    assert "<summary>A|B (21 changes)</summary>" in render_markdown(many)


def test_renderer_tables():
    assert set(RENDERERS) == set(DRIFT_RENDERERS) == {"text", "json", "markdown"}
    p, _ = plan_case("quickstart")
    for render in (*RENDERERS.values(), *DRIFT_RENDERERS.values()):
        out = render(p)
        assert isinstance(out, str) and out == render(p)


def test_drift_entries():
    p, _ = plan_case("quickstart")
    entries = drift_entries(p)
    by = {(e["location"], e["sku"], e["kind"], e["quantity"]): e for e in entries}
    m = by[("Warehouse East", "TSHIRT-RED-M", "quantity", "available")]
    assert (m["desired"], m["live"], m["delta"]) == (52, 40, 12)  # plan's sign
    assert by[("Warehouse East", "TSHIRT-RED-XL", "activation", None)]["live"] == "missing"
    assert by[("Retail Soho", "MUG-OLD", "activation", None)]["live"] == "inactive"
    gone = by[("Warehouse East", "MUG-OLD", "deactivation", None)]
    assert (gone["desired"], gone["live"]) == ("inactive", "active")
    data = json.loads(render_drift_json(p))
    assert data["drift"] == entries and data["levels"] == 4
    text = render_drift_text(p)
    assert "available: live 40, desired 52 (+12)" in text
    assert text.rstrip().endswith("Drift: 4 levels differ from the manifests.")
    assert "TSHIRT-RED-XL" in render_drift_markdown(p)


def test_no_drift():
    p, _ = plan_case("no_changes")
    assert drift_entries(p) == []
    assert render_drift_text(p) == "No drift. The store matches the manifests.\n"
    assert json.loads(render_drift_json(p)) == {"drift": [], "levels": 0, "errors": [],
                                                "warnings": []}


def test_a_sku_less_item_is_shown_by_its_id_and_has_no_sku_in_json():
    p, _ = plan_case("gid_refs")
    gid = "gid://shopify/InventoryItem/103"
    assert f"+ {gid}  activate" in render_text(p)
    changes = [c for c in json.loads(render_json(p))["changes"] if c["item_id"] == gid]
    assert changes and all(c["sku"] is None for c in changes)
    assert [LevelRef.from_dict(c).sku for c in changes] == [gid, gid]  # read back: shown by ID
    drift = [e for e in json.loads(render_drift_json(p))["drift"] if e["item_id"] == gid]
    assert drift and all(e["sku"] is None for e in drift)
    assert f"  {gid}  available: live 0, desired 2 (+2)" in render_drift_text(p)


def test_markdown_names_the_whole_fingerprint_where_a_script_finds_it():
    """The apply job compares a plan file's fingerprint with the one in the bot's comment: the
    comment carries it whole in an HTML comment, and manifest data cannot forge a second one."""
    fake = "<!-- syncer-fingerprint: " + "0" * 64 + " -->"
    forged = Plan((Adjust(LevelRef(fake, fake, "gid://shopify/Location/1",
                                   "gid://shopify/InventoryItem/1"), "available", 1, 2),))
    for p in (plan_case("quickstart")[0], _huge_plan(20_000), forged):
        md = render_markdown(p)
        assert re.findall(r"<!-- syncer-fingerprint: ([0-9a-f]+) -->", md) == [p.fingerprint]
        assert md.rstrip().endswith(f"Fingerprint `{p.fingerprint[:12]}`")


def test_a_large_plan_comment_stays_short_unsafe_and_largest_changes_first():
    changes = tuple(
        Adjust(LevelRef(f"Location {i % 7}", f"SKU-{i:06d}", f"gid://shopify/Location/{i % 7}",
                        f"gid://shopify/InventoryItem/{i}"), "available", 100, 100 + i % 50 - 10)
        for i in range(20_000))
    unsafe = Finding("units_removed", "removes too much", "Location 3", "SKU-000003")
    p = Plan(changes, findings=(unsafe,))
    md = render_markdown(p)
    assert len(md) < MARKDOWN_LIMIT
    shown, full = md.split("<details><summary>Full plan (20,000 changes)</summary>")
    assert shown.index("**Unsafe: apply needs --force**") < shown.index("| Location |")
    rows = [line for line in shown.splitlines() if line.startswith(("| ~ |", "| + |", "| - |"))]
    assert len(rows) == TOP_CHANGES
    assert rows[0] == "| ~ | Location 3 | SKU-000003 | available 100 → 93 (-7) |"  # unsafe first
    assert all(" (+39) |" in row for row in rows[1:])  # then the most units moved
    assert "(20 of 20,000, unsafe ones first; all of them under Full plan)" in shown
    counts = [line for line in shown.splitlines() if line.startswith("| Location ")][1:]
    assert len(counts) == 7 and counts[0].startswith("| Location 0 | 0 | 2,858 | 0 | +")
    s = p.summary
    assert (f"| **Total** | 0 | 20,000 | 0 | +{s.units_added:,} / -{s.units_removed:,} |"
            in shown)
    assert full.count("<details>") == 7 and full.count("</details>") == 8


def test_the_location_table_counts_what_it_does_not_list():
    changes = tuple(
        Adjust(LevelRef(f"Location {i:05d}", "MUG", f"gid://shopify/Location/{i}",
                        "gid://shopify/InventoryItem/1"), "available", 1, 2 + (i == 2999))
        for i in range(3000))
    md = render_markdown(Plan(changes))
    table = [line for line in md.splitlines() if line.startswith("| Location 0")]
    assert len(table) == 20 and table == sorted(table)
    # the largest is listed
    assert table[-1] == "| Location 02999 | 0 | 1 | 0 | +2 / -0 | no unit cost known |"
    assert "| 2,980 more locations | 0 | 2,980 | 0 | +2,980 / -0 | no unit cost known |" in md
    assert "| **Total** | 0 | 3,000 | 0 | +3,001 / -0 | no unit cost known |" in md
