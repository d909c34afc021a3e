"""The saved plan file: shape, schema, idempotency keys and refusal of altered files."""

import copy
import json
from uuid import UUID, uuid5

import jsonschema
import pytest

from syncer import resources
from syncer.errors import PlanFileError
from syncer.plan.document import load_plan_document, plan_document
from syncer.plan.steps import build_steps
from tests.helpers import CASE_NAMES, plan_case

PLAN_ID = "3f1d3c7e-9d2a-4d5e-8f00-0123456789ab"


def _document(name="quickstart", plan_id=PLAN_ID):
    p, _ = plan_case(name)
    return p, plan_document(
        p, plan_id=plan_id, created_at="2026-05-01T12:00:00Z", store="us.myshopify.com",
        api_version="2026-04", syncer_version="0.1.0", manifest_digest="ab" * 32,
        manifest_files=["stores/us.yaml"])


@pytest.mark.parametrize("name", [n for n in CASE_NAMES if not plan_case(n)[0].errors])
def test_documents_validate_and_round_trip(name):
    p, doc = _document(name)
    jsonschema.validate(doc, resources.load_json_schema("plan.schema.json"))
    text = json.dumps(doc, indent=2, sort_keys=True)
    loaded, meta = load_plan_document(json.loads(text))
    assert loaded == p and loaded.fingerprint == p.fingerprint
    assert loaded.findings == p.findings and loaded.warnings == p.warnings
    assert meta.plan_id == PLAN_ID and meta.store == "us.myshopify.com"
    assert meta.steps == build_steps(p)


def test_document_shape():
    p, doc = _document()
    assert doc["format_version"] == 1
    assert doc["fingerprint"] == p.fingerprint
    assert doc["manifest"] == {"digest": "ab" * 32, "files": ["stores/us.yaml"]}
    assert [s["kind"] for s in doc["steps"]] == [
        "activate", "activate", "adjust", "adjust", "deactivate"]
    for step, built in zip(doc["steps"], build_steps(p), strict=True):
        assert step["idempotency_key"] == str(uuid5(UUID(PLAN_ID), built.step_key))
        assert [doc["changes"][i] for i in step["changes"]] == [c.to_dict() for c in built.changes]
    adjust = next(c for c in doc["changes"] if c["kind"] == "adjust")
    assert {"before", "after", "delta", "quantity", "level_id"} <= set(adjust)


def test_new_plan_id_new_keys_same_fingerprint():
    _, a = _document()
    _, b = _document(plan_id="00000000-0000-4000-8000-000000000001")
    assert a["fingerprint"] == b["fingerprint"]
    assert [s["step_key"] for s in a["steps"]] == [s["step_key"] for s in b["steps"]]
    assert not {s["idempotency_key"] for s in a["steps"]} & {
        s["idempotency_key"] for s in b["steps"]}


def test_plan_with_errors_cannot_be_saved():
    p, _ = plan_case("unknown_sku")
    with pytest.raises(PlanFileError, match="error"):
        plan_document(p, plan_id=PLAN_ID, created_at="x", store="s", api_version="2026-04",
                      syncer_version="0", manifest_digest="", manifest_files=[])
    p, _ = plan_case("quickstart")
    with pytest.raises(PlanFileError, match="UUID"):
        plan_document(p, plan_id="nope", created_at="x", store="s", api_version="2026-04",
                      syncer_version="0", manifest_digest="", manifest_files=[])


def _edited(edit):
    _, doc = _document()
    doc = copy.deepcopy(doc)
    edit(doc)
    return doc


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format_version=2), "newer than this syncer reads"),
    (lambda d: d.pop("format_version"), "not a syncer plan file"),
    (lambda d: d.pop("steps"), "lacks steps"),
    (lambda d: d["changes"][2].update(after=99, delta=95), "do not match its fingerprint"),
    (lambda d: d["changes"][2].update(after=99), "malformed"),
    (lambda d: d.update(findings=[]), "edited after it was saved"),
    (lambda d: d.update(store="other.myshopify.com"), "edited after it was saved"),
    (lambda d: d["steps"].reverse(), "steps do not match"),
    (lambda d: d.update(plan_id="00000000-0000-4000-8000-000000000001"), "steps do not match"),
    (lambda d: d["changes"].append({"kind": "teleport"}), "malformed"),
])
def test_altered_documents_are_refused(edit, message):
    with pytest.raises(PlanFileError, match=message):
        load_plan_document(_edited(edit))


@pytest.mark.parametrize("edit", [lambda d: d["changes"][2].update(after=99),
                                  lambda d: d["changes"].append({"kind": "teleport"}),
                                  lambda d: d["changes"][0].pop("level", None) or
                                  d["changes"][0].pop("location")])
def test_a_malformed_document_is_described_in_plain_words(edit):
    with pytest.raises(PlanFileError) as caught:
        load_plan_document(_edited(edit))
    message = str(caught.value)
    assert "Error(" not in message and "\\" not in message, message


def test_not_an_object():
    with pytest.raises(PlanFileError):
        load_plan_document([])
