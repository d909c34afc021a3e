"""The way back from trouble (issue 20): every rerun of a plan finishes, exactly once without a
file beside the plan (the apply journal lives in the store), and a lost answer on the first
write, or Ctrl-C before it, still ends in a report."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import TransportWrapper, simulated_clock

from syncer.apply.applier import Applier
from syncer.cli import cli
from syncer.errors import RefusedError, StoreError

ROOT = Path(__file__).resolve().parent.parent
LOC, ITEM = "gid://shopify/Location/1", "gid://shopify/InventoryItem/"
RED_M = f"{ITEM}1"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"SYNCER_STORE": ""})
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


@pytest.fixture
def quick(tmp_path):
    """The quickstart's manifests and store (with a simulated clock), and a saved plan."""
    shutil.copytree(ROOT / "examples" / "quickstart", tmp_path / "qs")
    store = simulated_clock(tmp_path / "qs" / "store.json")
    plan = tmp_path / "plan.json"
    made = run("plan", tmp_path / "qs", "--store", store, "-o", plan)
    assert made.exit_code == 0, made.stderr
    return tmp_path / "qs", store, plan


def _available(store, item=RED_M):
    data = json.loads(Path(store).read_text())
    [level] = [lv for lv in data["levels"] if lv["item"] == item and lv["location"] == LOC]
    return level["quantities"]["available"]


def _sell(store, units, item=RED_M):
    data = json.loads(Path(store).read_text())
    for lv in data["levels"]:
        if lv["item"] == item and lv["location"] == LOC:
            lv["quantities"]["available"] -= units
    Path(store).write_text(json.dumps(data))


def _committed(store) -> int:
    return json.loads(Path(store).read_text())["adjustment_group_seq"]


def test_a_rerun_after_a_conflict_finishes_and_rebase_converges(quick, tmp_path):
    """The quickstart repro: a sale of 2 on TSHIRT-RED-M between plan and apply. The first
    apply lands the rest (exit 4); the rerun reports CAP-BLUE and TSHIRT-RED-XL as already
    applied and names the same conflict (exit 4, not 5: it used to call them unknown forever);
    --rebase then converges."""
    manifests, store, plan = quick
    _sell(store, 2)
    first = run("apply", plan, "--report", tmp_path / "first.json")
    assert first.exit_code == 4, first.output + first.stderr
    second = run("apply", plan, "--report", tmp_path / "second.json")
    assert second.exit_code == 4, second.output + second.stderr
    report = json.loads((tmp_path / "second.json").read_text())
    outcomes = {(c["sku"], c["quantity"]): c["status"] for c in report["changes"]}
    assert outcomes[("CAP-BLUE", "available")] == "already applied"
    assert outcomes[("TSHIRT-RED-XL", "available")] == "already applied"
    assert outcomes[("TSHIRT-RED-M", "available")] == "conflict"
    assert report["unknowns"] == []
    assert [(k["sku"], k["planned_from"], k["live_now"]) for k in report["conflicts"]] == [
        ("TSHIRT-RED-M", 40, 38)]
    assert "TSHIRT-RED-M: available planned from 40, live now 38, target 52" in second.output
    rebased = run("apply", plan, "--rebase")
    assert rebased.exit_code == 0, rebased.output + rebased.stderr
    assert _available(store) == 52
    again = run("plan", manifests, "--store", store, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def _reevaluating(store):
    data = json.loads(Path(store).read_text())
    data["key_replay"] = "reevaluate"
    Path(store).write_text(json.dumps(data))


class _LoseFirstWrite(TransportWrapper):
    """Runs the first apply request and loses its answer; then a sale of ``units``."""

    def __init__(self, inner, store_path, units):
        super().__init__(inner)
        self.store_path, self.units, self.lost = store_path, units, False

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation SyncerApply") and not self.lost:
            self.lost = True
            self.inner.execute(document, variables)
            raise StoreError("connection lost (test)")
        return self.inner.execute(document, variables)


def test_no_run_applies_a_landed_change_twice_or_rebases_over_it(quick, monkeypatch):
    """A store that runs repeated keys again (seen live on 2026-07): +12 lands, its answer is
    lost, a sale of 1 follows, and the plan is run again on a "fresh runner" (nothing beside
    the plan file; there never is now), with --rebase. It used to be called a conflict and
    rebased: +1 on top, the reviewed +12 landing as +13 and the sale overwritten."""
    _manifests, store, plan = quick
    _reevaluating(store)
    from syncer.engine import applying as engine

    real_connect = engine.connect

    def losing(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        connection.transport = _LoseFirstWrite(connection.transport, store, 1)
        return connection

    monkeypatch.setattr(engine, "connect", losing)
    first = run("apply", plan)
    monkeypatch.setattr(engine, "connect", real_connect)
    assert first.exit_code == 5, first.output + first.stderr
    assert _available(store) == 52  # landed once
    _sell(store, 1)
    Path(f"{plan}.sent").unlink(missing_ok=True)  # a fresh runner: nothing beside the plan
    groups = _committed(store)
    rerun = run("apply", plan, "--rebase", "--report", plan.parent / "r.json")
    assert rerun.exit_code == 4, rerun.output + rerun.stderr
    report = json.loads((plan.parent / "r.json").read_text())
    assert report["rebased"] == [] and report["conflicts"] == []
    assert [(u["sku"], u["live_now"]) for u in report["unknowns"]] == [("TSHIRT-RED-M", 51)]
    assert _available(store) == 51  # +12 once, the sale kept
    # nothing on top: the other changes of that request landed with it and are done
    assert _committed(store) == groups
    assert "Unknown: 1 change may or may not have landed" in rerun.output


class _Unreachable(TransportWrapper):
    """The first apply request runs, its connection is cut, and the store is then unreachable
    (the retry is refused: a RefusedError after a resend)."""

    last_resent = False

    def __init__(self, inner):
        super().__init__(inner)
        self.cut = False

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation"):
            if not self.cut:
                self.cut = True
                self.inner.execute(document, variables)
            self.last_resent = True
            raise RefusedError("cannot reach the store: connection refused (test)")
        return self.inner.execute(document, variables)


def test_a_connection_lost_during_the_first_write_is_a_partial_apply(quick, monkeypatch):
    """It used to exit 1 with no report, though the request had run: exit 5, the steps of that
    request unknown, the report written; the rerun then knows they landed."""
    _manifests, store, plan = quick
    from syncer.engine import applying as engine

    real_connect = engine.connect

    def cut(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        connection.transport = _Unreachable(connection.transport)
        return connection

    monkeypatch.setattr(engine, "connect", cut)
    result = run("apply", plan, "--report", plan.parent / "r.json")
    monkeypatch.setattr(engine, "connect", real_connect)
    assert result.exit_code == 5, result.output + result.stderr
    report = json.loads((plan.parent / "r.json").read_text())
    assert {s["status"] for s in report["steps"] if s["kind"] != "deactivate"} == {"unknown"}
    assert "may or may not have reached the store" in result.output
    rerun = run("apply", plan)
    assert rerun.exit_code == 0, rerun.output + rerun.stderr
    # each of the 6 changes of that request counted once (they were counted twice)
    assert "6 changes were already applied by an earlier run of this plan" in rerun.output
    assert _available(store) == 52


def test_ctrl_c_before_the_first_request_exits_130_with_a_report(quick, monkeypatch):
    _manifests, store, plan = quick

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Applier, "_start_on_a_whole_second", interrupted)
    before = _available(store)
    result = run("apply", plan, "--report", plan.parent / "r.json")
    assert result.exit_code == 130, result.output + result.stderr
    report = json.loads((plan.parent / "r.json").read_text())
    assert report["status"] == "interrupted"
    assert {c["status"] for c in report["changes"]} == {"not attempted"}
    assert _available(store) == before


def test_the_unknown_report_grows_with_the_changes_not_their_square():
    """200 unknown changes in one step used to print 2.1 MB: each change carried the values of
    every change of its step."""
    from syncer.apply.results import Conflict, StepResult
    from syncer.plan.changes import Adjust, ChangeKind, LevelRef
    from syncer.plan.steps import Step

    def report_size(n):
        changes = tuple(Adjust(LevelRef("East", f"SKU-{i}", LOC, f"{ITEM}{i}"), "available",
                               10, 15) for i in range(n))
        result = StepResult(Step(ChangeKind.ADJUST, "available", changes, "k"), "key")
        from syncer.apply.report import ApplyReport

        report = ApplyReport("p", "s", [result])
        for c in changes:
            result.unknown.append(Conflict(c, 12, "may have landed"))
            report.unknowns.append(result.unknown[-1])
        result.status = "unknown"
        return len(report.render_text())

    small, large = report_size(20), report_size(200)
    assert large < 12 * small  # linear: 10x the changes, about 10x the text
    assert large < 100_000
