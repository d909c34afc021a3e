"""apply end to end against the emulator: exactly once per step, CAS, resume, conflicts, gates."""

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import TransportWrapper, simulated_clock

from syncer import engine
from syncer.apply.applier import Applier, ApplyOptions
from syncer.cli import applying as cli_module
from syncer.cli import cli
from syncer.emulator import Emulator, RealClock
from syncer.engine.planfile import check_saved_plan
from syncer.errors import (
    EXIT_CONFLICT,
    EXIT_PARTIAL,
    ConflictError,
    RefusedError,
    StoreError,
    UnsafePlanError,
)
from syncer.plan.document import read_plan_file

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
QUANTITIES = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
              "safety_stock")


def run(*args, env=None, input=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env or {"SYNCER_STORE": ""},
                                input=input)
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


# --- a store with many kinds of steps ---------------------------------------------------------

def _state(items=24):
    """Two locations; items 1..n active at East, odd items also (inactive) at West."""
    levels = []
    for i in range(1, items + 1):
        q = {name: 0 for name in QUANTITIES}
        q.update(available=10 + i, damaged=i % 3)
        levels.append({"id": len(levels) + 1, "item": f"{ITEM}{i}", "location": f"{LOC}1",
                       "active": True, "quantities": q})
        if i % 2:
            levels.append({"id": len(levels) + 1, "item": f"{ITEM}{i}", "location": f"{LOC}2",
                           "active": False, "quantities": {**q, "available": 4}})
        if i > 20:  # stocked at North too, so East can be deactivated
            levels.append({"id": len(levels) + 1, "item": f"{ITEM}{i}", "location": f"{LOC}3",
                           "active": True, "quantities": dict(q)})
    return {
        "shop": "apply-test.myshopify.com",
        "throttle": {"maximumAvailable": 2000, "restoreRate": 100},
        "locations": [{"id": f"{LOC}1", "name": "East"}, {"id": f"{LOC}2", "name": "West"},
                      {"id": f"{LOC}3", "name": "North"}],
        "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i:02d}"} for i in range(1, items + 1)],
        "levels": levels,
    }


def _manifest(items=24):
    """Adjusts of three quantity names, reactivations, new levels (one item at two new
    locations: a bulk toggle) and deactivations."""
    east, west, north = {}, {}, {}
    for i in range(1, items + 1):
        sku = f"SKU-{i:02d}"
        if i <= 16:
            east[sku] = {"active": True, "available": 20 + i, "damaged": 0, "safety_stock": i % 4}
        elif i <= 20:
            east[sku] = {"active": True}
        else:
            east[sku] = {"active": False}
        if i in (1, 3):
            west[sku] = {"active": True, "available": 9}  # reactivation + adjust
        if i in (2, 4):
            west[sku] = {"active": True, "available": 5}  # new level
            north[sku] = {"active": True, "available": 6}  # same item: a bulk toggle
    policy = {"safety": {"max_changed_percent": 100, "allow_deactivate_with_stock": True}}
    return {"apiVersion": "syncer/v1", "kind": "InventoryLevels",
            "locations": {"East": east, "West": west, "North": north}, **policy}


@pytest.fixture
def big(tmp_path):
    """(manifest dir, store file) for the many-steps store."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    import yaml

    (manifests / "inventory.yaml").write_text(yaml.safe_dump(_manifest(), sort_keys=False))
    store = tmp_path / "store.json"
    store.write_text(json.dumps(_state()))
    return manifests, simulated_clock(store)


@pytest.fixture
def quick(tmp_path):
    shutil.copytree(QUICKSTART, tmp_path / "qs")
    return tmp_path / "qs", simulated_clock(tmp_path / "qs" / "store.json")


def _save_plan(manifests, store, out):
    result = run("plan", manifests, "--store", store, "-o", out)
    assert result.exit_code == 0, result.stderr
    return json.loads(Path(out).read_text())


def _converged(manifests, store):
    result = run("plan", manifests, "--store", store, "--detailed-exitcode")
    return result.exit_code == 0 and "No changes." in result.stdout


def _levels(store):
    data = json.loads(Path(store).read_text())
    return {(lv["location"], lv["item"]): lv for lv in data["levels"]}


def _sell(store, location, item, units):
    """A sale between plan and apply: available and on_hand move down (on_hand is derived)."""
    data = json.loads(Path(store).read_text())
    for lv in data["levels"]:
        if lv["location"] == location and lv["item"] == item:
            lv["quantities"]["available"] -= units
    Path(store).write_text(json.dumps(data))


# --- end to end -------------------------------------------------------------------------------

@pytest.fixture
def http(http_emulator):
    """Serve a store file over HTTP; returns a function store_file -> base URL."""

    def start(store_file):
        # Served stores keep real time: their clients over HTTP wait in real time.
        return http_emulator(Emulator.load(store_file, clock=RealClock())).url.split("/admin/")[0]

    return start


@pytest.mark.parametrize("mode", ["file", "http"])
def test_quickstart_plan_apply_converges(mode, quick, http, tmp_path):
    manifests, store_file = quick
    store = store_file if mode == "file" else http(store_file)
    _save_plan(manifests, store, tmp_path / "plan.json")
    result = run("apply", tmp_path / "plan.json", "--store", store)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Applied: 2 activated, 3 adjusted (+40/-2 units), 1 deactivated in 4 calls, "
        "83 cost points.\n"
    )
    assert _converged(manifests, store)
    levels = _levels(store_file)
    assert levels[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 52


def test_apply_with_manifests_and_auto_approve(big):
    manifests, store = big
    result = run("apply", manifests, "--store", store, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert "Plan: 6 to activate, 22 to adjust (+216/-16 units), 4 to deactivate." in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        "Applied: 6 activated, 22 adjusted (+216/-16 units), 4 deactivated in 4 calls")
    assert _converged(manifests, store)


def test_apply_manifests_refuses_without_terminal(big):
    manifests, store = big
    before = Path(store).read_bytes()
    result = run("apply", manifests, "--store", store)
    assert result.exit_code == 64
    assert "pass --auto-approve" in result.stderr
    assert Path(store).read_bytes() == before


@pytest.mark.parametrize(("answer", "code"), [("yes\n", 0), ("y\n", 1), ("no\n", 1)])
def test_apply_manifests_asks_on_a_terminal(big, monkeypatch, answer, code):
    manifests, store = big
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = run("apply", manifests, "--store", store, input=answer)
    assert result.exit_code == code, result.stderr
    assert _converged(manifests, store) is (code == 0)
    if code:
        assert "apply cancelled; nothing was changed" in result.stderr


def test_reason_and_reference_recorded(quick, tmp_path):
    manifests, store = quick
    result = run("plan", manifests, "--store", store, "-o", tmp_path / "plan.json", "--reason",
                 "cycle_count_available", "--reference", "https://github.com/acme/stock/pull/42")
    assert result.exit_code == 0, result.stderr
    result = run("apply", tmp_path / "plan.json")
    assert result.exit_code == 0, result.stderr
    groups = [entry["response"]["inventoryAdjustmentGroup"]
              for entry in json.loads(store.read_text())["idempotency"]
              if entry["field"] == "inventoryAdjustQuantities"]
    assert groups and all(g["reason"] == "Cycle count" for g in groups)
    assert {g["referenceDocumentUri"] for g in groups} == {"https://github.com/acme/stock/pull/42"}


def test_default_reference_is_the_plan(quick, tmp_path):
    manifests, store = quick
    document = _save_plan(manifests, store, tmp_path / "plan.json")
    assert run("apply", tmp_path / "plan.json").exit_code == 0
    groups = [entry["response"]["inventoryAdjustmentGroup"]
              for entry in json.loads(store.read_text())["idempotency"]
              if entry["field"] == "inventoryAdjustQuantities"]
    assert {g["referenceDocumentUri"] for g in groups} == {
        f"gid://syncer/Plan/{document['plan_id']}"}
    assert {g["reason"] for g in groups} == {"Inventory correction"}


# --- exactly once: replay, resume ------------------------------------------------------------

def test_same_plan_twice_applies_once(big, tmp_path):
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    assert run("apply", tmp_path / "plan.json").exit_code == 0
    after_first = _levels(store)
    groups = json.loads(Path(store).read_text())["adjustment_group_seq"]
    second = run("apply", tmp_path / "plan.json", "--report", tmp_path / "r.json")
    assert second.exit_code == 0, second.stderr
    assert "were already applied by an earlier run of this plan" in second.stdout
    assert _levels(store) == after_first
    assert json.loads(Path(store).read_text())["adjustment_group_seq"] == groups
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["units_added"] == 0 and report["summary"]["units_removed"] == 0
    assert {s["status"] for s in report["steps"] if s["kind"] == "adjust"} == {"already applied"}


def test_replay_after_keys_expired_is_classified_by_reading(big, tmp_path):
    """Shopify forgets keys after ~24h; the apply journal in the store does not: the rerun
    knows every step landed, sends none of them, and nothing is applied twice."""
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    assert run("apply", tmp_path / "plan.json").exit_code == 0
    data = json.loads(Path(store).read_text())
    data["idempotency"] = []
    Path(store).write_text(json.dumps(data))
    after_first = _levels(store)
    groups = data["adjustment_group_seq"]
    second = run("apply", tmp_path / "plan.json", "-v")
    assert second.exit_code == 0, second.stderr
    assert "already applied by an earlier run of this plan" in second.stderr
    assert "sending" not in second.stderr
    assert _levels(store) == after_first
    assert json.loads(Path(store).read_text())["adjustment_group_seq"] == groups


class _Interrupt(TransportWrapper):
    """Delegates to a transport; the ``at``-th mutation request is lost before or after it ran."""

    def __init__(self, inner, at, after_commit):
        super().__init__(inner)
        self.at, self.after_commit, self.mutations = at, after_commit, 0

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation"):
            self.mutations += 1
            if self.mutations == self.at:
                if self.after_commit:
                    self.inner.execute(document, variables)
                raise StoreError("connection lost (test)")
        return self.inner.execute(document, variables)


def _apply_library(store_file, plan_path, wrap=None, **options):
    plan, meta = read_plan_file(plan_path)
    store = engine.connect(str(store_file), lock=True)
    try:
        if wrap is not None:
            store.transport = wrap(store.transport)
        opts = ApplyOptions(limits=meta.limits, **options)
        return engine.run_plan(plan, meta, store, opts)
    finally:
        store.close()


@pytest.mark.slow(seconds=2)
def test_resume_after_interruption_at_every_step_boundary(big, tmp_path, monkeypatch):
    # This test is about convergence, not about telling a replay from a fresh change (see
    # test_apply_outcomes): start each of its 64 runs at once instead of on the next whole second.
    monkeypatch.setattr(Applier, "_start_on_a_whole_second", lambda self: int(self.clock()))
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    steps = len(read_plan_file(tmp_path / "plan.json")[1].steps)
    assert steps >= 8
    pristine = Path(store).read_bytes()
    expected = None
    for at in range(1, steps + 1):
        for after_commit in (False, True):
            Path(store).write_bytes(pristine)
            first = _apply_library(store, tmp_path / "plan.json",
                                   lambda t, at=at, ac=after_commit: _Interrupt(t, at, ac),
                                   fields_per_request=1)
            assert first.exit_code == EXIT_PARTIAL, (at, after_commit)
            statuses = [r.status for r in first.results]
            assert statuses.count("unknown") == 1
            assert statuses[at - 1] == "unknown"
            assert set(statuses[at:]) <= {"not attempted"}
            text = first.render_text()
            assert "Run the same plan again to resume" in text
            second = _apply_library(store, tmp_path / "plan.json", fields_per_request=1)
            assert second.exit_code == 0, (at, after_commit, second.render_text())
            data = json.loads(Path(store).read_text())
            final = {k: (v["active"], v["quantities"]) for k, v in _levels(store).items()}
            if expected is None:
                expected = final
            assert final == expected, (at, after_commit)
            adjust_steps = sum(1 for r in second.results if r.step.kind.value == "adjust")
            # Every adjustment group in the store is one adjust step: none was applied twice.
            assert data["adjustment_group_seq"] == adjust_steps, (at, after_commit)
    assert _converged(manifests, store)


def test_partial_failure_reports_applied_failed_and_not_attempted(big, tmp_path):
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    data = json.loads(Path(store).read_text())
    # SKU-02 disappears between plan and apply: its activation (a bulk toggle) fails.
    data["items"] = [item for item in data["items"] if item["sku"] != "SKU-02"]
    data["levels"] = [lv for lv in data["levels"] if lv["item"] != f"{ITEM}2"]
    Path(store).write_text(json.dumps(data))
    result = run("apply", tmp_path / "plan.json", "--report", tmp_path / "report.json")
    assert result.exit_code == EXIT_PARTIAL, result.stdout + result.stderr
    assert "Stopped: activate" in result.stdout
    assert "INVENTORY_ITEM_NOT_FOUND" in result.stdout
    assert "Not applied:" in result.stdout and "  - not attempted: " in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "partial" and report["exit_code"] == EXIT_PARTIAL
    statuses = {s["status"] for s in report["steps"]}
    assert {"applied", "failed", "not attempted"} <= statuses
    assert report["summary"]["activated"] >= 1


# --- CAS conflicts and rebase ----------------------------------------------------------------

def test_sale_between_plan_and_apply_is_a_conflict(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    _sell(store, f"{LOC}1", f"{ITEM}1", 3)  # TSHIRT-RED-M available 40 -> 37
    result = run("apply", tmp_path / "plan.json")
    assert result.exit_code == EXIT_CONFLICT, result.stdout + result.stderr
    assert ("Warehouse East / TSHIRT-RED-M: available planned from 40, live now 37, target 52"
            in result.stdout)
    assert "Nothing was overwritten" in result.stdout
    assert "Conflict: 1 quantity moved since the plan was made:" in result.stdout  # no "(ies)"
    assert "(s)" not in result.stdout
    levels = _levels(store)
    assert levels[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 37
    # A conflict does not stop the run: the deactivation after it was applied.
    assert levels[(f"{LOC}1", f"{ITEM}4")]["active"] is False


def test_rebase_applies_the_planned_target_from_the_live_value(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    _sell(store, f"{LOC}1", f"{ITEM}1", 3)
    result = run("apply", tmp_path / "plan.json", "--rebase", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Rebased 1 change onto live values:" in result.stdout
    assert ("Warehouse East / TSHIRT-RED-M: available rebased from 37 (planned from 40): "
            "+15 instead of +12") in result.stdout
    assert _levels(store)[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 52
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["rebased"] == [{
        "location": "Warehouse East", "sku": "TSHIRT-RED-M", "quantity": "available",
        "planned_from": 40, "live_now": 37, "target": 52, "planned_delta": 12, "delta": 15}]
    assert _converged(manifests, store)
    # Run again: the rebased change is recognised (its key derives from the plan), not re-sent.
    again = run("apply", tmp_path / "plan.json", "--rebase")
    assert again.exit_code == 0
    assert _levels(store)[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 52


def test_rebase_refused_when_it_would_break_a_safety_limit(quick, tmp_path):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text() + "safety:\n  max_units_removed: 5\n"
    (manifests / "inventory.yaml").write_text(text)
    _save_plan(manifests, store, tmp_path / "plan.json")
    # Someone restocks 30 units; rebasing to 52 would now remove 25 units.
    _sell(store, f"{LOC}1", f"{ITEM}1", -37)
    result = run("apply", tmp_path / "plan.json", "--rebase")
    assert result.exit_code == EXIT_CONFLICT, result.stdout + result.stderr
    assert "rebasing would make the plan unsafe" in result.stdout
    assert _levels(store)[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 77


def test_new_plan_gets_new_keys_and_converges(quick, tmp_path):
    manifests, store = quick
    pristine = store.read_bytes()
    _save_plan(manifests, store, tmp_path / "p1.json")
    assert run("apply", tmp_path / "p1.json").exit_code == 0
    cache = json.loads(store.read_text())["idempotency"]
    # Move the store back to the old values (keeping the key cache), plan again and apply.
    data = json.loads(pristine)
    data["idempotency"] = cache
    data["adjustment_group_seq"] = json.loads(store.read_text())["adjustment_group_seq"]
    store.write_text(json.dumps(data))
    second = _save_plan(manifests, store, tmp_path / "p2.json")
    first = json.loads((tmp_path / "p1.json").read_text())
    assert first["fingerprint"] == second["fingerprint"]
    assert not ({s["idempotency_key"] for s in first["steps"]}
                & {s["idempotency_key"] for s in second["steps"]})
    assert run("apply", tmp_path / "p2.json").exit_code == 0
    assert _converged(manifests, store)


# --- refusals before anything is sent --------------------------------------------------------

def test_unsafe_plan_refused_then_forced(big, tmp_path):
    manifests, store = big
    text = (manifests / "inventory.yaml").read_text().replace("max_changed_percent: 100",
                                                              "max_changed_percent: 10")
    (manifests / "inventory.yaml").write_text(text)
    _save_plan(manifests, store, tmp_path / "plan.json")
    before = Path(store).read_bytes()
    refused = run("apply", tmp_path / "plan.json")
    assert refused.exit_code == 3
    assert "over the 10% limit" in refused.stderr
    assert refused.stderr.rstrip().endswith("pass --force to apply it anyway")
    assert Path(store).read_bytes() == before
    forced = run("apply", tmp_path / "plan.json", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "because --force was given" in forced.stderr
    assert _converged(manifests, store)


def test_unsafe_library_gate(quick, tmp_path):
    manifests, store = quick
    text = (manifests / "inventory.yaml").read_text() + "safety:\n  max_units_removed: 1\n"
    (manifests / "inventory.yaml").write_text(text)
    _save_plan(manifests, store, tmp_path / "plan.json")
    with pytest.raises(UnsafePlanError, match="removes 2 units, over the limit of 1"):
        _apply_library(store, tmp_path / "plan.json")


def _rewrite(plan_path, **changes):
    """Edit a saved plan's metadata and fix its digest (a plan from elsewhere, not tampered)."""
    from syncer.plan.document import _digest

    document = json.loads(Path(plan_path).read_text())
    document.update(changes)
    document["document_digest"] = _digest(document)
    Path(plan_path).write_text(json.dumps(document))


def test_old_plan_refused(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    old = (datetime.now(UTC) - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _rewrite(tmp_path / "plan.json", created_at=old)
    result = run("apply", tmp_path / "plan.json")
    assert result.exit_code == EXIT_CONFLICT
    assert "older than --max-plan-age 1d" in result.stderr
    assert run("apply", tmp_path / "plan.json", "--max-plan-age", "2d").exit_code == 0


def test_bad_max_plan_age_is_a_usage_error(quick, tmp_path):
    result = run("apply", tmp_path / "nothing.json", "--max-plan-age", "soon")
    assert result.exit_code == 64
    assert "--max-plan-age" in result.stderr


def test_plan_for_another_store_refused(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    other = tmp_path / "other.json"
    shutil.copy(store, other)
    result = run("apply", tmp_path / "plan.json", "--store", other)
    assert result.exit_code == EXIT_CONFLICT
    assert f"the plan was made for store {store.resolve()}, not {other.resolve()}" in result.stderr


def test_a_saved_plan_applies_to_its_own_store_whatever_the_environment_names(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    other = tmp_path / "other.json"
    shutil.copy(store, other)
    env = {"SYNCER_STORE": str(other), "SYNCER_API_VERSION": "2026-04"}
    result = run("apply", tmp_path / "plan.json", env=env)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"in the state file {store.resolve()}, API" in result.stderr
    assert other.read_bytes() != store.read_bytes()
    # an explicit flag that names another store or version is still refused
    refused = run("apply", tmp_path / "plan.json", "--store", other, env=env)
    assert refused.exit_code == EXIT_CONFLICT
    assert "the plan was made for store" in refused.stderr
    refused = run("apply", tmp_path / "plan.json", "--api-version", "2026-04", env=env)
    assert refused.exit_code == EXIT_CONFLICT
    assert "the plan was made with API version 2026-10, not 2026-04" in refused.stderr


def test_changed_manifests_refused(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    path = manifests / "inventory.yaml"
    path.write_text(path.read_text().replace("available: 25", "available: 26"))
    result = run("apply", tmp_path / "plan.json", "--manifests", manifests)
    assert result.exit_code == EXIT_CONFLICT
    assert f"the manifests changed since the plan was made (edited: {path};" in result.stderr
    # a file added since the plan is named as such
    path.write_text(path.read_text().replace("available: 26", "available: 25"))
    (manifests / "more.yaml").write_text("apiVersion: syncer/v1\nkind: InventoryLevels\n"
                                         "locations:\n  Warehouse East:\n"
                                         "    NEW-ITEM: {active: false}\n")
    result = run("apply", tmp_path / "plan.json", "--manifests", manifests)
    assert result.exit_code == EXIT_CONFLICT, result.output
    assert f"(added: {manifests / 'more.yaml'};" in result.stderr


def test_check_saved_plan_library(quick, tmp_path):
    manifests, store_file = quick
    _save_plan(manifests, store_file, tmp_path / "plan.json")
    _plan, meta = read_plan_file(tmp_path / "plan.json")
    store = engine.connect(str(store_file))
    created = datetime.fromisoformat(meta.created_at.replace("Z", "+00:00"))
    check_saved_plan(meta, store, now=created + timedelta(hours=23), manifests=[manifests])
    with pytest.raises(ConflictError, match="older than"):
        check_saved_plan(meta, store, now=created + timedelta(hours=25))
    # a short limit is never shown as "0m old, older than 0m"
    with pytest.raises(ConflictError, match=r"the plan is 30s old, older than --max-plan-age 10s"):
        check_saved_plan(meta, store, now=created + timedelta(seconds=30),
                                max_age=timedelta(seconds=10))


def test_hand_edited_plan_refused(quick, tmp_path):
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    document = json.loads((tmp_path / "plan.json").read_text())
    change = next(c for c in document["changes"] if c["kind"] == "adjust")
    change["after"] += 100
    change["delta"] += 100
    (tmp_path / "plan.json").write_text(json.dumps(document))
    before = store.read_bytes()
    result = run("apply", tmp_path / "plan.json")
    assert result.exit_code == 1
    assert "the file was edited; make the plan again" in result.stderr
    assert store.read_bytes() == before


def test_store_file_lock_serialises_applies(quick):
    _manifests, store = quick
    first = engine.connect(str(store), lock=True)
    try:
        with pytest.raises(StoreError, match=r"locked by syncer apply \(pid \d+\)"):
            engine.connect(str(store), lock=True, lock_timeout=0.2)
    finally:
        first.close()
    engine.connect(str(store), lock=True, lock_timeout=0.2).close()


def test_rerun_with_rebase_never_rebases_twice_over_a_sale(quick, tmp_path):
    """A rebased change lands but its answer is lost; a sale follows; the rerun (with --rebase)
    must recognise the earlier rebase instead of rebasing again and undoing the sale."""
    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    _sell(store, f"{LOC}1", f"{ITEM}1", 3)  # 40 -> 37 before apply: a conflict
    first = _apply_library(store, tmp_path / "plan.json",
                           lambda t: _Interrupt(t, 2, after_commit=True), rebase=True)
    assert first.exit_code == EXIT_PARTIAL, first.render_text()
    assert _levels(store)[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 52
    _sell(store, f"{LOC}1", f"{ITEM}1", 2)  # a sale after the rebase landed: 52 -> 50
    second = _apply_library(store, tmp_path / "plan.json", rebase=True)
    assert second.exit_code == 0, second.render_text()
    assert _levels(store)[(f"{LOC}1", f"{ITEM}1")]["quantities"]["available"] == 50
    step = next(r for r in second.results if r.step.quantity == "available")
    # the store replayed the rebase's key (the same attempt, sent again): it landed before
    assert step.status == "rebased" and step.rebases[0].change.before == 37
    assert [str(r) for r in second.rebased] == [
        "Warehouse East / TSHIRT-RED-M: available rebased from 37 (planned from 40): +15 "
        "instead of +12"]


def test_missing_plan_file_is_named(tmp_path):
    result = run("apply", tmp_path / "nothere.json")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nothere.json'}: cannot read the plan file" in result.stderr


class _Refuse(_Interrupt):
    """The ``at``-th mutation request is refused (HTTP 401-like): it never ran."""

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation"):
            self.mutations += 1
            if self.mutations == self.at:
                raise RefusedError("the store rejected the access token (HTTP 401) (test)")
        return self.inner.execute(document, variables)


def test_refused_request_is_an_error_first_and_a_failure_later(big, tmp_path):
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    before = Path(store).read_bytes()
    with pytest.raises(RefusedError):
        _apply_library(store, tmp_path / "plan.json", lambda t: _Refuse(t, 1, False))
    assert Path(store).read_bytes() == before
    report = _apply_library(store, tmp_path / "plan.json", lambda t: _Refuse(t, 3, False),
                            fields_per_request=1)
    assert report.exit_code == EXIT_PARTIAL
    statuses = [r.status for r in report.results]
    assert statuses[:3] == ["applied", "applied", "failed"]
    assert report.results[2].detail == "the store refused the request; nothing in it ran"


class _Odd(_Interrupt):
    """Answers the first mutation request with an unknown user error code for every field."""

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation") and not self.mutations:
            self.mutations += 1
            fields = [line.split(":")[0].strip() for line in document.splitlines()
                      if line.strip().startswith("s") and ": inventory" in line]
            error = {"code": "SHINY_NEW_CODE", "field": ["input"], "message": "Something new."}
            return {"data": {**{f: {"userErrors": [error]} for f in fields},
                             "journal": {"metafields": [], "userErrors": []}}}
        return self.inner.execute(document, variables)


def test_unknown_user_error_code_is_reported_verbatim(big, tmp_path):
    manifests, store = big
    _save_plan(manifests, store, tmp_path / "plan.json")
    report = _apply_library(store, tmp_path / "plan.json", lambda t: _Odd(t, 0, False))
    assert report.exit_code == EXIT_PARTIAL
    assert "SHINY_NEW_CODE: input: Something new." in report.error
    assert "SHINY_NEW_CODE: input: Something new." in report.render_text()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_shows_steps_and_units(quick, tmp_path):
    """An apply's steps are a bar on a terminal (redrawn in place), and nothing elsewhere: a CI
    log gets the report, not a line per step."""
    from syncer import engine
    from syncer.progress import ProgressPrinter

    manifests, store = quick
    _save_plan(manifests, store, tmp_path / "plan.json")
    terminal = _Terminal()
    engine.apply(engine.ApplyRequest((str(tmp_path / "plan.json"),)),
                 progress=ProgressPrinter(terminal))
    shown = terminal.getvalue()
    assert "Applying: 5 / 5 steps, 42 units moved" in shown
    assert "[########################]" in shown
    pristine = simulated_clock(tmp_path / "again.json",
                               json.loads((QUICKSTART / "store.json").read_text()))
    _save_plan(manifests, pristine, tmp_path / "again-plan.json")
    plain = io.StringIO()
    engine.apply(engine.ApplyRequest((str(tmp_path / "again-plan.json"),)),
                 progress=ProgressPrinter(plain))
    assert "steps" not in plain.getvalue() and "Applying plan" in plain.getvalue()


def test_a_saved_partial_plan_says_it_is_partial_when_applied(quick, tmp_path):
    manifests, store = quick
    out = tmp_path / "plan.json"
    result = run("plan", manifests, "--store", store, "-o", out, "--target", "sku=TSHIRT-*")
    assert result.exit_code == 0, result.stderr
    assert "Partial plan: " in result.stdout
    applied = run("apply", out)
    assert applied.exit_code == 0, applied.stderr
    assert "Applying partial plan " in applied.stderr


def test_age_text_doctest():
    import doctest

    from syncer.engine import planfile as saved_plans

    result = doctest.testmod(saved_plans)
    assert result.attempted and not result.failed
