"""Reliability (issue 7): randomised plans applied over HTTP to the emulator with faults on.

Every plan is checked for: no change applied twice, no change lost without being reported, the
final store at the plan's targets wherever no conflict was reported, every conflict real
(``reliability_helpers.check_invariants``). CI runs the short form of ``benchmarks/soak_apply.py``;
``SYNCER_SOAK_PLANS=200`` raises the count. Run with ``-s`` to see the figures.
"""

import importlib.util
import json
import logging
import os
import random

import pytest
from reliability_helpers import ROOT, check_invariants, random_manifest, random_state

PLANS = int(os.environ.get("SYNCER_SOAK_PLANS", "10"))
#: Plans per key replay mode in CI: the full count where Shopify documents the behaviour, fewer
#: for the two behaviours reported (SYNCER_SOAK_PLANS raises them all).
MODE_PLANS = {"cached": PLANS, "reevaluate": max(8, PLANS * 5 // 8),
              "ignored": max(8, PLANS * 5 // 8)}
MAX_ITEMS = int(os.environ.get("SYNCER_SOAK_MAX_ITEMS", "30"))


def _soak_module():
    spec = importlib.util.spec_from_file_location("soak_apply",
                                                  ROOT / "benchmarks" / "soak_apply.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("key_replay", ["cached", "reevaluate", "ignored"])
@pytest.mark.slow(seconds=4)
def test_random_plans_under_faults_apply_exactly_once(tmp_path, key_replay, caplog):
    """Exactly once whether the store replays a repeated key (cached), runs it again so its
    CAS decides (reevaluate), or deduplicates nothing (ignored)."""
    # quiet, and put back after the test: a logger left at ERROR hid the throttle log record
    # test_transport.test_token_never_leaks looks for when both ran in one xdist worker
    caplog.set_level(logging.ERROR, logger="syncer")
    plans = MODE_PLANS[key_replay]
    figures = _soak_module().run(plans, max_items=MAX_ITEMS, workdir=tmp_path,
                                 key_replay=key_replay)
    out = tmp_path / "reliability-figures.json"
    out.write_text(json.dumps(figures.to_dict(), indent=2) + "\n")
    print(f"\nReliability figures ({out}):\n{figures.render()}")
    assert figures.plans == plans
    assert figures.double_applies == 0, figures.problems
    assert figures.lost == 0, figures.problems
    assert figures.unexpected == 0, figures.problems
    assert figures.false_conflicts == 0, figures.problems
    assert figures.not_converged == 0, figures.problems
    # The faults really happened and were recovered from: replayed keys where the store
    # caches them, landed changes recognised behind a stale retry where it does not.
    assert figures.retries > 0
    if key_replay == "cached":
        assert figures.replays_journal > 0 and figures.applied_after_stale == 0
    else:
        assert figures.replays_journal == 0 and figures.applied_after_stale > 0
    for kind in ("drop_after_commit", "close_mid_response", "throttled", "sale"):
        assert figures.faults[kind] > 0, kind
    assert figures.unresolved_partial == 0


def test_generator_covers_every_kind_of_change():
    rng = random.Random(3)
    state = random_state(rng, max_items=60)
    manifest = random_manifest(rng, state)
    entries = [e for levels in manifest["locations"].values() for e in levels.values()]
    names = {k for e in entries for k in e if k != "active"}
    assert {"available", "damaged", "safety_stock", "quality_control"} <= names
    assert any(e["active"] is False for e in entries)
    assert manifest["safety"] == {"max_changed_percent": 100, "allow_deactivate_with_stock": True}
    # Every item keeps an active level that the manifest does not deactivate.
    deactivated = {(loc, sku) for loc, levels in manifest["locations"].items()
                   for sku, e in levels.items() if e["active"] is False}
    names_of = {loc["id"]: loc["name"] for loc in state["locations"]}
    skus = {item["id"]: item["sku"] for item in state["items"]}
    for item, sku in skus.items():
        assert any(lv["active"] and (names_of[lv["location"]], sku) not in deactivated
                   for lv in state["levels"] if lv["item"] == item)


def test_checker_catches_a_double_apply_and_a_false_conflict():
    """The checker is not vacuous: a committed change twice, or a conflict with no sale, fail."""
    state = {"locations": [{"id": "L1", "name": "A"}], "items": [{"id": "I1", "sku": "S"}],
             "levels": [{"location": "L1", "item": "I1", "active": True,
                         "quantities": {"available": 5}}]}
    final = json.loads(json.dumps(state))
    final["levels"][0]["quantities"]["available"] = 9
    change = {"kind": "adjust", "location_id": "L1", "item_id": "I1", "quantity": "available",
              "before": 5, "after": 7, "delta": 2, "location": "A", "sku": "S"}
    plan = {"changes": [change], "steps": [{"step_key": "k", "changes": [0]}]}
    row = {"name": "available", "delta": 2, "item": "I1", "location": "L1",
           "quantityAfterChange": 7}
    journal = [{"request": 1, "key": "a", "replay": False, "changes": [row]},
               {"request": 2, "key": "b", "replay": False, "changes": [row]}]
    report = {"exit_code": 0, "steps": [{"step_key": "k", "status": "applied"}],
              "rebased": [], "conflicts": [], "summary": {"changes_already_applied": 0}}
    check = check_invariants(plan, state, final, {"journal": journal, "sales": []}, [report])
    assert check.double_applies == 1
    report["conflicts"] = [{"location": "A", "sku": "S", "quantity": "available",
                            "planned_from": 5, "live_now": 4, "reason": ""}]
    check = check_invariants(plan, state, state, {"journal": [], "sales": []},
                             [{**report, "exit_code": 4,
                               "steps": [{"step_key": "k", "status": "conflict"}]}])
    assert check.false_conflicts == 1 and check.lost == 0
