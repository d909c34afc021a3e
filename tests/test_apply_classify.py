"""The applier's pure parts, branch by branch: what a stale compare-and-set, a request that may
have run, an earlier run's execution without an answer, and each answer of the store come to
(``syncer.apply.classify``, ``resume`` and ``sending``), from values alone, without a store."""

from __future__ import annotations

import pytest

from syncer.apply.attempts import MAX_CONCURRENT_WAITS, MAX_RESUBMITS, Attempt
from syncer.apply.classify import (
    MAY_HAVE_LANDED,
    Rules,
    change_id,
    classify_maybe_landed,
    classify_stale,
    derived_key,
    was_replayed,
)
from syncer.apply.journal import LANDED, NOT_APPLIED, Journal, Sent
from syncer.apply.results import Rebase, StepResult
from syncer.apply.resume import earlier_executions, fresh_attempt, resume_step, settle
from syncer.apply.sending import (
    Concurrent,
    FieldError,
    Landed,
    Malformed,
    Mismatch,
    PreviousFailed,
    Refused,
    Stale,
    journal_answer,
    read_answer,
    read_response,
)
from syncer.model import LiveLevel, SafetyLimits
from syncer.plan.changes import Activate, Adjust, ChangeKind, Deactivate, LevelRef, Plan
from syncer.plan.steps import Step

PLAN_ID = "6f1c2a52-8d3e-4e7b-9a0f-5b1d2c3e4f60"
LOC = "gid://shopify/Location/1"
ITEM = "gid://shopify/InventoryItem/"


def ref(n: int) -> LevelRef:
    return LevelRef("East", f"SKU-{n}", LOC, f"{ITEM}{n}", f"gid://shopify/InventoryLevel/{n}")


# One adjust step of three changes: SKU-1 10 -> 15, SKU-2 20 -> 25, SKU-3 30 -> 20.
CHANGES = (Adjust(ref(1), "available", 10, 15), Adjust(ref(2), "available", 20, 25),
           Adjust(ref(3), "available", 30, 20))


def step_result(changes=CHANGES, kind=ChangeKind.ADJUST) -> StepResult:
    quantity = "available" if kind is ChangeKind.ADJUST else None
    return StepResult(Step(kind, quantity, tuple(changes), f"{kind.value}/x"), "step-key", 0)


def attempt(result: StepResult, indexes=None, **kwargs) -> Attempt:
    indexes = tuple(range(len(result.step.changes))) if indexes is None else indexes
    return Attempt(result, tuple(result.step.changes[i] for i in indexes), "key-1", indexes,
                   **kwargs)


def live(*levels: tuple[int, int | None], active: bool = True) -> dict:
    """Live levels ``(n, available)``; ``available`` None: the level has no such quantity."""
    return {(LOC, f"{ITEM}{n}"): LiveLevel(
        f"gid://shopify/InventoryLevel/{n}", LOC, f"{ITEM}{n}", active,
        {} if q is None else {"available": q}) for n, q in levels}


def rules(rebase=False, limits=None, force=False) -> Rules:
    limits = limits or SafetyLimits()
    return Rules(PLAN_ID, Plan(changes=CHANGES, managed_levels=3), rebase, force, limits)


def shown(outcome) -> dict:
    """A stale outcome as plain values."""
    again = outcome.again
    return {
        "already": [c.level.sku for c in outcome.already],
        "conflicts": [(k.change.level.sku, k.live, k.reason) for k in outcome.conflicts],
        "again": None if again is None else (
            [(c.level.sku, c.before, c.after) for c in again.changes], again.indexes,
            again.resubmits, [(r.original.before, r.change.before) for r in again.rebases]),
    }


NO_ROOM = SafetyLimits(max_units_removed=10)  # SKU-3 30 -> 20 removes 10: at the limit
UNSAFE = ("rebasing would make the plan unsafe: removes 15 units, over the limit of 10")


@pytest.mark.parametrize("levels, options, resubmits, expected", [
    pytest.param([(1, 15), (2, 25), (3, 20)], {}, 0,
                 {"already": ["SKU-1", "SKU-2", "SKU-3"], "conflicts": [], "again": None},
                 id="at target: already applied"),
    pytest.param([(1, 10), (2, 25), (3, 20)], {}, 0,
                 {"already": ["SKU-2", "SKU-3"], "conflicts": [],
                  "again": ([("SKU-1", 10, 15)], (0,), 1, [])},
                 id="at start: resubmitted"),
    pytest.param([(1, 12), (2, 25), (3, 20)], {}, 0,
                 {"already": ["SKU-2", "SKU-3"], "conflicts": [("SKU-1", 12, "")],
                  "again": None},
                 id="moved: conflict"),
    pytest.param([(1, 15), (2, 20), (3, 31)], {}, 0,
                 {"already": ["SKU-1"], "conflicts": [("SKU-3", 31, "")],
                  "again": ([("SKU-2", 20, 25)], (1,), 1, [])},
                 id="one of each"),
    pytest.param([(1, 12), (2, 25), (3, 20)], {"rebase": True}, 0,
                 {"already": ["SKU-2", "SKU-3"], "conflicts": [],
                  "again": ([("SKU-1", 12, 15)], (0,), 1, [(10, 12)])},
                 id="moved, rebase allowed"),
    pytest.param([(1, 15), (2, 20), (3, 35)], {"rebase": True, "limits": NO_ROOM}, 0,
                 {"already": ["SKU-1"], "conflicts": [("SKU-3", 35, UNSAFE)],
                  "again": ([("SKU-2", 20, 25)], (1,), 1, [])},
                 id="moved, rebase unsafe"),
    pytest.param([(1, 15), (2, 20), (3, 35)],
                 {"rebase": True, "limits": NO_ROOM, "force": True}, 0,
                 {"already": ["SKU-1"], "conflicts": [],
                  "again": ([("SKU-2", 20, 25), ("SKU-3", 35, 20)], (1, 2), 1, [(30, 35)])},
                 id="moved, rebase unsafe but forced"),
    pytest.param([(2, 25), (3, 20)], {"rebase": True}, 0,
                 {"already": ["SKU-2", "SKU-3"],
                  "conflicts": [("SKU-1", None, "the level no longer exists")], "again": None},
                 id="moved, rebase: the level is gone"),
    pytest.param([(1, None), (2, 22), (3, 20)], {"rebase": True}, 0,
                 {"already": ["SKU-3"],
                  "conflicts": [("SKU-1", None, "the level no longer exists"),
                                ("SKU-2", 22, "")], "again": None},
                 id="moved, rebase: one quantity missing, so none is rebased"),
    pytest.param([(1, 10), (2, 25), (3, 20)], {}, MAX_RESUBMITS,
                 {"already": ["SKU-2", "SKU-3"], "conflicts": [("SKU-1", 10, "kept moving")],
                  "again": None},
                 id="at start after MAX_RESUBMITS: kept moving"),
])
def test_a_stale_attempt_level_by_level(levels, options, resubmits, expected):
    result = step_result()
    outcome = classify_stale(attempt(result, resubmits=resubmits), live(*levels),
                             rules(**options), {})
    assert shown(outcome) == expected
    assert outcome.at_planned_values == (expected["again"] is None and not expected["conflicts"])
    if outcome.again is not None:
        tag = "rebase" if outcome.again.rebases else "resubmit"
        assert outcome.again.key == derived_key(PLAN_ID, result.step, outcome.again.changes, tag)
        assert outcome.again.result is result
    accepted = {change_id(r.original): r.change for r in
                (outcome.again.rebases if outcome.again is not None else ())}
    assert dict(outcome.rebased) == accepted


def test_a_rebased_attempt_still_at_its_live_value_is_resubmitted_as_a_rebase():
    result = step_result()
    rebase = Rebase(CHANGES[0], Adjust(ref(1), "available", 12, 15))
    stale = Attempt(result, (rebase.change,), "rebase-key", (0,), 1, rebases=(rebase,))
    outcome = classify_stale(stale, live((1, 12)), rules(rebase=True),
                             {change_id(CHANGES[0]): rebase.change})
    assert shown(outcome)["again"] == ([("SKU-1", 12, 15)], (0,), 2, [(10, 12)])
    assert outcome.again.key == derived_key(PLAN_ID, result.step, [rebase.change], "rebase")


def test_a_rebased_attempt_that_moved_again_is_rebased_from_the_plans_change():
    result = step_result()
    rebase = Rebase(CHANGES[2], Adjust(ref(3), "available", 28, 20))
    stale = Attempt(result, (rebase.change,), "rebase-key", (2,), 1, rebases=(rebase,))
    earlier = {change_id(CHANGES[2]): rebase.change}
    outcome = classify_stale(stale, live((3, 26)), rules(rebase=True), earlier)
    assert shown(outcome)["again"] == ([("SKU-3", 26, 20)], (2,), 2, [(30, 26)])
    assert outcome.rebased == {change_id(CHANGES[2]): Adjust(ref(3), "available", 26, 20)}
    # without --rebase it is a conflict of the change that was sent, at the value seen
    assert shown(classify_stale(stale, live((3, 26)), rules(), earlier))["conflicts"] == [
        ("SKU-3", 26, "")]


def test_an_unsafe_rebase_leaves_the_runs_other_rebases_and_drops_its_own():
    other = (LOC, f"{ITEM}9", "available")
    earlier = {other: Adjust(ref(9), "available", 1, 2),
               change_id(CHANGES[2]): Adjust(ref(3), "available", 31, 20)}
    outcome = classify_stale(attempt(step_result(), (2,)), live((3, 35)),
                             rules(rebase=True, limits=NO_ROOM), earlier)
    assert shown(outcome)["conflicts"] == [("SKU-3", 35, UNSAFE)]
    assert dict(outcome.rebased) == {other: earlier[other]}
    assert len(earlier) == 2  # the caller's mapping is not changed


def test_only_quantity_changes_can_be_stale():
    result = step_result((Activate(ref(1)),), ChangeKind.ACTIVATE)
    with pytest.raises(TypeError):
        classify_stale(attempt(result), live(), rules(), {})


@pytest.mark.parametrize("change, levels, active, landed, unknown", [
    pytest.param(CHANGES[0], [(1, 15)], True, True, None, id="adjust at target: landed"),
    pytest.param(CHANGES[0], [(1, 10)], True, False, 10, id="adjust at start: unknown"),
    pytest.param(CHANGES[0], [(1, 14)], True, False, 14, id="adjust moved: unknown"),
    pytest.param(CHANGES[0], [], True, False, None, id="adjust, level gone: unknown"),
    pytest.param(Activate(ref(1)), [(1, 0)], True, True, None, id="activation active: landed"),
    pytest.param(Activate(ref(1)), [(1, 0)], False, False, None,
                 id="activation inactive: unknown"),
    pytest.param(Deactivate(ref(1)), [], True, True, None, id="deactivation, level gone: landed"),
    pytest.param(Deactivate(ref(1)), [(1, 0)], True, False, None,
                 id="deactivation still active: unknown"),
])
def test_a_change_that_may_have_landed_level_by_level(change, levels, active, landed, unknown):
    result = step_result((change,), change.kind)
    outcome = classify_maybe_landed(attempt(result), live(*levels, active=active))
    assert outcome.landed == ((change,) if landed else ())
    assert [(k.change, k.live, k.reason) for k in outcome.unknown] == (
        [] if landed else [(change, unknown, MAY_HAVE_LANDED)])
    assert outcome.journal_answer == (LANDED if landed else None)


def test_a_maybe_landed_attempt_names_the_rebases_that_landed_only():
    result = step_result()
    rebases = (Rebase(CHANGES[0], Adjust(ref(1), "available", 12, 15)),
               Rebase(CHANGES[1], Adjust(ref(2), "available", 21, 25)))
    sent = Attempt(result, tuple(r.change for r in rebases), "k", (0, 1), rebases=rebases)
    outcome = classify_maybe_landed(sent, live((1, 15), (2, 23)))
    assert outcome.rebases == rebases[:1]
    assert [k.live for k in outcome.unknown] == [23]
    assert outcome.journal_answer is None


# --- an earlier run's execution whose answer never came back (resume.py) ---------------------

@pytest.mark.parametrize("levels, landed_before, expected", [
    pytest.param([(1, 15), (2, 25), (3, 20)], set(),
                 ("done", (0, 1, 2), []),
                 id="every change at its target: landed"),
    pytest.param([(1, 15), (2, 21), (3, 20)], {1}, ("done", (0, 1, 2), []),
                 id="the rest at target (one landed before)"),
    pytest.param([(1, 10), (2, 20), (3, 30)], set(), ("unknown", [10, 20, 30]),
                 id="every level back at its start: unknown for good, never resent"),
    pytest.param([(1, 15), (2, 21), (3, 30)], set(), ("again",),
                 id="some moved elsewhere: the same attempt again"),
    pytest.param([(1, 10), (2, 25), (3, 30)], {1}, ("again",),
                 id="the rest back at start, one landed before: the same attempt again"),
])
def test_an_uncertain_execution_is_settled(levels, landed_before, expected):
    result = step_result()
    sent = Sent("earlier-key", 0, (0, 1, 2))
    settled = settle(result, sent, landed_before, live(*levels))
    if expected[0] == "done":  # reported once, with the step's landed changes (not twice)
        assert (settled.landed, [c.level.sku for c in settled.already]) == expected[1:]
        assert settled.again is None and not settled.unknown
    elif expected[0] == "unknown":
        assert [k.live for k in settled.unknown] == expected[1]
        assert settled.again is None and not settled.landed
    else:
        again = settled.again
        assert (again.key, again.changes, again.indexes, again.uncertain) == (
            "earlier-key", CHANGES, (0, 1, 2), True)
        assert not settled.landed and not settled.already and not settled.unknown


def test_an_uncertain_rebase_is_sent_again_from_the_values_it_was_sent_from():
    result = step_result()
    sent = Sent("rebase-key", 0, (0, 2), befores=(12, 30))
    settled = settle(result, sent, set(), live((1, 13), (3, 30)))
    assert [(c.before, c.after) for c in settled.again.changes] == [(12, 15), (30, 20)]
    assert settled.again.rebases == (Rebase(CHANGES[0], settled.again.changes[0]),)
    # back at the values it was sent from: unknown, at those values
    back = settle(result, sent, set(), live((1, 12), (3, 30)))
    assert [(k.change.before, k.live) for k in back.unknown] == [(12, 12), (30, 30)]


def test_the_journal_of_a_step_and_what_is_left_to_send():
    a, b = Sent("k1", 0, (0, 1)), Sent("k2", 0, (2,))
    journal = Journal(sent={("r1", 0, 0): a, ("r1", 1, 0): a, ("r2", 0, 0): b},
                      answers={("r1", 1, 0): LANDED})
    landed, maybe = earlier_executions(journal, 0)
    assert (landed, maybe) == ({0, 1}, [b])
    result = step_result()
    resumed = resume_step(result, journal, live((3, 25)), PLAN_ID)
    assert [c.level.sku for c in resumed.landed] == ["SKU-1", "SKU-2"]
    assert [s.again.key for s in resumed.settled] == ["k2"]
    assert [x.key for x in resumed.attempts] == ["k2"]
    unreadable = resume_step(result, journal, None, PLAN_ID)
    assert unreadable.unreadable and unreadable.attempts == () and not unreadable.settled


@pytest.mark.parametrize("held, key", [
    pytest.param(set(), "step-key", id="the whole step: its own key"),
    pytest.param({1}, "derived", id="part of it: a key derived from its changes"),
    pytest.param({0, 1, 2}, None, id="every change held: nothing"),
])
def test_the_fresh_attempt_of_a_step(held, key):
    result = step_result()
    fresh = fresh_attempt(result, held, PLAN_ID)
    if key is None:
        assert fresh is None
        return
    rest = tuple(c for i, c in enumerate(CHANGES) if i not in held)
    assert fresh.changes == rest
    assert fresh.key == (result.key if key == "step-key"
                         else derived_key(PLAN_ID, result.step, rest))


# --- the store's answers (sending.py) ---------------------------------------------------------

def _error(code):
    return {"code": code, "field": ["input"], "message": code.lower()}


CONCURRENT_ERROR = {"message": "busy", "extensions": {"code": "IDEMPOTENCY_CONCURRENT_REQUEST"}}


@pytest.mark.parametrize("kind, payload, errors, waits, expected", [
    pytest.param("adjust", {"inventoryAdjustmentGroup": {}, "userErrors": []}, [], 0,
                 Landed({"inventoryAdjustmentGroup": {}, "userErrors": []}), id="landed"),
    pytest.param("adjust", {"userErrors": [_error("CHANGE_FROM_QUANTITY_STALE")]}, [], 0,
                 Stale(), id="stale"),
    pytest.param("adjust", {"userErrors": [_error("IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]}, [], 0,
                 Mismatch(), id="MISMATCH"),
    pytest.param("adjust", {"userErrors": [_error("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]}, [],
                 0, PreviousFailed(), id="PREVIOUS_FAILED on an adjust"),
    pytest.param("activate", {"userErrors": [_error("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]},
                 [], 0, Refused((_error("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"),)),
                 id="PREVIOUS_FAILED on an activation: refused"),
    pytest.param("adjust", {"userErrors": [_error("INVALID")]}, [], 0,
                 Refused((_error("INVALID"),)), id="refused"),
    pytest.param("adjust", None, [CONCURRENT_ERROR], 0, Concurrent(), id="another run: wait"),
    pytest.param("adjust", None, [CONCURRENT_ERROR], MAX_CONCURRENT_WAITS,
                 FieldError("IDEMPOTENCY_CONCURRENT_REQUEST: busy"),
                 id="another run, waited enough: failed"),
    pytest.param("adjust", None, [], 0,
                 FieldError("the store answered without a result for this mutation"),
                 id="no result"),
])
def test_each_answer_of_the_store(kind, payload, errors, waits, expected):
    changes = CHANGES if kind == "adjust" else (Activate(ref(1)),)
    result = step_result(changes, ChangeKind(kind))
    assert read_answer(attempt(result, waits=waits), payload, errors) == expected


def test_an_answer_syncer_cannot_read_stops_the_run_when_it_comes_to_it():
    answer = read_answer(attempt(step_result()), "not an object", [])
    assert isinstance(answer, Malformed) and "a mutation payload is" in str(answer.error)


@pytest.mark.parametrize("answer, resent, recorded", [
    (Landed({}), False, LANDED), (Landed({}), True, LANDED),
    (Stale(), False, NOT_APPLIED), (Stale(), True, None),
    (Refused(()), False, NOT_APPLIED), (Refused(()), True, None),
    (FieldError("x"), False, NOT_APPLIED), (FieldError("x"), True, None),
    (PreviousFailed(), False, NOT_APPLIED), (PreviousFailed(), True, NOT_APPLIED),
    (Mismatch(), False, None), (Concurrent(), False, None),
])
def test_what_the_journal_records_of_each_answer(answer, resent, recorded):
    assert journal_answer(answer, resent) == recorded


def test_a_response_is_read_field_by_field_with_the_journal_record():
    result = step_result()
    batch = [attempt(result, (0,)), attempt(result, (1,))]
    response = {"data": {"s0": {"userErrors": []}, "s1": None, "journal": None},
                "errors": [{"message": "boom", "path": ["s1"]},
                           {"message": "no room", "path": ["journal"]}]}
    delivered = read_response(batch, response, resent=True)
    assert delivered.answers == (Landed({"userErrors": []}), FieldError("boom"))
    assert (delivered.resent, delivered.journal_problem) == (True, "no room")
    kept = {"data": {"s0": {"userErrors": []}, "s1": {"userErrors": []},
                     "journal": {"userErrors": []}}}
    assert read_response(batch, kept, resent=False).journal_problem is None


@pytest.mark.parametrize("payload, uncertain, replayed", [
    pytest.param({"inventoryAdjustmentGroup": {"createdAt": "2026-01-01T11:59:59Z"}}, False, True,
                 id="created before the run"),
    pytest.param({"inventoryAdjustmentGroup": {"createdAt": "2026-01-01T12:00:00Z"}}, False,
                 False, id="created on the run's first second"),
    pytest.param({"inventoryAdjustmentGroup": {"createdAt": "yesterday"}}, True, False,
                 id="unreadable time"),
    pytest.param({"inventoryAdjustmentGroup": {}}, True, False, id="no time"),
    pytest.param({"userErrors": []}, True, True, id="no group, sent by an earlier run"),
    pytest.param({"userErrors": []}, False, False, id="no group, sent by this run"),
])
def test_a_result_is_a_replay_when_its_group_predates_the_run(payload, uncertain, replayed):
    started = 1767268800  # 2026-01-01T12:00:00Z
    assert was_replayed(payload, started, uncertain) is replayed
