"""syncer import: manifests from the live store that validate and plan to no changes."""

import json
import re
from pathlib import Path

import pytest
import yaml
from helpers import run_cli as run
from helpers import simulated_clock
from hypothesis import given, settings
from hypothesis import strategies as st

from syncer.manifest.load import parse_manifest
from syncer.manifest.write import LevelEntry, render_manifest, yaml_key

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"

#: SKUs that YAML would read as something else, or that need escaping, or are not SKUs at all.
AWKWARD_SKUS = [
    "TSHIRT-RED-M", "0123", "yes", "No", "ON", "null", "~", "1e3", "1_000", "0x1F", "0o17",
    ".inf", "-5", "+5", "2026-01-01", "1:30", "a: b", "#hash", "- dash", "-dash", "[x]", "{y}",
    "*star", "&anchor", "!tag", "%pc", "@at", "`tick", "?q", "|pipe", ">fold", "quo\"te",
    "it's", "back\\slash", "tab\tsku", "ünïcode ✓", "東京-1", " lead", "trail ", "a  b",
    "multi\nline", "gid://shopify/InventoryItem/999", "<<", "=", "true", "DUP", "DUP", None,
    "CAF\u00c9", "CAFE\u0301",
]
LOCATION_NAMES = ["Warehouse East", "yes", "0123", "a: b", "Twin", "Twin", "東京", "#1 shop",
                  "Outlet \"Leeds\""] + [f"Store {n:02d}" for n in range(1, 8)]


def awkward_store(path: Path) -> Path:
    """A store state: many locations, awkward SKUs and names, inactive levels holding stock."""
    locations = [{"id": f"gid://shopify/Location/{n}", "name": name}
                 for n, name in enumerate(LOCATION_NAMES, 1)]
    items = [{"id": f"gid://shopify/InventoryItem/{n}", "sku": sku}
             for n, sku in enumerate(AWKWARD_SKUS, 1)]
    levels = []
    for li, location in enumerate(locations):
        for ii, item in enumerate(items):
            if (li + ii) % 3 == 2:
                continue  # not stocked here
            active = (li * 7 + ii) % 5 != 0
            levels.append({
                "id": len(levels) + 1, "item": item["id"], "location": location["id"],
                "active": active,
                "quantities": {"available": (li * 13 + ii * 7) % 50, "damaged": ii % 3,
                               "committed": 0, "incoming": 0, "quality_control": 0,
                               "reserved": 0, "safety_stock": li % 2},
            })
    path.write_text(json.dumps({"shop": "awkward.myshopify.com", "locations": locations,
                                "items": items, "levels": levels}), encoding="utf-8")
    return simulated_clock(path)


@pytest.mark.parametrize("quantities", ["available", "available,damaged,safety_stock"])
def test_import_round_trips(tmp_path, quantities):
    store = awkward_store(tmp_path / "store.json")
    before = store.read_bytes()
    out = tmp_path / "manifests"
    result = run("import", "-o", out, "--store", store, "--quantities", quantities)
    assert result.exit_code == 0, result.stderr
    files = sorted(p for p in out.glob("*.yaml") if p.name != "syncer.yaml")
    assert len(files) == len(LOCATION_NAMES)
    assert "Wrote 16 manifests" in result.stderr
    assert run("validate", out).exit_code == 0
    plan = run("plan", out, "--store", store, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output + plan.stderr
    assert plan.stdout.split("\n\n", 1)[1].startswith("No changes.")  # after the Store line
    assert store.read_bytes() == before  # import and plan never write
    # inactive levels are written as such, and their stock is not managed
    text = (out / "warehouse-east.yaml").read_text(encoding="utf-8")
    assert ": {active: false}\n" in text
    # the same plan finds changes when a written value is edited: the files are really read
    edited = re.sub(r"(?m)^(    .*: \{active: true, available: )(\d+)",
                    lambda m: m.group(1) + str(int(m.group(2)) + 1), text, count=1)
    assert edited != text
    (out / "warehouse-east.yaml").write_text(edited, encoding="utf-8")
    assert run("plan", out, "--store", store, "--detailed-exitcode").exit_code == 2


def test_import_writes_hand_written_style(tmp_path):
    store = awkward_store(tmp_path / "store.json")
    out = tmp_path / "m"
    assert run("import", "-o", out, "--store", store).exit_code == 0
    lines = (out / "warehouse-east.yaml").read_text(encoding="utf-8").splitlines()
    # issue 26: the schema is written beside the manifests, so the comment works wherever
    # the folder goes (not a path into syncer's install, not a file:// URI)
    assert lines[0] == "# yaml-language-server: $schema=manifest.schema.json"
    assert (out / "manifest.schema.json").read_text(encoding="utf-8") == (
        ROOT / "schemas" / "manifest.schema.json").read_text(encoding="utf-8")
    assert lines[1] == "# Imported from awkward.myshopify.com by syncer import."
    assert lines[2:5] == ["apiVersion: syncer/v1", "kind: InventoryLevels", "locations:"]
    for path in out.iterdir():  # no path of this machine in any file written
        assert str(tmp_path) not in path.read_text(encoding="utf-8"), path
    assert lines[5] == "  Warehouse East:"
    body = lines[6:]
    keys = [next(iter(yaml.safe_load(line))) for line in body]
    assert keys == sorted(keys)
    for key in ['"0123"', '"1e3"', '"a: b"', '"multi\\nline"', '"tab\\tsku"', '"No"', '"~"',
                '"-dash"', '"- dash"', "東京-1", '"quo\\"te"', '"back\\\\slash"', '"1:30"']:
        assert any(line.startswith(f"    {key}: {{active: ") for line in body), key
    assert "    TSHIRT-RED-M: {active: false}" in body
    # SKU-less items, a SKU two items share and a SKU that looks like an ID: by item ID
    # (also two SKUs that differ only in how the accent is encoded: the same SKU in NFC)
    by_id = [n for n, sku in enumerate(AWKWARD_SKUS, 1)
             if sku in (None, "DUP", "gid://shopify/InventoryItem/999", "CAFÉ", "CAFE\u0301")]
    assert len(by_id) == 6
    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for number in by_id:
        assert f"\n    gid://shopify/InventoryItem/{number}: {{active: " in everything, number
    assert "\n    DUP:" not in everything
    # the SKU of an item named by its id is in a comment on its line
    dup = AWKWARD_SKUS.index("DUP") + 1
    assert re.search(rf"\n    gid://shopify/InventoryItem/{dup}: {{active: [^}}]*}}  "
                     r"# SKU DUP, shared by 2 items\n", everything)
    assert "}  # SKU gid://shopify/InventoryItem/999\n" in everything
    assert "\n    gid://shopify/InventoryItem/999:" not in everything


@pytest.mark.parametrize(("key", "written"), [
    ("TSHIRT-RED-M", "TSHIRT-RED-M"), ("Warehouse East", "Warehouse East"),
    ("gid://shopify/Location/7", "gid://shopify/Location/7"), ("東京-1", "東京-1"),
    ("0123", '"0123"'), ("yes", '"yes"'), ("null", '"null"'), ("1e3", '"1e3"'),
    ("0o17", '"0o17"'), ("a: b", '"a: b"'), ("a:", '"a:"'), ("1:30", '"1:30"'),
    ("2026-01-01", '"2026-01-01"'), ("a #b", '"a #b"'), ("bell\x07", '"bell\\x07"'),
    ("ünïcode ✓", '"ünïcode ✓"'),
])
def test_yaml_key(key, written):
    assert yaml_key(key) == written


def test_import_names_shared_location_names_by_id(tmp_path):
    store = awkward_store(tmp_path / "store.json")
    out = tmp_path / "m"
    assert run("import", "-o", out, "--store", store, "--location", "Twin").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.schema.json", "syncer.yaml", "twin-5.yaml", "twin-6.yaml"]
    assert "  gid://shopify/Location/5:\n" in (out / "twin-5.yaml").read_text(encoding="utf-8")


def test_import_filters_and_inactive(tmp_path):
    store = awkward_store(tmp_path / "store.json")
    out = tmp_path / "m"
    result = run("import", "-o", out, "--store", store, "--location", "gid://shopify/Location/1",
                 "--sku", "TSHIRT-*", "--sku", "[0-9]*", "--no-include-inactive")
    assert result.exit_code == 0, result.stderr
    desired = parse_manifest((out / "warehouse-east.yaml").read_text(encoding="utf-8"))
    state = json.loads(store.read_text(encoding="utf-8"))
    skus = {item["id"]: item["sku"] for item in state["items"]}
    expected = {skus[lvl["item"]] for lvl in state["levels"]
                if lvl["location"] == "gid://shopify/Location/1" and lvl["active"]
                and re.match(r"TSHIRT-|[0-9]", skus[lvl["item"]] or "")}
    assert {lvl.item for lvl in desired.levels} == expected
    assert {"0123", "0x1F"} <= expected and "TSHIRT-RED-M" not in expected  # inactive there
    assert all(lvl.active for lvl in desired.levels)
    assert run("plan", out, "--store", store, "--detailed-exitcode").exit_code == 0


def test_import_refuses_to_overwrite(tmp_path):
    store = tmp_path / "store.json"
    store.write_bytes((QUICKSTART / "store.json").read_bytes())
    out = tmp_path / "m"
    out.mkdir()
    (out / "warehouse-east.yaml").write_text("# mine\n", encoding="utf-8")
    result = run("import", "-o", out, "--store", store)
    assert result.exit_code == 1
    assert "already exists; nothing was read or written: pass --force" in result.stderr
    assert (out / "warehouse-east.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert not (out / "retail-soho.yaml").exists()  # nothing written before the refusal
    assert run("import", "-o", out, "--store", store, "--force").exit_code == 0
    assert "kind: InventoryLevels" in (out / "warehouse-east.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--quantities", "available,on_hand"], "on_hand is not adjustable"),
    (["--location", "Nowhere"], "'Nowhere': no such location"),
])
def test_import_bad_flags(tmp_path, args, message):
    store = tmp_path / "store.json"
    store.write_bytes((QUICKSTART / "store.json").read_bytes())
    result = run("import", "-o", tmp_path / "m", "--store", store, *args)
    assert result.exit_code == 64, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "m").exists()


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12))
def test_yaml_key_reads_back_as_the_same_string(text):
    manifest = render_manifest("Loc", [LevelEntry(text, True, {"available": 3})], "s.json")
    if text.startswith("gid://") or text.strip() != text:
        return  # not a SKU key the schema allows (import names such items by ID)
    assert yaml.safe_load(f"{yaml_key(text)}: 1") == {text: 1}
    (level,) = parse_manifest(manifest).levels
    assert level.item == text
    assert dict(level.quantities) == {"available": 3}


def test_an_oversold_item_round_trips(tmp_path):
    """Shopify lets an oversold item's `available` go below zero: import writes it, validate
    accepts it and plan has nothing to change."""
    store = json.loads((QUICKSTART / "store.json").read_text(encoding="utf-8"))
    store["levels"][0]["quantities"]["available"] = -3
    path = simulated_clock(tmp_path / "store.json", store)
    out = tmp_path / "manifests"
    assert run("import", "-o", out, "--store", path).exit_code == 0
    written = (out / "warehouse-east.yaml").read_text(encoding="utf-8")
    assert "    TSHIRT-RED-M: {active: true, available: -3}\n" in written
    assert run("validate", out).exit_code == 0
    assert run("plan", out, "--store", path, "--detailed-exitcode").exit_code == 0
