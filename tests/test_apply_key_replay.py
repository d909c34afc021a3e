"""apply when the store does not replay idempotency keys (issue 14): a landed change whose
retry is answered stale is reported applied; where a sale moved the level in between, no answer
tells whether it landed, so it is ``unknown`` with the values seen, never a conflict, and
``--rebase`` never touches it (rebasing a change that landed would add phantom stock). Since
issue 20 that is settled (exit 4, as a conflict is): every later run of the plan, on any
machine, reads the apply journal in the store and leaves it alone too."""

import os
import signal

import pytest
import yaml
from helpers import simulated_clock
from reliability_helpers import (
    HttpEmulator,
    finish,
    http_store,
    kill,
    make_plan_document,
    read_report,
    start_apply,
    write_manifest,
    write_plan,
)

from syncer import engine
from syncer.apply.applier import ApplyOptions
from syncer.apply.classify import MAY_HAVE_LANDED
from syncer.emulator import Emulator
from syncer.plan.document import load_plan_document

LOC, ITEM = "gid://shopify/Location/1", "gid://shopify/InventoryItem/1"


def _store(tmp_path, key_replay):
    state = {**_state(), "key_replay": key_replay}
    path = simulated_clock(tmp_path / "store.json", state)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "inventory.yaml").write_text(yaml.safe_dump({
        "apiVersion": "syncer/v1", "kind": "InventoryLevels",
        "locations": {"East": {"SKU-1": {"active": True, "available": 15}}}}))
    store = engine.connect(str(path))
    plan, meta = load_plan_document(
        engine.new_plan_document(engine.make_plan([str(manifests)], store), store))
    return store, plan, meta


def _lose_first_mutation_answer(store, sale_units=0):
    """The first mutation commits, then its answer is lost (and a sale may follow)."""
    emu, lost = store.emulator, []

    def handler(body, headers, path):
        answer = emu.respond(body, headers, path)
        if body["query"].lstrip().startswith("mutation") and not lost:
            lost.append(True)
            if sale_units:
                emu.store.sell(emu.store.levels[(ITEM, LOC)], sale_units, emu.requests)
            raise ConnectionResetError("answer lost")
        return answer

    store.transport._handler = handler
    return emu


def _available(emu):
    return emu.store.levels[(ITEM, LOC)].quantity("available")


@pytest.mark.parametrize("key_replay", ["cached", "reevaluate", "ignored"])
def test_a_landed_change_is_applied_once_whatever_the_store_does_with_its_key(
        tmp_path, key_replay):
    store, plan, meta = _store(tmp_path, key_replay)
    emu = _lose_first_mutation_answer(store)
    report = engine.run_plan(plan, meta, store, ApplyOptions(limits=meta.limits))
    [step] = report.to_dict()["steps"]
    assert (report.exit_code, step["status"], step["applied"]) == (0, "applied", 1)
    assert _available(emu) == 15
    assert len([j for j in emu.store.journal if j["changes"]]) == 1  # landed once
    if key_replay != "cached":
        assert step["detail"] == "landed; its retry was answered stale"


@pytest.mark.parametrize("key_replay", ["reevaluate", "ignored"])
def test_landed_then_sold_is_unknown_never_a_conflict_and_never_rebased(tmp_path, key_replay):
    store, plan, meta = _store(tmp_path, key_replay)
    emu = _lose_first_mutation_answer(store, sale_units=2)
    report = engine.run_plan(plan, meta, store, ApplyOptions(limits=meta.limits, rebase=True))
    data = report.to_dict()
    [step] = data["steps"]
    assert (data["exit_code"], step["status"], data["conflicts"], data["rebased"]) == (
        4, "unknown", [], [])
    assert data["unknowns"] == [{"location": "East", "sku": "SKU-1", "quantity": "available",
                                 "planned_from": 10, "live_now": 13, "target": 15,
                                 "reason": MAY_HAVE_LANDED}]
    text = report.render_text()
    assert "Unknown: 1 change may or may not have landed" in text
    assert ("  ? East / SKU-1: available planned from 10, live now 13, target 15 (may have "
            "landed") in text
    assert _available(emu) == 13  # landed once (+5), sold 2: nothing added on top
    # A rerun (nothing passed to it: it reads the journal in the store), even with --rebase,
    # leaves it alone and says the same.
    rerun = engine.run_plan(plan, meta, store, ApplyOptions(limits=meta.limits, rebase=True))
    assert [s["status"] for s in rerun.to_dict()["steps"]] == ["unknown"]
    assert rerun.exit_code == 4 and rerun.unknowns[0].live == 13
    assert rerun.conflicts == [] and rerun.rebased == [] and _available(emu) == 13
    assert len([j for j in emu.store.journal if j["changes"]]) == 1


def test_a_cached_store_replays_the_landed_change_even_after_a_sale(tmp_path):
    store, plan, meta = _store(tmp_path, "cached")
    emu = _lose_first_mutation_answer(store, sale_units=2)
    report = engine.run_plan(plan, meta, store, ApplyOptions(limits=meta.limits, rebase=True))
    assert [s["status"] for s in report.to_dict()["steps"]] == ["applied"]
    assert report.conflicts == [] and _available(emu) == 13


def test_a_cli_rerun_with_rebase_leaves_a_landed_then_sold_step_alone(tmp_path):
    """``syncer apply PLAN`` killed after its adjust landed, a sale, then ``--rebase``: the
    rerun finds the request's record in the store's apply journal (no file beside the plan),
    so the step is unknown for good, not a conflict to rebase."""
    with HttpEmulator(Emulator.from_state(_state(), key_replay="reevaluate")) as http:
        emu = http.emulator
        manifests = write_manifest(tmp_path / "m", {
            "apiVersion": "syncer/v1", "kind": "InventoryLevels",
            "locations": {"East": {"SKU-1": {"active": True, "available": 15}}}})
        store = http_store(http.url)
        plan_path = tmp_path / "plan.json"
        write_plan(plan_path, make_plan_document(manifests, store))
        store.transport.close()
        report = tmp_path / "report.json"
        proc = start_apply(plan_path, http.url, report)

        def hook(_n, when):
            if when == "after" and any(j["changes"] for j in emu.store.journal):
                os.kill(proc.pid, signal.SIGKILL)

        http.switch.hook = hook
        proc.wait(timeout=60)
        http.switch.hook = None
        kill(proc)
        assert _available(emu) == 15 and not (tmp_path / "plan.json.sent").exists()
        emu.store.sell(emu.store.levels[(ITEM, LOC)], 2, emu.requests)
        code, out, err = finish(start_apply(plan_path, http.url, report, "--rebase"))
        data = read_report(report)
    assert code == 4, out + err
    assert [s["status"] for s in data["steps"]] == ["unknown"]
    assert data["conflicts"] == [] and data["rebased"] == []
    assert data["unknowns"][0]["live_now"] == 13
    assert _available(emu) == 13
    assert len([j for j in emu.store.journal if j["changes"]]) == 1


def _state() -> dict:
    return {"shop": "replay.myshopify.com",
            "throttle": {"maximumAvailable": 100000, "restoreRate": 100000},
            "locations": [{"id": LOC, "name": "East"}],
            "items": [{"id": ITEM, "sku": "SKU-1"}],
            "levels": [{"item": ITEM, "location": LOC, "quantities": {"available": 10}}]}


@pytest.mark.parametrize("live, status", [(10, "applied"), (8, "conflict")])
def test_a_key_whose_attempt_failed_is_classified_by_reading_not_failed(tmp_path, live, status):
    """IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED means nothing landed under the key: re-read, and
    resubmit under a new key (the level is where the plan saw it) or report the conflict."""
    store, plan, meta = _store(tmp_path, "cached")
    emu = store.emulator
    refused = []

    def handler(body, headers, path):
        answer = emu.respond(body, headers, path)
        if body["query"].lstrip().startswith("mutation") and not refused:
            refused.append(True)
            payload = {"data": {**answer[1]["data"], "s0": {
                "inventoryAdjustmentGroup": None, "userErrors": [
                {"field": None, "code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
                 "message": "A previous request with this idempotency key failed. Retry "
                            "with a new idempotency key."}]}},
                       "extensions": answer[1].get("extensions")}
            # The store ran it here; undo that: under this key nothing landed, and a sale may
            # have moved the level.
            emu.store.levels[(ITEM, LOC)].quantities["available"] = live
            return 200, payload, answer[2]
        return answer

    store.transport._handler = handler
    report = engine.run_plan(plan, meta, store, ApplyOptions(limits=meta.limits))
    assert [s["status"] for s in report.to_dict()["steps"]] == [status]
    assert _available(emu) == (15 if status == "applied" else 8)
