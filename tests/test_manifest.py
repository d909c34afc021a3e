"""The manifest loader: golden bad inputs, the examples, the schema file, and properties."""

import doctest
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from manifest_golden import CASES, case_names, prepare_case

from syncer.errors import ManifestError, Problem, Source
from syncer.manifest import files as manifest_files
from syncer.manifest import load as manifest
from syncer.manifest import parsed as parsed_yaml
from syncer.manifest import report, scalars, yamlmarks
from syncer.manifest import schema as manifest_schema
from syncer.manifest.load import load_manifests, parse_manifest
from syncer.model import DesiredLevel, DesiredState, Policy, SafetyLimits
from syncer.resources import load_json_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HEADER = "apiVersion: syncer/v1\nkind: InventoryLevels\n"


# Golden bad inputs (see manifest_golden.py): pytest --update-golden rewrites expected.txt.
@pytest.mark.parametrize("name", case_names())
def test_golden_case(name, tmp_path, monkeypatch, update_golden):
    work, args = prepare_case(name, tmp_path)
    monkeypatch.chdir(work)
    with pytest.raises(ManifestError) as raised:
        load_manifests(args)
    actual = "".join(f"{problem}\n" for problem in raised.value.problems)
    expected = CASES / name / "expected.txt"
    if update_golden:
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")


# The examples are valid, and say what the README says they say.
@pytest.mark.parametrize("folder", ["quickstart", "multi-location", "policy"])
def test_example_is_valid(folder):
    desired = load_manifests([EXAMPLES / folder])
    assert desired.levels and desired.digest


def test_every_example_file_is_valid_on_its_own_and_against_the_raw_schema():
    validator = Draft202012Validator(load_json_schema("manifest.schema.json"))
    # examples/ci holds CI configuration, not manifests
    files = sorted(f for f in EXAMPLES.rglob("*.y*ml") if f.relative_to(EXAMPLES).parts[0] != "ci")
    assert len(files) >= 5
    for file in files:
        load_manifests([file])
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(document)), file
        assert "# yaml-language-server: $schema=../../schemas/manifest.schema.json" in (
            file.read_text(encoding="utf-8")
        )


def test_quickstart_declares_exactly_the_state_the_emulator_store_matches():
    desired = load_manifests([EXAMPLES / "quickstart"])
    levels = {(lv.location, lv.item): (lv.active, dict(lv.quantities)) for lv in desired.levels}
    assert levels == {
        ("Warehouse East", "TSHIRT-RED-M"): (True, {"available": 52, "damaged": 0}),
        ("Warehouse East", "TSHIRT-RED-L"): (True, {}),
        ("Warehouse East", "TSHIRT-RED-XL"): (True, {"available": 25}),
        ("Warehouse East", "MUG-OLD"): (False, {}),
        ("Warehouse East", "CAP-BLUE"): (True, {"available": 10}),
    }
    assert desired.policy == Policy() and desired.safety == SafetyLimits()


def test_multi_location_example_spans_three_locations_in_three_files():
    desired = load_manifests([EXAMPLES / "multi-location"])
    assert set(desired.location_sources) == {"Warehouse East", "Retail Soho", "Outlet Leeds"}
    assert len(desired.files) == 3


def test_policy_example_reads_policy_and_safety():
    desired = load_manifests([EXAMPLES / "policy"])
    assert desired.policy.unmanaged == "deactivate"
    assert dict(desired.policy.tolerance) == {"available": 3, "damaged": 0}
    assert desired.safety == SafetyLimits(
        max_changed_percent=20.0, max_units_removed=500, allow_deactivate_with_stock=False
    )


# The desired state itself.
def test_levels_sorted_with_sources_files_and_digest(tmp_path):
    (tmp_path / "b.yaml").write_text(
        HEADER + "locations:\n  West:\n    Z: {active: true}\n  East:\n    B: {active: false}\n"
    )
    (tmp_path / "a.yml").write_text(
        HEADER + "locations:\n  East:\n    A: {active: true, damaged: 1, available: 2}\n"
    )
    (tmp_path / "notes.txt").write_text("not a manifest")
    desired = load_manifests([tmp_path])
    assert [(lv.location, lv.item) for lv in desired.levels] == [
        ("East", "A"),
        ("East", "B"),
        ("West", "Z"),
    ]
    first = desired.levels[0]
    assert list(first.quantities.items()) == [("available", 2), ("damaged", 1)]
    assert first.source == Source(str(tmp_path / "a.yml"), 5, 5)
    assert desired.files == (str(tmp_path / "a.yml"), str(tmp_path / "b.yaml"))
    assert desired.location_sources["East"] == Source(str(tmp_path / "a.yml"), 4, 3)
    again = load_manifests([tmp_path / "a.yml", tmp_path])  # a.yml named twice: read once
    assert again == desired
    (tmp_path / "a.yml").write_text((tmp_path / "a.yml").read_text() + "# a comment\n")
    assert load_manifests([tmp_path]).digest != desired.digest


def test_inactive_level_with_quantities_is_allowed():
    desired = parse_manifest(HEADER + "locations: {East: {MUG: {active: false, available: 4}}}")
    assert desired.levels[0].active is False
    assert dict(desired.levels[0].quantities) == {"available": 4}


def test_merge_keys_and_anchors_are_read_like_yaml_does():
    text = HEADER + (
        "x-defaults: &d {active: true, available: 5}\n"
        "locations:\n  East:\n    A: *d\n    B: {<<: *d, available: 7}\n"
    )
    # x-defaults is not part of the format: the error names it, the levels still read right.
    with pytest.raises(ManifestError) as raised:
        parse_manifest(text, "m.yaml")
    assert [str(p) for p in raised.value.problems] == [
        "m.yaml:3:1: unknown key 'x-defaults'; valid names here: apiVersion, kind, policy, "
        "safety, locations"
    ]
    parsed = yamlmarks.parse_yaml(text, "m.yaml")
    assert parsed.document["locations"]["East"] == {
        "A": {"active": True, "available": 5},
        "B": {"available": 7, "active": True},
    }


def test_keys_are_always_the_text_as_written():
    text = HEADER + "locations:\n  1:\n    0123: {active: true}\n    true: {active: true}\n"
    desired = parse_manifest(text)
    assert [(lv.location, lv.item) for lv in desired.levels] == [("1", "0123"), ("1", "true")]


def test_decimal_digits_are_read_as_yaml_1_2_does_and_only_agreed_forms_are_values():
    # YAML 1.1 (pyyaml's safe_load) reads 010 as 8; the editor schema (YAML 1.2) and a reviewer
    # read 10. syncer reads 10. Every other number or boolean form is refused (golden case
    # yaml11_numbers_and_booleans).
    text = HEADER + (
        "safety: {max_changed_percent: 1.25e+1, allow_deactivate_with_stock: TRUE}\n"
        "locations:\n  E:\n"
        "    A: {active: True, available: 010, damaged: 0}\n"
        "    B: {active: false, available: !!int 007, incoming: 1000000000}\n"
    )
    desired = parse_manifest(text)
    assert yaml.safe_load(text)["locations"]["E"]["A"]["available"] == 8
    assert [(lv.item, lv.active, dict(lv.quantities)) for lv in desired.levels] == [
        ("A", True, {"available": 10, "damaged": 0}),
        ("B", False, {"available": 7, "incoming": 1_000_000_000}),
    ]
    assert desired.safety.max_changed_percent == 12.5
    assert desired.safety.allow_deactivate_with_stock is True


@pytest.mark.parametrize("written", ["0x10", "0o10", "1:30", "1_000", "+5", ".5", "1e3", "yes",
                                     "no", "on", "off", "y", "n", "~", "0b11", ".inf"])
def test_a_yaml_1_1_form_is_an_error_that_shows_what_was_written(written):
    for field in ("available", "active"):
        level = f"{{active: true, {field}: {written}}}"
        if field == "active":
            level = f"{{active: {written}}}"
        with pytest.raises(ManifestError) as raised:
            parse_manifest(HEADER + f"locations:\n  E:\n    A: {level}\n", "m.yaml")
        (problem,) = raised.value.problems
        where = f"m.yaml:5:{level.index(written) + 8}: locations.E.A.{field}:"
        assert str(problem).startswith(where)
        shown = (f"not {written} (", f"(written {written})", f"not the number {written}")
        assert any(text in problem.message for text in shown), problem.message


def test_parse_manifest_collects_every_problem_before_raising():
    with pytest.raises(ManifestError) as raised:
        parse_manifest(
            HEADER + "locations:\n  E:\n    A: {active: 1}\n    B: {available: 2}\n", "x.yaml"
        )
    assert [p.source.line for p in raised.value.problems] == [5, 6]


def test_problem_reports_render_as_json():
    problems = [Problem(Source("a.yaml", 3, 5), "bad")]
    found = json.loads(report.render_report_json(None, problems))
    assert found == {
        "valid": False,
        "files": None,
        "locations": None,
        "levels": None,
        "problems": [{"file": "a.yaml", "line": 3, "column": 5, "message": "bad"}],
    }


def test_doctests():
    for module in (manifest, report, manifest_files, manifest_schema, parsed_yaml, scalars,
                   yamlmarks):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


# The schema file.
def _walk_schema(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk_schema(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_schema(value, path + (index,))


def test_schema_is_2020_12_with_an_id_and_describes_every_property():
    schema = load_json_schema("manifest.schema.json")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    for path, node in _walk_schema(schema):
        properties = node.get("properties", {}) if path[-1:] != ("properties",) else {}
        for name, prop in properties.items():
            assert prop.get("description"), f"{path + (name,)} has no description"
        if node.get("type") == "object":
            # Fixed-shape objects refuse unknown keys (typos); maps constrain their keys instead.
            closed = node.get("additionalProperties") is False
            assert closed or "propertyNames" in node, f"{path} accepts any key"


def test_schema_quantity_names_match_the_model():
    from syncer.model import ADJUSTABLE

    schema = load_json_schema("manifest.schema.json")
    level = schema["$defs"]["level"]["properties"]
    assert list(level) == ["active", *ADJUSTABLE]
    assert list(schema["$defs"]["policy"]["properties"]["tolerance"]["properties"]) == list(
        ADJUSTABLE
    )


def test_a_desired_state_is_frozen():
    level = DesiredLevel("E", "A", True, {}, Source("f"))
    with pytest.raises(AttributeError):
        level.active = False  # type: ignore[misc]
    assert DesiredState(levels=(level,)).locations == ("E",)
