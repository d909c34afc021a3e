"""Outcomes: record on a step's result that it landed, was replayed, conflicted, failed or was
refused, and stop the run on the first error retrying cannot fix; a mixin of ``Applier``."""

from __future__ import annotations

from datetime import datetime

from syncer.apply.attempts import Attempt
from syncer.apply.results import (
    ALREADY,
    APPLIED,
    CONFLICT,
    FAILED,
    REBASED,
    UNKNOWN,
    Conflict,
    StepResult,
    describe,
    describe_change,
)
from syncer.apply.user_errors import change_at, user_error_text
from syncer.errors import plural
from syncer.plan.changes import Adjust


class Outcomes:
    """Step results and the report's error, progress and conflicts."""

    def _landed(self, attempt: Attempt, payload: dict) -> None:
        result = attempt.result
        group = payload.get("inventoryAdjustmentGroup") if isinstance(payload, dict) else None
        replayed = (_before(group.get("createdAt"), self._started) if isinstance(group, dict)
                    else attempt.uncertain)
        if replayed:
            result.already.extend(attempt.changes)
            self.log(f"{describe(result.step)}: already applied by an earlier run "
                     "(replayed key)")
        else:
            result.applied.extend(attempt.changes)
            self.log(f"{describe(result.step)}: applied")
        self._rebases_landed(result, attempt.rebases, earlier=replayed)
        self._done(result)

    def _rebases_landed(self, result: StepResult, rebases, earlier: bool = False) -> None:
        """Rebased changes that landed (``earlier``: in an earlier run of this plan, whose
        answer this run got again): named in the report, as every rebase that landed is."""
        result.rebased += len(rebases)
        result.rebases.extend(rebases)
        self.report.rebased.extend(rebases)
        for r in rebases:
            self.log(f"rebased {r}" + (" (by an earlier run of this plan)" if earlier else ""))

    def _conflicts(self, result: StepResult, conflicts: list[Conflict]) -> None:
        """Name changes that moved since the plan; the run goes on with every other change."""
        result.conflicts.extend(conflicts)
        self.report.conflicts.extend(conflicts)
        for k in conflicts:
            self.log(f"{describe(result.step)}: conflict: {k}")

    def _done(self, result: StepResult) -> None:
        """One attempt (or the settling of earlier runs' attempts) of ``result`` is finished;
        when none is left, the step's status follows from its changes'."""
        result.pending -= 1
        if result.pending > 0:
            return
        if result.conflicts:
            result.status = CONFLICT
            n = len(result.conflicts)
            result.detail = (f"{n} of {plural(len(result.step.changes), 'change')} moved since "
                             "the plan and were left as they are")
        elif result.unknown:
            result.status = UNKNOWN
            n, of = len(result.unknown), plural(len(result.step.changes), "change")
            result.detail = (f"{n} of {of} may or may not have landed (an answer was lost) and "
                             "are not at their targets")
        elif result.rebased:
            result.status = REBASED
            result.detail = f"{plural(result.rebased, 'change')} rebased onto live values"
        else:
            result.status = APPLIED if result.applied else ALREADY
        self._finished += 1
        self._units += sum(abs(c.delta) for c in result.applied if isinstance(c, Adjust))
        self.progress(self._finished, self._units)

    def _failed(self, attempt: Attempt, why: str, what: str | None = None) -> None:
        attempt.result.status = FAILED
        attempt.result.detail = why
        what = what or describe(attempt.result.step)
        self.log(f"{what}: failed: {why}")
        self._fail(f"{what} failed: {why}")

    def _refused(self, attempt: Attempt, user_errors: list[dict]) -> None:
        """The store refused the mutation (all or nothing): put each error on the change its
        ``field`` path names; running the plan again cannot fix it."""
        result = attempt.result
        texts, named = [], []
        for error in user_errors:
            change = change_at(error.get("field"), attempt.changes)
            texts.append(user_error_text(error, change))
            if change is not None:
                result.failures.append((change, texts[-1]))
                named.append(change)
        result.permanent = True
        only = {describe_change(c) for c in named}
        self._failed(attempt, "; ".join(texts), only.pop() if len(only) == 1 else None)

    def _fail(self, why: str) -> None:
        if self.report.error is None:
            self.report.error = why
        self._stop = True


def _before(created_at, started: int) -> bool:
    """Whether a ``createdAt`` (``...Z``, whole seconds) is earlier than ``started``, the whole
    epoch second the run started on."""
    if not isinstance(created_at, str):
        return False
    try:
        when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when.timestamp() < started
