"""Classifying a stale compare-and-set (or a reused key) by re-reading the levels: already at
the target, resubmit under a derived key, conflict, rebase onto live values if the plan stays
safe, or, for a request that may have run before, landed or unknown; a mixin of ``Applier``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from uuid import UUID, uuid5

from syncer.apply.attempts import MAX_RESUBMITS, Attempt
from syncer.apply.results import UNKNOWN, Conflict, Rebase, describe
from syncer.errors import StoreError
from syncer.plan.changes import Adjust, Change, Plan
from syncer.plan.encoding import canonical_json
from syncer.plan.safety import check_safety
from syncer.plan.steps import Step
from syncer.shopify.reader import read_levels


class Classifying:
    """Re-reads levels after a stale answer and decides what to send again."""

    def _classify(self, stale: list[Attempt], resent: bool = False,
                  known_unlanded: bool = False) -> list[Attempt]:
        """Re-read the levels of stale adjusts; split each into done, resubmit and conflicts
        (or, for a request that may have run before, into landed and unknown; not when the
        store says the key's attempt failed: ``known_unlanded``)."""
        keys = {c.level.key for a in stale for c in a.changes}
        try:
            live = read_levels(self.transport, keys)
        except StoreError as exc:
            for attempt in stale:
                attempt.result.status = UNKNOWN
                attempt.result.detail = f"stale compare-and-set, and re-reading failed: {exc}"
            self._fail(f"could not re-read levels after a stale compare-and-set: {exc}")
            return []
        again = []
        for attempt in stale:
            result = attempt.result
            name = result.step.quantity
            earlier_run = attempt.resubmits == 0 and result.step.step_key in self.options.attempted
            if (resent or earlier_run) and not known_unlanded:
                # Landed by this run only if no earlier run sent it.
                self._maybe_landed(attempt, live, resent and not earlier_run)
                continue
            pending: list[Adjust] = []
            conflicts: list[Conflict] = []
            earlier = {_change_id(r.change): r for r in attempt.rebases}
            for c in attempt.changes:
                level = live.get(c.level.key)
                now = None if level is None else level.quantities.get(name)
                if now == c.after:
                    result.already.append(c)
                elif now == c.before:
                    pending.append(c)
                else:
                    conflicts.append(Conflict(c, now))
            rebases = [earlier[_change_id(c)] for c in pending if _change_id(c) in earlier]
            if conflicts and self.options.rebase:
                originals = [Conflict(earlier[_change_id(k.change)].original, k.live)
                             if _change_id(k.change) in earlier else k for k in conflicts]
                pending, conflicts, new = self._rebase(pending, originals)
                rebases += new
            if conflicts:
                self._conflicts(result, conflicts)
            if not pending:
                if not conflicts:
                    self.log(f"{describe(result.step)}: already at the planned values")
                self._done(result)
                continue
            if attempt.resubmits >= MAX_RESUBMITS:
                self._conflicts(result, [Conflict(c, c.before, "kept moving") for c in pending])
                self._done(result)
                continue
            if rebases:
                # One key per step for every rebase, whatever the live values: a rerun of this
                # plan that finds the level moved again gets IDEMPOTENCY_KEY_PARAMETER_MISMATCH
                # instead of rebasing a second time over a sale.
                key = str(uuid5(UUID(self.meta.plan_id), f"{result.step.step_key}/rebase"))
            else:
                key = _derived_key(self.meta.plan_id, result.step, pending)
            again.append(Attempt(result, tuple(pending), key, attempt.resubmits + 1,
                                  rebases=tuple(rebases)))
        return again

    def _maybe_landed(self, attempt: Attempt, live: dict, resent: bool) -> None:
        """A stale answer to a request that may have run before. The mutation is all or
        nothing: every change at its target means it landed; otherwise, a sale may have moved
        the level after it landed or before it could, and no answer tells which."""
        result = attempt.result
        name = result.step.quantity
        seen = [(c, _live(live, c, name)) for c in attempt.changes]
        if all(now == c.after for c, now in seen):
            (result.applied if resent else result.already).extend(attempt.changes)
            self.log(f"{describe(result.step)}: " + (
                "applied (its retry was answered stale; at the planned values)" if resent
                else "already at the planned values (sent by an earlier run of this plan)"))
            self._done(result)
            if resent:
                result.detail = "landed; its retry was answered stale"
            return
        result.status = UNKNOWN
        values = "; ".join(f"{c.level.location} / {c.level.sku} {name} planned {c.before} -> "
                           f"{c.after}, live {now}" for c, now in seen)
        how = "sent again after a lost answer" if resent else "sent by an earlier run"
        result.detail = (f"{how}, answered stale, and the levels are not at the targets: it "
                         f"may have landed before a sale moved them, or not: {values}")
        self.report.unknowns.extend(Conflict(c, now, "landed or not") for c, now in seen
                                    if now != c.after)
        self.log(f"{describe(result.step)}: unknown: {result.detail}")
        if self.report.error is None:
            self.report.error = (f"{describe(result.step)}: unknown whether it landed; check "
                                 "these levels and plan again")

    def _rebase(self, pending: list[Adjust], conflicts: list[Conflict]):
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
        return pending + [r.change for r in rebased], [], rebased


def _live(live: dict, c: Adjust, name: str) -> int | None:
    level = live.get(c.level.key)
    return None if level is None else level.quantities.get(name)


def _change_id(c: Adjust) -> tuple:
    return (c.level.location_id, c.level.item_id, c.quantity)


def _derived_key(plan_id: str, step: Step, changes: Sequence[Change]) -> str:
    """The key of a resubmission: new per content, the same when this plan is run again."""
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return str(uuid5(UUID(plan_id), f"{step.step_key}/resubmit/{digest}"))
