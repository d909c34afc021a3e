"""Outcomes: ``Tally`` puts what happened to each attempt (values from ``classify.py``,
``resume.py`` and ``sending.py``) on its step's result and the report, logs it, counts progress,
and stops the run on the first error retrying cannot fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncer.apply.attempts import Attempt, Log, Progress
from syncer.apply.classify import MaybeLanded, StaleOutcome
from syncer.apply.report import ApplyReport
from syncer.apply.results import (
    ALREADY,
    APPLIED,
    CONFLICT,
    FAILED,
    REBASED,
    UNKNOWN,
    Conflict,
    Rebase,
    StepResult,
    describe,
    describe_change,
)
from syncer.apply.resume import Resumed
from syncer.apply.sending import Lost
from syncer.apply.user_errors import change_at, user_error_text
from syncer.errors import plural
from syncer.plan.changes import Adjust, Change


class Tally:
    """The outcomes of one run: on the step results, the report, the log and the progress."""

    def __init__(self, report: ApplyReport, log: Log, progress: Progress) -> None:
        self.report = report
        self.log = log
        self.progress = progress
        #: Steps finished so far, and the units moved by the changes of theirs that landed.
        self.finished = 0
        self.units = 0
        #: Set by the first error retrying cannot fix: no request is sent after it.
        self.stop = False

    def landed(self, attempt: Attempt, replayed: bool) -> None:
        """The attempt's mutation answered with a result (``replayed``: one of an earlier run)."""
        result = attempt.result
        if replayed:
            result.already.extend(attempt.changes)
            self.log(f"{describe(result.step)}: already applied by an earlier run "
                     "(replayed key)")
        else:
            result.applied.extend(attempt.changes)
            self.log(f"{describe(result.step)}: applied")
        self.rebases_landed(result, attempt.rebases, earlier=replayed)
        self.done(result)

    def resumed(self, result: StepResult, resumed: Resumed) -> list[Attempt]:
        """A step resumed from the journal; returns the attempts to send for it."""
        for settled in resumed.settled:
            result.already.extend(settled.already)
            self.unknown(result, settled.unknown)
            if settled.again is not None:
                self.log(f"{describe(result.step)}: sent by an earlier run, answer lost; "
                         "sending it again under the same key")
        if resumed.unreadable:
            result.status, result.detail = UNKNOWN, "sent by an earlier run; re-reading failed"
        result.already.extend(resumed.landed)
        result.pending = len(resumed.attempts) + 1
        if resumed.landed and not resumed.attempts:
            self.log(f"{describe(result.step)}: already applied by an earlier run of this plan")
        self.done(result)  # the part settled from the journal
        return list(resumed.attempts)

    def stale(self, attempt: Attempt, outcome: StaleOutcome) -> Attempt | None:
        """A stale attempt classified; returns the attempt to send again, if any."""
        result = attempt.result
        result.already.extend(outcome.already)
        self.conflicts(result, outcome.conflicts)
        if outcome.again is None:
            if outcome.at_planned_values:
                self.log(f"{describe(result.step)}: already at the planned values")
            self.done(result)
        return outcome.again

    def maybe_landed(self, attempt: Attempt, outcome: MaybeLanded) -> None:
        """An attempt that may have run before, classified level by level."""
        result = attempt.result
        self.unknown(result, outcome.unknown)
        self.rebases_landed(result, outcome.rebases, attempt.uncertain)
        if attempt.uncertain:
            result.already.extend(outcome.landed)
        elif outcome.landed:
            result.applied.extend(outcome.landed)
            result.detail = "landed; its retry was answered stale"
            self.log(f"{describe(result.step)}: {len(outcome.landed)} change(s) at the planned "
                     "values (its retry was answered stale)")
        self.done(result)

    def rebases_landed(self, result: StepResult, rebases: Sequence[Rebase],
                       earlier: bool = False) -> None:
        """Rebased changes that landed (``earlier``: in an earlier run of this plan, whose
        answer this run got again): named in the report, as every rebase that landed is."""
        result.rebased += len(rebases)
        result.rebases.extend(rebases)
        self.report.rebased.extend(rebases)
        for r in rebases:
            self.log(f"rebased {r}" + (" (by an earlier run of this plan)" if earlier else ""))

    def conflicts(self, result: StepResult, conflicts: Sequence[Conflict]) -> None:
        """Name changes that moved since the plan; the run goes on with every other change."""
        result.conflicts.extend(conflicts)
        self.report.conflicts.extend(conflicts)
        for k in conflicts:
            self.log(f"{describe(result.step)}: conflict: {k}")

    def unknown(self, result: StepResult, unknown: Sequence[Conflict]) -> None:
        """Changes that may or may not have landed, for good, with the values seen."""
        for k in unknown:
            result.unknown.append(k)
            self.report.unknowns.append(k)
            self.log(f"{describe(result.step)}: unknown: {k}")

    def done(self, result: StepResult) -> None:
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
        self.finished += 1
        self.units += sum(abs(c.delta) for c in result.applied if isinstance(c, Adjust))
        self.progress(self.finished, self.units)

    def failed(self, attempt: Attempt, why: str, what: str | None = None) -> None:
        attempt.result.status = FAILED
        attempt.result.detail = why
        what = what or describe(attempt.result.step)
        self.log(f"{what}: failed: {why}")
        self.fail(f"{what} failed: {why}")

    def refused(self, attempt: Attempt, user_errors: Sequence[dict[str, Any]]) -> None:
        """The store refused the mutation (all or nothing): put each error on the change its
        ``field`` path names; running the plan again cannot fix it."""
        result = attempt.result
        texts: list[str] = []
        named: list[Change] = []
        for error in user_errors:
            change = change_at(error.get("field"), attempt.changes)
            texts.append(user_error_text(error, change))
            if change is not None:
                result.failures.append((change, texts[-1]))
                named.append(change)
        result.permanent = True
        only = {describe_change(c) for c in named}
        self.failed(attempt, "; ".join(texts), only.pop() if len(only) == 1 else None)

    def lost(self, batch: Sequence[Attempt], lost: Lost) -> None:
        """A request failed without an answer; the run stops."""
        for attempt in batch:
            if lost.never_ran:
                attempt.result.status = FAILED
                attempt.result.detail = "the store refused the request; nothing in it ran"
            else:
                attempt.result.status = UNKNOWN
                attempt.result.detail = ("the request failed and may or may not have reached "
                                         "the store; a rerun of this plan will tell")
        self.fail(str(lost.error))

    def fail(self, why: str) -> None:
        if self.report.error is None:
            self.report.error = why
        self.stop = True
