"""Concurrency (issue 7): two ``syncer apply`` processes on the same plan at once (CI jobs that
overlap). Idempotency keys and CAS keep the result correct, and the later one reports what it
found already done."""

import json
import random
import threading
import time

import pytest
from reliability_helpers import (
    HttpEmulator,
    check_invariants,
    engine,
    finish,
    http_store,
    make_plan_document,
    random_manifest,
    random_state,
    read_report,
    replan_changes,
    start_apply,
    write_manifest,
    write_plan,
)

from syncer.emulator import Emulator
from syncer.plan.document import read_plan_file

ALREADY = "already applied by an earlier run of this plan"


def _store(seed):
    rng = random.Random(seed)
    state = random_state(rng, items=16, locations=3)
    return state, random_manifest(rng, state)


def _slow(seconds, first):
    """A hook that delays every POST (outside the emulator's lock) and notes the first one."""
    def hook(_n, phase):
        if phase == "before":
            first.set()
            time.sleep(seconds)
    return hook


def _http_plan(tmp_path, seed):
    state, manifest = _store(seed)
    emulator = Emulator.from_state(state)
    http = HttpEmulator(emulator)
    manifests = write_manifest(tmp_path / "manifests", manifest)
    store = http_store(http.url)
    document = make_plan_document(manifests, store)
    store.transport.close()
    plan_path = tmp_path / "plan.json"
    write_plan(plan_path, document)
    assert {s["kind"] for s in document["steps"]} == {"activate", "adjust", "deactivate"}
    return http, emulator, manifests, document, plan_path


def _check(http, emulator, manifests, document, initial, reports):
    store = http_store(http.url)
    replan = replan_changes(manifests, store)
    store.transport.close()
    check = check_invariants(document, initial, emulator.state(), emulator.fault_report(),
                             reports, replan)
    assert check.ok, check.problems
    assert not replan
    return check


@pytest.mark.slow(seconds=5)
def test_second_apply_starts_while_the_first_is_applying(tmp_path):
    """The second starts >1 s after the first began applying, while it is still at it: both
    exit 0, nothing applied twice, and the second says what it found already done."""
    http, emulator, manifests, document, plan_path = _http_plan(tmp_path, 21)
    try:
        initial = emulator.state()
        first_post = threading.Event()
        http.switch.hook = _slow(0.9, first_post)
        one = start_apply(plan_path, http.url, tmp_path / "r1.json")
        assert first_post.wait(60)
        time.sleep(1.2)
        two = start_apply(plan_path, http.url, tmp_path / "r2.json")
        assert one.poll() is None  # still applying: the runs overlap
        code1, out1, err1 = finish(one)
        code2, out2, err2 = finish(two)
        assert (code1, code2) == (0, 0), out1 + err1 + out2 + err2
        http.switch.hook = None
        reports = [read_report(tmp_path / "r1.json"), read_report(tmp_path / "r2.json")]
        check = _check(http, emulator, manifests, document, initial, reports)
        assert ALREADY in out2, out2
        # The second run knows what the first did from the apply journal in the store (or, if
        # it read the journal before the first's request ran, from the replayed keys).
        assert check.double_applies == 0 and reports[1]["summary"]["changes_already_applied"]
        assert reports[1]["summary"]["units_added"] + reports[1]["summary"]["units_removed"] == 0
    finally:
        http.close()


@pytest.mark.slow(seconds=1.5)
def test_two_applies_started_together(tmp_path):
    http, emulator, manifests, document, plan_path = _http_plan(tmp_path, 22)
    try:
        initial = emulator.state()
        http.switch.hook = _slow(0.05, threading.Event())
        procs = [start_apply(plan_path, http.url, tmp_path / f"r{i}.json") for i in (1, 2)]
        results = [finish(p) for p in procs]
        assert [r[0] for r in results] == [0, 0], results
        http.switch.hook = None
        reports = [read_report(tmp_path / f"r{i}.json") for i in (1, 2)]
        _check(http, emulator, manifests, document, initial, reports)
        # Each adjust step's key was committed once; the other process got the replay.
        adjusts = [j for j in emulator.fault_report()["journal"]
                   if j["mutation"] == "inventoryAdjustQuantities"]
        steps = sum(1 for s in document["steps"] if s["kind"] == "adjust")
        assert sum(1 for j in adjusts if not j["replay"]) == steps
    finally:
        http.close()


def _levels(data):
    return {(lv["location"], lv["item"]): (lv["active"], lv["quantities"])
            for lv in data["levels"]}


@pytest.mark.slow(seconds=6)
def test_two_applies_on_one_state_file_take_turns(tmp_path):
    """The engine locks the state file: the second waits, then finds every step done."""
    state, manifest = _store(24)
    # Each request takes 0.3 s (real time: two processes race), so the first run holds the
    # lock well over a second (its whole-second start, then several requests) and the second,
    # started with it, waits; it then starts on a whole second after the first one's groups
    # were created (how a replay is recognised).
    state["faults"] = {"seed": 1, "latency_ms": 300}
    store_file = tmp_path / "store.json"
    store_file.write_text(json.dumps(state))
    manifests = write_manifest(tmp_path / "manifests", manifest)
    connection = engine.connect(str(store_file))
    engine.save_plan(engine.make_plan([str(manifests)], connection), connection,
                     tmp_path / "plan.json")
    connection.close()
    copy = tmp_path / "copy" / "store.json"
    copy.parent.mkdir()
    copy.write_bytes(store_file.read_bytes())
    plan, meta = read_plan_file(tmp_path / "plan.json")
    assert {s.kind.value for s in meta.steps} == {"activate", "adjust", "deactivate"}
    clean = engine.connect(str(copy))
    from syncer.apply.applier import ApplyOptions

    assert engine.run_plan(plan, meta, clean, ApplyOptions(limits=meta.limits)).exit_code == 0
    procs = [start_apply(tmp_path / "plan.json", str(store_file), tmp_path / f"r{i}.json")
             for i in (1, 2)]
    results = [finish(p) for p in procs]
    assert [r[0] for r in results] == [0, 0], results
    waited = [i for i, r in enumerate(results) if "Waiting for syncer apply (pid " in r[2]]
    assert len(waited) == 1, results
    second = results[waited[0]]
    assert ALREADY in second[1], second
    data = json.loads(store_file.read_text())
    assert _levels(data) == _levels(json.loads(copy.read_text()))
    adjust_steps = sum(1 for s in meta.steps if s.kind.value == "adjust")
    assert data["adjustment_group_seq"] == adjust_steps
