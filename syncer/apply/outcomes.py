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
        if isinstance(group, dict) and _before(group.get("createdAt"), self._started):
            result.already.extend(attempt.changes)
            self.log(f"{describe(result.step)}: already applied by an earlier run "
                     "(replayed key)")
        else:
            result.applied.extend(attempt.changes)
            self.log(f"{describe(result.step)}: applied")
        result.rebased += len(attempt.rebases)
        result.rebases.extend(attempt.rebases)
        self.report.rebased.extend(attempt.rebases)
        for r in attempt.rebases:
            self.log(f"rebased {r}")
        self._done(result)

    def _rebased_before(self, attempt: Attempt) -> None:
        """The step's rebase key was used with other values: a rebase of this step landed in an
        earlier run (the mutation is all-or-nothing), and the level moved after it. Done; never
        rebased twice, which would undo whatever moved it."""
        result = attempt.result
        result.already.extend(attempt.changes)
        self.log(f"{describe(result.step)}: rebased by an earlier run of this plan; the level "
                 "has moved since, which is left as it is")
        self._done(result)
        result.detail = "rebased by an earlier run of this plan"

    def _conflicts(self, result: StepResult, conflicts: list[Conflict]) -> None:
        """Name changes that moved since the plan; the run goes on with every other change."""
        result.conflicts.extend(conflicts)
        self.report.conflicts.extend(conflicts)
        for k in conflicts:
            self.log(f"{describe(result.step)}: conflict: {k}")

    def _done(self, result: StepResult) -> None:
        if result.conflicts:
            result.status = CONFLICT
            n = len(result.conflicts)
            result.detail = (f"{n} of {plural(len(result.step.changes), 'change')} moved since "
                             "the plan and were left as they are")
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
