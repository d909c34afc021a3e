"""Classifying a stale compare-and-set (or a reused key) by re-reading the levels, level by
level: already at the target, resubmit under a derived key, conflict, rebase onto live values if
the plan stays safe; or, for a change that may have landed (a request sent again after a lost
answer, or one an earlier run sent whose answer never came back), landed or unknown for good;
a mixin of ``Applier``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from uuid import UUID, uuid5

from syncer.apply.attempts import MAX_RESUBMITS, Attempt
from syncer.apply.journal import LANDED
from syncer.apply.results import UNKNOWN, Conflict, Rebase, StepResult, describe
from syncer.errors import StoreError
from syncer.plan.changes import Adjust, Change, ChangeKind, Plan
from syncer.plan.encoding import canonical_json
from syncer.plan.safety import check_safety
from syncer.plan.steps import Step
from syncer.shopify.reader import read_levels

#: Why a change is unknown for good: its request ran and the answer never came back.
MAY_HAVE_LANDED = ("may have landed: a request carrying it ran and its answer was lost, and "
                   "the level is not at the target")


class Classifying:
    """Re-reads levels after a stale answer and decides what to send again."""

    def _reread(self, changes: Sequence[Change], what: str) -> dict | None:
        """The live levels of ``changes``; None (the run stops) when they cannot be read."""
        try:
            return read_levels(self.transport, {c.level.key for c in changes})
        except StoreError as exc:
            self._fail(f"could not re-read levels {what}: {exc}")
            return None

    def _at_target_or_unknown(self, result: StepResult, c: Change, live: dict,
                              landed: list) -> bool:
        """Put a change that may have landed on ``landed`` (at its target) or ``unknown``."""
        now, at_target = _state(live, c)
        if at_target:
            landed.append(c)
            return True
        result.unknown.append(Conflict(c, now, MAY_HAVE_LANDED))  # type: ignore[arg-type]
        self.report.unknowns.append(result.unknown[-1])
        self.log(f"{describe(result.step)}: unknown: {result.unknown[-1]}")
        return False

    def _classify(self, stale: list[Attempt], maybe: bool = False) -> list[Attempt]:
        """Re-read the levels of stale attempts; split each into done, resubmit and conflicts
        (or, for ``maybe``, a request that may have run before, into landed and unknown)."""
        if not stale:
            return []
        live = self._reread([c for a in stale for c in a.changes],
                            "after a stale compare-and-set")
        if live is None:
            for attempt in stale:
                attempt.result.status = UNKNOWN
                attempt.result.detail = "stale compare-and-set, and re-reading failed"
            return []
        if maybe:
            for attempt in stale:
                self._maybe_landed(attempt, live)
            return []
        again = []
        for attempt in stale:
            result = attempt.result
            name = result.step.quantity
            pending: list[tuple[int, Adjust]] = []
            conflicts: list[Conflict] = []
            earlier = {_change_id(r.change): r for r in attempt.rebases}
            for i, c in zip(attempt.indexes, attempt.changes, strict=True):
                level = live.get(c.level.key)
                now = None if level is None else level.quantities.get(name)
                if now == c.after:
                    result.already.append(c)
                elif now == c.before:
                    pending.append((i, c))
                else:
                    conflicts.append(Conflict(c, now))
            rebases = [earlier[_change_id(c)] for _i, c in pending if _change_id(c) in earlier]
            if conflicts and self.options.rebase:
                originals = [Conflict(earlier[_change_id(k.change)].original, k.live)
                             if _change_id(k.change) in earlier else k for k in conflicts]
                pending, conflicts, new = self._rebase(result.step, pending, originals)
                rebases += new
            if conflicts:
                self._conflicts(result, conflicts)
            if not pending:
                if not conflicts:
                    self.log(f"{describe(result.step)}: already at the planned values")
                self._done(result)
                continue
            if attempt.resubmits >= MAX_RESUBMITS:
                self._conflicts(result, [Conflict(c, c.before, "kept moving")
                                         for _i, c in pending])
                self._done(result)
                continue
            pending.sort(key=lambda pair: pair[0])  # in the step's order, as the journal keeps them
            changes = [c for _i, c in pending]
            tag = "rebase" if rebases else "resubmit"
            key = derived_key(self.meta.plan_id, result.step, changes, tag)
            again.append(Attempt(result, tuple(changes), key, tuple(i for i, _c in pending),
                                 attempt.resubmits + 1, rebases=tuple(rebases)))
        return again

    def _maybe_landed(self, attempt: Attempt, live: dict) -> None:
        """A stale answer to a request that may have run before (sent again after a lost
        answer, or an earlier run's attempt sent again): level by level, a change at its target
        landed; the others are unknown for good (a sale may have moved them after it landed, or
        before it could)."""
        result = attempt.result
        landed: list[Change] = []
        unknown = len(result.unknown)
        for c in attempt.changes:
            self._at_target_or_unknown(result, c, live, landed)
        ids = {_change_id(c) for c in landed if isinstance(c, Adjust)}
        self._rebases_landed(result, [r for r in attempt.rebases
                                      if _change_id(r.change) in ids], attempt.uncertain)
        if attempt.uncertain:
            result.already.extend(landed)
        elif landed:
            result.applied.extend(landed)
            result.detail = "landed; its retry was answered stale"
            self.log(f"{describe(result.step)}: {len(landed)} change(s) at the planned values "
                     "(its retry was answered stale)")
        if len(result.unknown) == unknown:
            self._writer.answer(attempt.execution, LANDED)
        self._done(result)

    def _rebase(self, step: Step, pending: list[tuple[int, Adjust]],
                conflicts: list[Conflict]):
        """Rebase conflicting changes onto the live values if the rebased plan stays safe.

        Returns ``(changes to send, conflicts left, rebases)``; conflicts name plan changes.
        """
        rebased = [Rebase(k.change, Adjust(k.change.level, k.change.quantity, k.live,
                                           k.change.after, k.change.inactive))
                   for k in conflicts if k.live is not None]
        missing = [k for k in conflicts if k.live is None]
        if missing:
            return pending, [Conflict(k.change, None, "the level no longer exists")
                             for k in missing] + [
                Conflict(r.original, r.change.before) for r in rebased], []
        for r in rebased:
            self._rebased[_change_id(r.original)] = r.change
        changes = [self._rebased.get(_change_id(c), c) if isinstance(c, Adjust) else c
                   for c in self.plan.changes]
        candidate = Plan(changes=tuple(changes), managed_levels=self.plan.managed_levels)
        findings = check_safety(candidate, None, self.options.limits)
        if findings and not self.options.force:
            for r in rebased:
                self._rebased.pop(_change_id(r.original), None)
            why = "rebasing would make the plan unsafe: " + "; ".join(f.message for f in findings)
            return pending, [Conflict(r.original, r.change.before, why) for r in rebased], []
        index = {_change_id(c): i for i, c in enumerate(step.changes)}
        return pending + [(index[_change_id(r.original)], r.change) for r in rebased], [], rebased


def at_target(live: dict, c: Change) -> bool:
    return _state(live, c)[1]


def at_start(live: dict, c: Change) -> bool:
    """Whether the level is where ``c`` was sent from (its compare-and-set would pass)."""
    level = live.get(c.level.key)
    if c.kind is ChangeKind.ACTIVATE:
        return level is None or not level.active
    if c.kind is ChangeKind.DEACTIVATE:
        return level is not None and level.active
    return level is not None and level.quantities.get(c.quantity) == c.before


def _state(live: dict, c: Change) -> tuple[int | None, bool]:
    """The live value of a change's quantity (None for activations) and whether the level is
    at the change's target."""
    level = live.get(c.level.key)
    if c.kind is ChangeKind.ACTIVATE:
        return None, level is not None and level.active
    if c.kind is ChangeKind.DEACTIVATE:
        return None, level is None or not level.active
    now = None if level is None else level.quantities.get(c.quantity)
    return now, now == c.after


def _change_id(c: Adjust) -> tuple:
    return (c.level.location_id, c.level.item_id, c.quantity)


def derived_key(plan_id: str, step: Step, changes: Sequence[Change], tag: str = "resubmit") -> str:
    """The key of a resubmission (or a rebase): new per content, the same when this plan is run
    again with the same content; the journal tells whether it ran before."""
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return str(uuid5(UUID(plan_id), f"{step.step_key}/{tag}/{digest}"))
