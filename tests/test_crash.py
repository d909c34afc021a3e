"""Crash safety (issue 7): ``syncer apply`` killed with SIGKILL at many points, then run again
with the same plan file until it completes; nothing is applied twice or lost, and a local state
file is never left half-written."""

import json
import os
import random
import signal
import threading
import time

import pytest
from reliability_helpers import (
    HttpEmulator,
    check_invariants,
    engine,
    finish,
    http_store,
    kill,
    make_plan_document,
    random_manifest,
    random_state,
    read_report,
    replan_changes,
    start_apply,
    write_manifest,
    write_plan,
)

from syncer.apply.applier import ApplyOptions
from syncer.emulator import Emulator
from syncer.plan.document import read_plan_file

SEED = 11
MUTATION = "mutation"


def _store(seed, items=20):
    rng = random.Random(seed)
    state = random_state(rng, items=items, locations=3)
    return state, random_manifest(rng, state)


def _plan_over_http(tmp_path, manifest, http):
    manifests = write_manifest(tmp_path / "manifests", manifest)
    store = http_store(http.url)
    document = make_plan_document(manifests, store)
    store.transport.close()
    plan_path = tmp_path / "plan.json"
    write_plan(plan_path, document)
    return manifests, document, plan_path


def _run_until_complete(plan_path, url, report, limit=4):
    for _ in range(limit):
        code, out, err = finish(start_apply(plan_path, url, report))
        if code == 0:
            return out
        assert code == 5, out + err
    raise AssertionError(f"still not complete after {limit} runs")


def _killed_at(tmp_path, state, http, document, plan_path, manifests, points,
               key_replay="cached"):
    """On a fresh emulator at ``http`` (same address, so the plan's store matches), apply,
    killing the CLI at each (n-th mutation request of its run, phase) in ``points`` in turn;
    then run it to completion and check the invariants. Returns how many kills landed."""
    emulator = http.switch.emulator = Emulator.from_state(state, key_replay=key_replay)
    kills = 0
    if True:
        initial = emulator.state()
        report = tmp_path / "report.json"
        for at, phase in points:
            base = http.switch.mutations
            proc = start_apply(plan_path, http.url, report)

            def hook(m, when, proc=proc, at=at, phase=phase, base=base):
                if m - base == at and when == phase and proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    return "skip" if when == "before" else None
                return None

            http.switch.write_hook = hook
            try:
                code = proc.wait(timeout=60)
            finally:
                http.switch.write_hook = None
            kill(proc)
            if code == -signal.SIGKILL:
                kills += 1
                assert read_report(report) is None  # killed before it could write one
            else:
                assert code == 0, (at, phase, code)
                break
        out = _run_until_complete(plan_path, http.url, report)
        final_report = read_report(report)
        store = http_store(http.url)
        replan = replan_changes(manifests, store)
        store.transport.close()
        check = check_invariants(document, initial, emulator.state(), emulator.fault_report(),
                                 [final_report], replan)
    assert check.ok, check.problems
    assert final_report["exit_code"] == 0, out
    return kills


KEY_REPLAY = pytest.mark.parametrize("key_replay", ["cached", "reevaluate", "ignored"])


@KEY_REPLAY
@pytest.mark.slow(seconds=7)
def test_sigkill_before_and_after_every_mutation_request_then_rerun(tmp_path, key_replay):
    state, manifest = _store(SEED)
    with HttpEmulator(Emulator.from_state(state)) as http:
        manifests, document, plan_path = _plan_over_http(tmp_path, manifest, http)
        assert {s["kind"] for s in document["steps"]} == {"activate", "adjust", "deactivate"}
        # How many mutation requests a clean run sends (the applier packs steps into few; its
        # reads, the journal's included, change nothing, so a kill there is a kill before the
        # next write).
        http.switch.emulator = Emulator.from_state(state)
        base = http.switch.mutations
        http.switch.write_hook = lambda m, when: None
        code, out, err = finish(start_apply(plan_path, http.url, tmp_path / "clean.json"))
        http.switch.write_hook = None
        assert code == 0, out + err
        posts = http.switch.mutations - base
        assert posts >= 2
        # A kill before a request is sent is the same in every mode; the modes differ in how
        # the retry of a request that ran is answered, so the other two kill after each one.
        phases = ("before", "after") if key_replay == "cached" else ("after",)
        kills = 0
        for at in range(1, posts + 1):
            for phase in phases:
                kills += _killed_at(tmp_path, state, http, document, plan_path, manifests,
                                    [(at, phase)], key_replay)
    assert kills == len(phases) * posts


@KEY_REPLAY
@pytest.mark.slow(seconds=5)
def test_sigkill_repeatedly_at_random_points(tmp_path, key_replay):
    """Several kills in a row on the same plan (seeded), then a clean run."""
    rng = random.Random(5)
    state, manifest = _store(SEED + 1)
    with HttpEmulator(Emulator.from_state(state)) as http:
        manifests, document, plan_path = _plan_over_http(tmp_path, manifest, http)
        for _ in range(2):
            points = [(rng.randint(1, 2), rng.choice(["before", "after"])) for _ in range(3)]
            _killed_at(tmp_path, state, http, document, plan_path, manifests, points,
                       key_replay)


# --- the local state file --------------------------------------------------------------------

def _levels(data):
    return {(lv["location"], lv["item"]): (lv["active"], lv["quantities"])
            for lv in data["levels"]}


def _after_saves(path, proc, saves, timeout=30.0):
    """Return once ``path`` has been replaced ``saves`` times (or ``proc`` ended)."""
    seen, inode = 0, os.stat(path).st_ino
    deadline = time.monotonic() + timeout
    while seen < saves and proc.poll() is None and time.monotonic() < deadline:
        now = os.stat(path).st_ino
        if now != inode:
            seen, inode = seen + 1, now
        time.sleep(0.002)


@pytest.mark.slow(seconds=10)
def test_sigkill_with_a_local_state_file_never_leaves_it_half_written(tmp_path):
    state, manifest = _store(SEED + 2)
    # Real latency on every request, so random kill times land inside the apply.
    state["faults"] = {"seed": 1, "latency_ms": [60, 140]}
    store_file = tmp_path / "store.json"
    store_file.write_text(json.dumps(state))
    manifests = write_manifest(tmp_path / "manifests", manifest)
    connection = engine.connect(str(store_file))
    engine.save_plan(engine.make_plan([str(manifests)], connection), connection,
                     tmp_path / "plan.json")
    connection.close()
    pristine = store_file.read_bytes()
    # What a clean apply gives, on a copy.
    copy = tmp_path / "copy" / "store.json"
    copy.parent.mkdir()
    copy.write_bytes(pristine)
    plan, meta = read_plan_file(tmp_path / "plan.json")
    clean = engine.connect(str(copy))
    assert engine.run_plan(plan, meta, clean, ApplyOptions(limits=meta.limits)).exit_code == 0
    expected = _levels(json.loads(copy.read_text()))
    adjust_steps = sum(1 for s in meta.steps if s.kind.value == "adjust")

    # A reader that parses the file all the time: it must never see it half-written.
    bad, reads, stop = [], [0], threading.Event()

    def watch():
        # A read every few milliseconds: hundreds during each apply, often enough to land
        # inside a save, without spinning a core that the apply processes (and parallel
        # tests) need.
        while not stop.wait(0.003):
            try:
                json.loads(store_file.read_bytes())
                reads[0] += 1
            except ValueError as exc:
                bad.append(str(exc))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(7)
    report = tmp_path / "report.json"
    interrupted = 0
    try:
        for _trial in range(3):
            reset = tmp_path / "reset.json"
            reset.write_bytes(pristine)
            os.replace(reset, store_file)  # atomically, like the emulator: the watcher reads on
            for _kill in range(2):
                proc = start_apply(tmp_path / "plan.json", str(store_file), report)
                # Kill a random moment after the first save of the file (each mutation request
                # saves it once): inside the next request's latency, or in its save.
                _after_saves(store_file, proc, 1)
                time.sleep(rng.uniform(0.0, 0.1))
                kill(proc)
                Emulator.load(store_file)  # valid, or StateError: fails the test
                now = store_file.read_bytes()
                if now not in (pristine,) and _levels(json.loads(now)) != expected:
                    interrupted += 1
            out = _run_until_complete(tmp_path / "plan.json", str(store_file), report)
            data = json.loads(store_file.read_text())
            assert _levels(data) == expected, out
            groups = [e for e in data["idempotency"] if e["field"] == "inventoryAdjustQuantities"]
            # Each adjust step made exactly one adjustment group: none was applied twice.
            assert data["adjustment_group_seq"] == len(groups) == adjust_steps
    finally:
        stop.set()
        watcher.join()
    assert not bad, bad[:3]
    assert reads[0] > 10
    assert interrupted >= 1  # some kills really landed part way through an apply
