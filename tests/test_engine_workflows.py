"""The engine's workflows as a library: data back, typed errors, and the hooks it calls."""

import json
import shutil
from pathlib import Path

import pytest

from syncer import engine
from syncer.apply.applier import ApplyOptions
from syncer.errors import PlanProblemError, UnsafePlanError, UsageError
from syncer.plan.notices import Finding, PlanProblem

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


@pytest.fixture
def quick(tmp_path):
    shutil.copytree(QUICKSTART, tmp_path / "qs")
    return tmp_path / "qs", str(tmp_path / "qs" / "store.json")


def _recorder():
    said, shown = [], []
    return said, shown, engine.Hooks(say=said.append, show_plan=shown.append)


def test_validate_returns_problems_instead_of_raising(tmp_path):
    assert engine.validate([str(QUICKSTART)]).desired is not None
    (tmp_path / "bad.yaml").write_text("apiVersion: syncer/v1\nkind: Nope\n")
    result = engine.validate([str(tmp_path)])
    assert result.desired is None
    assert result.problems and "bad.yaml" in str(result.problems[0])


def test_plan_shows_then_saves(quick, tmp_path):
    manifests, store = quick
    said, shown, hooks = _recorder()
    out = tmp_path / "plan.json"
    result = engine.plan([str(manifests)], store, out=out, hooks=hooks)
    assert shown == [result.plan]
    assert said[-1] == f"Saved to {out}; apply it with: syncer apply {out}"
    plan, _meta = engine.show(out)
    assert plan.fingerprint == result.plan.fingerprint


def test_plan_errors_raise_with_the_problems_after_showing(quick, tmp_path):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text().replace("TSHIRT-RED-XL", "NO-SUCH-SKU")
    (manifests / "inventory.yaml").write_text(text)
    said, shown, hooks = _recorder()
    out = tmp_path / "plan.json"
    with pytest.raises(PlanProblemError) as caught:
        engine.plan([str(manifests)], store, out=out, hooks=hooks)
    assert shown and shown[0].errors
    assert caught.value.problems and all(isinstance(p, PlanProblem) for p in caught.value.problems)
    assert not out.exists()


def test_unsafe_plan_error_carries_its_findings(quick, tmp_path):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text() + "safety:\n  max_units_removed: 1\n"
    (manifests / "inventory.yaml").write_text(text)
    before = Path(store).read_bytes()
    with pytest.raises(UnsafePlanError) as caught:
        engine.apply([str(manifests)], store, auto_approve=True)
    findings = caught.value.findings
    assert isinstance(findings, list) and findings
    assert all(isinstance(f, Finding) for f in findings)
    assert "max_units_removed" in [f.code for f in findings]
    assert Path(store).read_bytes() == before


def test_apply_manifests_asks_the_confirm_hook(quick):
    manifests, store = quick
    asked = []
    hooks = engine.Hooks(confirm=asked.append)
    report = engine.apply([str(manifests)], store, hooks=hooks)
    assert len(asked) == 1 and asked[0].has_changes
    assert report.exit_code == 0
    again = engine.apply([str(manifests)], store, hooks=hooks)
    assert again is None and len(asked) == 1  # nothing to apply: not asked


def test_apply_manifests_without_a_confirm_hook_refuses(quick):
    manifests, store = quick
    before = Path(store).read_bytes()
    with pytest.raises(UsageError, match="pass --auto-approve"):
        engine.apply([str(manifests)], store)
    assert Path(store).read_bytes() == before


def test_apply_saved_plan_reports_and_writes_the_report(quick, tmp_path):
    manifests, store = quick
    out = tmp_path / "plan.json"
    engine.plan([str(manifests)], store, out=out)
    said, reports = [], []
    hooks = engine.Hooks(say=said.append, show_report=reports.append)
    report_path = tmp_path / "report.json"
    report = engine.apply([str(out)], options=ApplyOptions(reason="correction"),
                          report_path=report_path, hooks=hooks)
    assert reports == [report]
    assert said[0].startswith("Applying plan ") and said[0].endswith(f"to {Path(store).resolve()}")
    assert said[-1] == f"Report written to {report_path}"
    assert json.loads(report_path.read_text()) == json.loads(json.dumps(report.to_dict()))


def test_apply_saved_plan_rejects_planning_flags(quick, tmp_path):
    manifests, store = quick
    out = tmp_path / "plan.json"
    engine.plan([str(manifests)], store, out=out)
    with pytest.raises(UsageError, match="a saved plan already holds its selection"):
        engine.apply([str(out)], prune=True)
    with pytest.raises(UsageError, match="--manifests checks a saved plan"):
        engine.apply([str(manifests)], store, manifests=[str(manifests)])
