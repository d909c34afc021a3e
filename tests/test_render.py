"""Renderers as golden data (``tests/cases/<name>/plan.txt``, ``plan.md``) plus their contracts."""

import json

import jsonschema
import pytest

from syncer import resources
from syncer.plan.changes import Adjust, LevelRef, Plan
from syncer.plan.render import (
    DRIFT_RENDERERS,
    MARKDOWN_LIMIT,
    RENDERERS,
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
def test_json_is_the_golden_plan_and_matches_the_schema(name):
    p, _ = plan_case(name)
    text = render_json(p)
    assert text == (CASES / name / "plan.json").read_text(encoding="utf-8")
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
    assert md.startswith("### syncer plan\n\n| Change | Levels | Units |")
    assert md.count("<details>") == md.count("</details>")
    assert f"Fingerprint `{p.fingerprint[:12]}`" in md
    small = render_markdown(_huge_plan(30))
    assert "more changes" not in small and small.count("<details>") == 7


def test_markdown_escapes_table_cells():
    p = Plan((Adjust(LevelRef("A|B", "<b>X|Y</b>", "gid://shopify/Location/1",
                              "gid://shopify/InventoryItem/1"), "available", 1, 2),))
    md = render_markdown(p)
    # the location heads a <summary> (HTML, no Markdown there); the SKU sits in a table cell
    assert "<summary>A|B (1 change)</summary>" in md
    assert "| \\<b\\>X\\|Y\\</b\\> |" in md


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
    assert (m["desired"], m["live"], m["delta"]) == (52, 40, -12)
    assert by[("Warehouse East", "TSHIRT-RED-XL", "activation", None)]["live"] == "missing"
    assert by[("Retail Soho", "MUG-OLD", "activation", None)]["live"] == "inactive"
    gone = by[("Warehouse East", "MUG-OLD", "deactivation", None)]
    assert (gone["desired"], gone["live"]) == ("inactive", "active")
    data = json.loads(render_drift_json(p))
    assert data["drift"] == entries and data["levels"] == 4
    text = render_drift_text(p)
    assert "available: live 40, desired 52 (-12)" in text
    assert text.rstrip().endswith("Drift: 4 levels differ from the manifests.")
    assert "TSHIRT-RED-XL" in render_drift_markdown(p)


def test_no_drift():
    p, _ = plan_case("no_changes")
    assert drift_entries(p) == []
    assert render_drift_text(p) == "No drift. The store matches the manifests.\n"
    assert json.loads(render_drift_json(p)) == {"drift": [], "levels": 0, "errors": []}
