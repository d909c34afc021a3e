"""Classifying a stale compare-and-set, or a request that may have run, from the re-read levels:
values in, an outcome out, no I/O and no shared state.

* ``classify_stale``: level by level, a change already at its target landed before (a replay);
  one still at the value it was planned from is resubmitted under a key derived from the plan
  (``derived_key``); anything else moved since the plan: a conflict, or with ``--rebase`` a
  change recomputed from the live value under a new key, if the plan stays safe. After
  ``MAX_RESUBMITS`` resubmissions the changes that keep moving are conflicts.
* ``classify_maybe_landed``: a stale answer to a request that may have run before (sent again
  after a lost answer, or an earlier run's attempt sent again, or a reused key): a change at its
  target landed; the others are unknown for good (a sale may have moved them after it landed, or
  before it could).
* ``was_replayed``: whether a landed mutation's adjustment group predates this run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid5

from syncer.apply.attempts import MAX_RESUBMITS, Attempt
from syncer.apply.journal import LANDED
from syncer.apply.results import Conflict, Rebase
from syncer.model import LiveLevel, SafetyLimits
from syncer.plan.changes import Adjust, Change, ChangeKind, Plan
from syncer.plan.encoding import canonical_json
from syncer.plan.safety import check_safety
from syncer.plan.steps import Step

#: Why a change is unknown for good: its request ran and the answer never came back.
MAY_HAVE_LANDED = ("may have landed: a request carrying it ran and its answer was lost, and "
                   "the level is not at the target")

#: Live levels by ``(location_id, item_id)`` (``reader.read_levels``); a missing level is absent.
Levels = Mapping[tuple[str, str], LiveLevel]
#: One quantity of one level: ``(location_id, item_id, quantity)``.
ChangeId = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Rules:
    """What classifying needs of the plan and the options."""

    plan_id: str
    plan: Plan
    rebase: bool = False
    force: bool = False
    limits: SafetyLimits = field(default_factory=SafetyLimits)


@dataclass(frozen=True, slots=True)
class StaleOutcome:
    """What a stale attempt comes to: changes already at their targets, conflicts (moved since the
    plan, unsafe to rebase, or kept moving), and the attempt to send ``again`` (a resubmission or
    a rebase, under its own key; None when nothing is left to send). ``rebased``: every rebase of
    the run so far that the safety check accepted (the next classification starts from it)."""

    already: tuple[Adjust, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    again: Attempt | None = None
    rebased: Mapping[ChangeId, Adjust] = field(default_factory=dict)

    @property
    def at_planned_values(self) -> bool:
        """Nothing to send again and nothing in conflict: every change was at its target."""
        return self.again is None and not self.conflicts


@dataclass(frozen=True, slots=True)
class MaybeLanded:
    """What an attempt that may have run comes to: ``landed`` (at their targets), ``unknown``
    (for good, with the values seen) and the rebases among the changes that landed."""

    landed: tuple[Change, ...] = ()
    unknown: tuple[Conflict, ...] = ()
    rebases: tuple[Rebase, ...] = ()

    @property
    def journal_answer(self) -> str | None:
        """The answer the journal records for the execution: ``landed`` when nothing is left
        unknown, else none (a rerun re-reads those levels)."""
        return None if self.unknown else LANDED


def classify_stale(attempt: Attempt, live: Levels, rules: Rules,
                   rebased: Mapping[ChangeId, Adjust]) -> StaleOutcome:
    """Classify an attempt answered ``CHANGE_FROM_QUANTITY_STALE`` (nothing in it applied), or
    answered that its key's earlier attempt failed, from the live levels of its changes.

    ``rebased``: the rebases the run made so far (the safety check of another one runs on the
    plan with all of them).
    """
    already: list[Adjust] = []
    pending: list[tuple[int, Adjust]] = []
    moved: list[tuple[Adjust, int | None]] = []
    earlier = {change_id(r.change): r for r in attempt.rebases}
    for i, c in zip(attempt.indexes, _adjusts(attempt.changes), strict=True):
        now = _quantity(live, c)
        if now == c.after:
            already.append(c)
        elif now == c.before:
            pending.append((i, c))
        else:
            moved.append((c, now))
    rebases = [earlier[change_id(c)] for _i, c in pending if change_id(c) in earlier]
    conflicts = [Conflict(c, now) for c, now in moved]
    if moved and rules.rebase:
        # a conflict of a rebased change is one of the plan's change, from the live value
        originals = [(earlier[change_id(c)].original if change_id(c) in earlier else c, now)
                     for c, now in moved]
        more, conflicts, new, rebased = _rebase(attempt.result.step, originals, rules, rebased)
        pending += more
        rebases += new
    if not pending:
        return StaleOutcome(tuple(already), tuple(conflicts), None, rebased)
    if attempt.resubmits >= MAX_RESUBMITS:
        conflicts += [Conflict(c, c.before, "kept moving") for _i, c in pending]
        return StaleOutcome(tuple(already), tuple(conflicts), None, rebased)
    pending.sort(key=lambda pair: pair[0])  # in the step's order, as the journal keeps them
    changes = [c for _i, c in pending]
    tag = "rebase" if rebases else "resubmit"
    key = derived_key(rules.plan_id, attempt.result.step, changes, tag)
    again = Attempt(attempt.result, tuple(changes), key, tuple(i for i, _c in pending),
                    attempt.resubmits + 1, rebases=tuple(rebases))
    return StaleOutcome(tuple(already), tuple(conflicts), again, rebased)


def classify_maybe_landed(attempt: Attempt, live: Levels) -> MaybeLanded:
    """Classify an attempt that may have run before (its stale answer says nothing of that
    earlier execution), level by level: at its target it landed, else it is unknown for good."""
    landed, unknown = landed_or_unknown(attempt.changes, live)
    ids = {change_id(c) for c in landed if isinstance(c, Adjust)}
    return MaybeLanded(landed, unknown,
                       tuple(r for r in attempt.rebases if change_id(r.change) in ids))


def landed_or_unknown(changes: Sequence[Change], live: Levels,
                      ) -> tuple[tuple[Change, ...], tuple[Conflict, ...]]:
    """Changes that may have landed: those at their targets, and the others, unknown for good
    (with the values seen)."""
    landed: list[Change] = []
    unknown: list[Conflict] = []
    for c in changes:
        now, done = state(live, c)
        if done:
            landed.append(c)
        else:
            unknown.append(Conflict(c, now, MAY_HAVE_LANDED))
    return tuple(landed), tuple(unknown)


def _rebase(step: Step, moved: list[tuple[Adjust, int | None]], rules: Rules,
            rebased: Mapping[ChangeId, Adjust]) -> tuple[
                list[tuple[int, Adjust]], list[Conflict], list[Rebase], Mapping[ChangeId, Adjust]]:
    """Rebase the plan's changes that moved onto their live values if the rebased plan stays safe.

    Returns ``(changes to send with their indexes, conflicts left, rebases, the run's rebases)``.
    """
    candidates = [Rebase(c, Adjust(c.level, c.quantity, now, c.after, c.inactive))
                  for c, now in moved if now is not None]
    if len(candidates) < len(moved):
        return [], [Conflict(c, None, "the level no longer exists") for c, now in moved
                    if now is None] + [Conflict(r.original, r.change.before)
                                       for r in candidates], [], rebased
    accepted = {**rebased, **{change_id(r.original): r.change for r in candidates}}
    changes = [accepted.get(change_id(c), c) if isinstance(c, Adjust) else c
               for c in rules.plan.changes]
    candidate = Plan(changes=tuple(changes), managed_levels=rules.plan.managed_levels)
    findings = check_safety(candidate, None, rules.limits)
    if findings and not rules.force:
        for r in candidates:
            accepted.pop(change_id(r.original), None)
        why = "rebasing would make the plan unsafe: " + "; ".join(f.message for f in findings)
        return [], [Conflict(r.original, r.change.before, why) for r in candidates], [], accepted
    index = {change_id(c): i for i, c in enumerate(step.changes) if isinstance(c, Adjust)}
    return [(index[change_id(r.original)], r.change) for r in candidates], [], candidates, accepted


def was_replayed(payload: object, started: int, uncertain: bool) -> bool:
    """Whether a mutation answered with a result landed before this run (a replayed key): its
    adjustment group's ``createdAt`` is earlier than ``started``, the whole epoch second the run
    started on. Without a group (activations), an attempt an earlier run sent (``uncertain``)."""
    group = payload.get("inventoryAdjustmentGroup") if isinstance(payload, dict) else None
    if not isinstance(group, dict):
        return uncertain
    created_at = group.get("createdAt")
    if not isinstance(created_at, str):
        return False
    try:
        when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when.timestamp() < started


def at_target(live: Levels, c: Change) -> bool:
    return state(live, c)[1]


def at_start(live: Levels, c: Change) -> bool:
    """Whether the level is where ``c`` was sent from (its compare-and-set would pass)."""
    level = live.get(c.level.key)
    if c.kind is ChangeKind.ACTIVATE:
        return level is None or not level.active
    if c.kind is ChangeKind.DEACTIVATE:
        return level is not None and level.active
    return isinstance(c, Adjust) and _quantity(live, c) == c.before


def state(live: Levels, c: Change) -> tuple[int | None, bool]:
    """The live value of a change's quantity (None for activations) and whether the level is
    at the change's target."""
    level = live.get(c.level.key)
    if not isinstance(c, Adjust):
        active = level is not None and level.active
        return None, active if c.kind is ChangeKind.ACTIVATE else not active
    now = _quantity(live, c)
    return now, now == c.after


def _quantity(live: Levels, c: Adjust) -> int | None:
    level = live.get(c.level.key)
    return None if level is None else level.quantities.get(c.quantity)


def _adjusts(changes: Sequence[Change]) -> list[Adjust]:
    """A stale compare-and-set is an answer to quantity changes only."""
    if not all(isinstance(c, Adjust) for c in changes):
        raise TypeError("a stale compare-and-set answers quantity changes only")
    return [c for c in changes if isinstance(c, Adjust)]


def change_id(c: Adjust) -> ChangeId:
    return (c.level.location_id, c.level.item_id, c.quantity)


def derived_key(plan_id: str, step: Step, changes: Sequence[Change], tag: str = "resubmit") -> str:
    """The key of a resubmission (or a rebase): new per content, the same when this plan is run
    again with the same content; the journal tells whether it ran before."""
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return str(uuid5(UUID(plan_id), f"{step.step_key}/{tag}/{digest}"))
