"""The engine as the one door: typed requests in, one result out, typed errors, nothing printed.
"""

import json
import shutil
from pathlib import Path

import pytest

from syncer import engine
from syncer.errors import ConflictError, PlanProblemError, UnsafePlanError, UsageError
from syncer.plan.notices import Finding, PlanProblem

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


@pytest.fixture
def quick(tmp_path):
    shutil.copytree(QUICKSTART, tmp_path / "qs")
    return tmp_path / "qs", str(tmp_path / "qs" / "store.json")


def _plan(manifests, store, out=None, **selection):
    return engine.plan(engine.PlanRequest((str(manifests),), engine.StoreFlags(store=store),
                                          engine.Selection(**selection),
                                          None if out is None else str(out)))


def test_validate_returns_problems_instead_of_raising(tmp_path):
    assert engine.validate(engine.ValidateRequest((str(QUICKSTART),))).desired is not None
    (tmp_path / "bad.yaml").write_text("apiVersion: syncer/v1\nkind: Nope\n")
    result = engine.validate(engine.ValidateRequest((str(tmp_path),)))
    assert result.desired is None
    assert result.problems and "bad.yaml" in str(result.problems[0])


def test_plan_returns_the_plan_and_where_it_was_saved(quick, tmp_path):
    manifests, store = quick
    said = []
    out = tmp_path / "plan.json"
    result = engine.plan(engine.PlanRequest((str(manifests),), engine.StoreFlags(store=store),
                                            out=str(out)), said.append)
    outcome = result.single
    assert outcome.error is None and outcome.saved_to == str(out)
    assert said and said[0].startswith("Reading")  # progress goes to the callable
    plan, _meta = engine.show(engine.ShowRequest(str(out)))
    assert plan.fingerprint == outcome.result.plan.fingerprint
    assert result.exit_code(detailed=True) == 2 and result.exit_code(detailed=False) == 0


def test_plan_errors_come_back_with_the_plan_and_are_not_saved(quick, tmp_path):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text().replace("TSHIRT-RED-XL", "NO-SUCH-SKU")
    (manifests / "inventory.yaml").write_text(text)
    out = tmp_path / "plan.json"
    outcome = _plan(manifests, store, out).single
    assert isinstance(outcome.error, PlanProblemError)
    assert outcome.result.plan.errors
    assert all(isinstance(p, PlanProblem) for p in outcome.error.problems)
    assert not out.exists() and outcome.saved_to is None


def test_unsafe_plan_error_carries_its_findings_and_the_plan(quick):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text() + "safety:\n  max_units_removed: 1\n"
    (manifests / "inventory.yaml").write_text(text)
    before = Path(store).read_bytes()
    request = engine.ApplyRequest((str(manifests),), engine.StoreFlags(store=store),
                                  auto_approve=True)
    with pytest.raises(UnsafePlanError) as caught:
        engine.prepare(request)
    findings = caught.value.findings
    assert isinstance(findings, list) and findings
    assert all(isinstance(f, Finding) for f in findings)
    assert "max_units_removed" in [f.code for f in findings]
    assert caught.value.plan.unsafe  # for the caller to show
    assert Path(store).read_bytes() == before


def test_apply_manifests_is_prepared_shown_then_run(quick):
    manifests, store = quick
    request = engine.ApplyRequest((str(manifests),), engine.StoreFlags(store=store))
    prepared = engine.prepare(request)
    assert prepared.plan.has_changes
    result = engine.apply(request, prepared)
    assert result.report.exit_code == 0
    again = engine.apply(request, engine.prepare(request))
    assert again.report is None and again.notes == ["No changes to apply."]


def test_apply_saved_plan_reports_and_writes_the_report(quick, tmp_path):
    manifests, store = quick
    out = tmp_path / "plan.json"
    _plan(manifests, store, out)
    said = []
    report_path = tmp_path / "report.json"
    result = engine.apply(engine.ApplyRequest((str(out),), report_path=str(report_path)),
                          progress=said.append)
    assert said[0].startswith("Applying plan ") and said[0].endswith(
        f"to quickstart (quickstart.myshopify.com) in the state file {Path(store).resolve()}, "
        "API 2026-10")
    assert result.report_written == str(report_path)
    assert json.loads(report_path.read_text()) == json.loads(json.dumps(result.report.to_dict()))


def test_apply_saved_plan_rejects_planning_flags(quick, tmp_path):
    manifests, store = quick
    out = tmp_path / "plan.json"
    _plan(manifests, store, out)
    with pytest.raises(UsageError, match="a saved plan already holds its selection"):
        engine.apply(engine.ApplyRequest((str(out),), selection=engine.Selection(prune=True)))
    with pytest.raises(UsageError, match="--manifests checks a saved plan"):
        engine.prepare(engine.ApplyRequest((str(manifests),), engine.StoreFlags(store=store),
                                           manifests=(str(manifests),)))


def test_a_crafted_plan_whose_digests_agree_is_refused(quick, tmp_path):
    """A plan file is untrusted input (issue 22): a fork's pull request can craft one with
    consistent digests and fingerprint. apply checks every step against the manifests."""
    from syncer.engine.planfile import new_plan_document
    from syncer.plan.changes import Adjust, Plan
    from syncer.plan.encoding import document_json

    manifests, store = quick
    made = _plan(manifests, store).single.result
    connection = engine.connect(store)
    try:
        changes = tuple(
            Adjust(c.level, c.quantity, c.before, c.after + 500, c.inactive)
            if isinstance(c, Adjust) and c.level.sku == "TSHIRT-RED-XL" else c
            for c in made.plan.changes)
        crafted = engine.PlanResult(Plan(changes, managed_levels=made.plan.managed_levels),
                                    made.desired)
        document = new_plan_document(crafted, connection, shop=connection.shop())
    finally:
        connection.close()
    path = tmp_path / "crafted.json"
    path.write_text(document_json(document))
    before = Path(store).read_bytes()
    with pytest.raises(ConflictError, match="the manifests do not declare") as caught:
        engine.apply(engine.ApplyRequest((str(path),)))
    assert "TSHIRT-RED-XL available to 525" in str(caught.value)
    assert caught.value.exit_code == 4
    assert Path(store).read_bytes() == before


def test_a_fleet_plans_each_store_into_its_own_file(tmp_path):
    """``plan stores/* -o 'plans/{store}.json'``: one file per store folder (issue 22)."""
    for name in ("us", "eu"):
        folder = tmp_path / "stores" / name
        shutil.copytree(QUICKSTART, folder)
        (folder / "syncer.yaml").write_text(f"store: {folder / 'store.json'}\n")
    (tmp_path / "plans").mkdir()
    result = engine.plan(engine.PlanRequest(
        (str(tmp_path / "stores" / "us"), str(tmp_path / "stores" / "eu")),
        out=str(tmp_path / "plans" / "{store}.json")))
    assert [o.saved_to for o in result.stores] == [
        str(tmp_path / "plans" / "us.json"), str(tmp_path / "plans" / "eu.json")]
    for name in ("us", "eu"):
        plan, meta = engine.show(engine.ShowRequest(str(tmp_path / "plans" / f"{name}.json")))
        assert meta.store.endswith(f"{name}/store.json") and plan.has_changes
    with pytest.raises(UsageError, match="put {store} in it"):
        engine.plan(engine.PlanRequest(
            (str(tmp_path / "stores" / "us"), str(tmp_path / "stores" / "eu")),
            out=str(tmp_path / "plans" / "all.json")))


def test_two_stores_declaring_the_same_levels_are_validated_each_on_its_own(tmp_path):
    """Issue 22: a folder with a syncer.yaml is one store; two stores may declare the same
    location and SKU (they were read as one set: "declared twice")."""
    from click.testing import CliRunner

    from syncer.cli import cli

    folders = []
    for name in ("us", "eu"):
        folder = tmp_path / "stores" / name
        shutil.copytree(QUICKSTART, folder)
        (folder / "syncer.yaml").write_text("store: store.json\n")
        folders.append(str(folder))
    result = engine.validate(engine.ValidateRequest(tuple(folders)))
    assert result.problems == ()
    assert [name for name, _ in result.stores] == folders
    shown = CliRunner().invoke(cli, ["validate", *folders])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [f"{f}: 1 file, 1 location, 5 levels: valid"
                                         for f in folders]
    # a problem in one store is still found and named
    bad = tmp_path / "stores" / "eu" / "inventory.yaml"
    bad.write_text(bad.read_text().replace("available: 52", "available: lots"))
    assert engine.validate(engine.ValidateRequest(tuple(folders))).problems
