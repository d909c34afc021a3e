"""Plan files are checked with schemas/plan.schema.json; the quick change check never disagrees."""

import copy

import jsonschema
import pytest

from syncer.errors import PlanFileError
from syncer.plan.document import load_plan_document, plan_document
from syncer.plan.schema import _change_checks, _step_check, saved_plan_keys, schema_problem
from syncer.resources import load_json_schema
from tests.helpers import plan_case

PLAN_ID = "00000000-0000-4000-8000-000000000000"


def _document():
    plan, _ = plan_case("quickstart")
    return plan_document(plan, plan_id=PLAN_ID, created_at="2026-04-01T00:00:00Z",
                         store="s.myshopify.com", api_version="2026-04", syncer_version="0",
                         manifest_digest="d", manifest_files=["m.yaml"])


def _schema_accepts(change) -> bool:
    schema = load_json_schema("plan.schema.json")
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], **schema["$defs"]["change"]}
                                           ).is_valid(change)


ODD_VALUES = [None, True, False, 0, -1, 1.0, 1.5, "", "x", "gid://shopify/Location/1",
              "gid://shopify/InventoryItem/1", "available", "committed", "activate", [], {},
              {"available": 1}, {"available": "1"}, {"available": True}]


def test_quick_change_check_accepts_only_what_the_schema_accepts():
    checks = _change_checks()
    assert set(checks) == {"activate", "adjust", "deactivate"}  # every kind has a quick path
    tried = accepted = 0
    for change in _document()["changes"]:
        assert checks[change["kind"]](change)
        variants = [{k: v for k, v in change.items() if k != key} for key in change]
        variants += [{**change, "extra": 1}]
        variants += [{**change, key: value} for key in change for value in ODD_VALUES]
        for variant in variants:
            kind = variant.get("kind")
            check = checks.get(kind) if isinstance(kind, str) else None
            quick = check is not None and check(variant)
            tried += 1
            accepted += quick
            if quick:
                assert _schema_accepts(variant), variant
    assert tried > 500 and accepted > 20  # the variants exercise both answers


STEP_VALUES = [None, 0, -1, 1.0, "x", "activate", "available", "on_hand", [], [0], [-1], [1.0],
               [True], list(range(250)), list(range(251)), {}, PLAN_ID, PLAN_ID.replace("-", ""),
               PLAN_ID.upper()]


def test_quick_step_check_accepts_only_what_the_schema_accepts():
    schema = load_json_schema("plan.schema.json")
    validator = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], **schema["$defs"]["step"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    check = _step_check()
    assert check is not None
    tried = accepted = 0
    for step in _document()["steps"]:
        assert check(step)
        variants = [{k: v for k, v in step.items() if k != key} for key in step]
        variants += [{**step, key: value} for key in step for value in STEP_VALUES]
        for variant in variants:
            tried += 1
            if check(variant):
                accepted += 1
                assert validator.is_valid(variant), variant
    assert tried > 100 and accepted > 5


def test_saved_plan_keys_come_from_the_schema():
    keys = saved_plan_keys()
    assert {"plan_id", "steps", "document_digest", "fingerprint", "changes"} <= set(keys)
    assert set(_document()) >= set(keys)


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d["changes"][2].update(quantity="on_hand"),
     "changes[2].quantity: 'on_hand' is not one of"),
    (lambda d: d["changes"][0].update(kind="teleport"),
     "changes[0].kind is 'teleport', not one of activate, adjust, deactivate"),
    (lambda d: d["changes"][0].pop("location_id"), "changes[0] lacks location_id"),
    (lambda d: d["changes"][2].update(before="7"), "changes[2].before is not an integer"),
    (lambda d: d.update(changes={}), "changes is not a list"),
    (lambda d: d["steps"][0].update(changes=[]), "steps[0].changes: [] should be non-empty"),
    (lambda d: d.update(safety={"max_percent": 5}),
     "safety: Additional properties are not allowed ('max_percent' was unexpected)"),
    (lambda d: d["manifest"].update(files="m.yaml"), "manifest.files is not a list"),
    (lambda d: d["warnings"].append({"code": "x"}), "warnings[0] lacks message, location"),
    (lambda d: d.update(plan_id="nope"), "plan_id: 'nope' is not a 'uuid'"),
])
def test_schema_problems_name_the_field(edit, problem):
    document = copy.deepcopy(_document())
    edit(document)
    assert problem in schema_problem(document)
    with pytest.raises(PlanFileError, match="the plan file is malformed"):
        load_plan_document(document)


def test_a_valid_document_has_no_schema_problem():
    assert schema_problem(_document()) is None


def test_long_messages_are_cut():
    document = copy.deepcopy(_document())
    document["steps"][0]["kind"] = "x" * 10_000
    problem = schema_problem(document)
    assert problem.startswith("steps[0].kind: ") and problem.endswith("...")
    assert len(problem) < 300
