"""Apply a saved plan: its steps in order, each exactly once, with CAS on every quantity.

How it stays exactly-once (DESIGN.md section 5):

* The plan's steps (``steps.build_steps``) run in order: activations, adjusts, then
  deactivations. Each step has the idempotency key ``uuid5(plan_id, step_key)``, so running the
  same plan again replays the same keys and Shopify answers a step that landed before with its
  original result instead of applying it twice.
* Steps are packed into one request as aliased mutation fields (``s0``, ``s1``...), as many as
  the 1000-point query limit allows at 10 points per mutation; activations and adjusts may
  share a request, deactivations get requests of their own after them. Fields run in order and
  each keeps its own key, so a request that is retried after a lost response replays the fields
  that landed and runs the rest.
* ``THROTTLED``, HTTP 429/5xx and connection errors are retried by the transport with the same
  document and variables, so with the same keys.
* Every quantity change carries ``changeFromQuantity`` = the value the plan observed. On
  ``CHANGE_FROM_QUANTITY_STALE`` the applier re-reads those levels: a change whose quantity is
  already at its target landed before (a replay); one still at its observed value is resubmitted
  under a key derived from the plan; anything else is a conflict (exit 4), or with ``rebase``
  a change recomputed from the live value under a new key, if the plan stays safe.
* A conflict does not stop the run: it is left as it is and named, and every other change
  (the rest of its step, later steps, deactivations) is applied, each under its own CAS, so a
  level activated for a conflict elsewhere still gets its quantities.
* Every run of a plan sees what every earlier run sent and what the store answered: the apply
  journal (``journal.py``) lives in the store, written by the last field of each request. A
  change an earlier run landed is reported as already applied; one whose request ran but whose
  answer never came back is never sent again (a store that runs a repeated key again would
  apply it twice) nor rebased: at its target it is done, anywhere else ``unknown`` for good,
  with the values seen. A stale answer to a request the transport sent again after a lost
  answer is read the same way, level by level.
* The first error that retrying cannot fix stops the run (exit 5) after the request it was in;
  the report says what was applied, what failed and why, and what was not attempted.

The parts: ``sending.py`` sends a request and returns each field's answer as a value;
``classify.py`` and ``resume.py`` turn answers and re-read levels into outcome values, without
I/O; ``outcomes.Tally`` puts outcomes on the step results and the report. ``Applier`` holds the
run's state and loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from syncer.apply import sending
from syncer.apply.attempts import PHASES, ApplyOptions, Attempt, Log, Progress
from syncer.apply.classify import (
    ChangeId,
    Levels,
    Rules,
    classify_maybe_landed,
    classify_stale,
    was_replayed,
)
from syncer.apply.journal import MAX_RECORD_BYTES, Journal, JournalWriter, Sent
from syncer.apply.outcomes import Tally
from syncer.apply.report import ApplyReport
from syncer.apply.results import (
    NOT_ATTEMPTED,
    UNKNOWN,
    StepResult,
    describe,
)
from syncer.apply.resume import resume_step, uncertain_changes
from syncer.apply.sending import Lost, build_request, journal_answer, read_journal, send
from syncer.errors import StoreError
from syncer.plan.changes import Adjust, Change, ChangeKind, Plan
from syncer.plan.document import PlanMeta
from syncer.shopify import documents
from syncer.shopify.reader import read_levels
from syncer.shopify.transport import Transport


class Applier:
    """Runs a plan's steps against a transport and builds the ``ApplyReport``.

    ``clock`` gives the wall time (seconds since the epoch) that decides whether an adjustment
    group Shopify returns predates this run (a replayed key); it is the emulator's clock in tests.
    """

    def __init__(
        self,
        transport: Transport,
        plan: Plan,
        meta: PlanMeta,
        options: ApplyOptions | None = None,
        *,
        log: Log | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        options = options or ApplyOptions()
        self.transport = transport
        self.meta = meta
        self.options = options
        self.log: Log = log or (lambda _text: None)
        self.clock: Callable[[], float] = clock or (lambda: datetime.now(UTC).timestamp())
        self.reason = options.reason or meta.reason
        self.reference = (options.reference or meta.reference
                          or f"gid://syncer/Plan/{meta.plan_id}")
        self.rules = Rules(meta.plan_id, plan, options.rebase, options.force, options.limits)
        self.results = [StepResult(s, meta.idempotency_key(s), i)
                        for i, s in enumerate(meta.steps)]
        self.report = ApplyReport(meta.plan_id, meta.store, self.results,
                                  forced=options.force and plan.unsafe, shop=meta.shop,
                                  shop_name=plan.origin.shop_name if plan.origin else None,
                                  api_version=meta.api_version)
        self.tally = Tally(self.report, self.log, progress or (lambda _steps, _units: None))
        #: This run's records in the apply journal (from the first request on).
        self.writer: JournalWriter | None = None
        #: The whole second of the store's clock the run started on (``was_replayed``).
        self.started = 0
        #: The run's rebases the safety check accepted, by the plan change they replace.
        self.rebased: Mapping[ChangeId, Adjust] = {}
        #: The steps of the request being sent (unknown if Ctrl-C comes before its answer).
        self.in_flight: list[StepResult] = []

    def run(self) -> ApplyReport:
        """Apply every step, stopping at the first error that retrying cannot fix."""
        calls0 = self.transport.calls
        cost0 = self.transport.cost_points
        try:
            if self.results:
                sizes = [len(r.step.changes) for r in self.results]
                shop_id, journal = read_journal(self.transport, self.meta.plan_id, sizes)
                if journal.runs:
                    self.log(f"apply journal: {len(journal.runs)} earlier run(s) of this plan "
                             f"sent {len(journal.sent)} attempt(s); {len(journal.answers)} "
                             "answered")
                self.writer = JournalWriter(shop_id, self.meta.plan_id, sizes)
                self.started = self._start_on_a_whole_second()
                attempts = self._resume(journal)
                for kinds in PHASES:
                    self._run_phase(self.writer,
                                    [a for a in attempts if a.result.step.kind in kinds])
                    if self.tally.stop:
                        break
        except KeyboardInterrupt:
            for r in self.results:
                if r.status == NOT_ATTEMPTED and r in self.in_flight:
                    r.status = UNKNOWN
                    r.detail = "interrupted while the request was in flight"
            self.tally.fail("interrupted (Ctrl-C)")
            self.report.interrupted = True
        finally:
            self._close_journal()
            self.report.calls = self.transport.calls - calls0
            self.report.cost_points = self.transport.cost_points - cost0
        return self.report

    def _start_on_a_whole_second(self) -> int:
        """Wait for the next whole second of the store's clock and return it.

        Shopify's ``createdAt`` has whole seconds; an adjustment group created before a run
        that starts on a whole second shows an earlier second, and every group the run creates
        shows that second or a later one, so a replayed key is told from a fresh change even
        when the two runs are less than a second apart (a wait of at most a second, once).
        """
        now = self.clock()
        # The next whole second, strictly later: at exactly 12:00:00.000 a group of an earlier
        # run may already carry 12:00:00 (a simulated clock can stand still between runs).
        start = math.floor(now) + 1
        if any(s.kind is ChangeKind.ADJUST for s in self.meta.steps):
            self.transport.wait(start - now)
        return start

    def _resume(self, journal: Journal) -> list[Attempt]:
        """What this run sends, after what earlier runs of the plan did (``resume.py``):
        changes that landed are done; uncertain ones are settled by re-reading their levels, or
        sent again exactly as before; the rest are sent."""
        changes = [c for r in self.results for c in uncertain_changes(r, journal)]
        live = self._reread(changes, "that an earlier run of this plan sent") if changes else {}
        return [a for r in self.results
                for a in self.tally.resumed(r, resume_step(r, journal, live, self.meta.plan_id))]

    def _run_phase(self, writer: JournalWriter, queue: list[Attempt]) -> None:
        size = max(1, min(self.options.fields_per_request, documents.MAX_FIELDS_PER_REQUEST - 1))
        while queue and not self.tally.stop:
            batch, queue = queue[:size], queue[size:]
            queue = self._send(writer, batch) + queue

    def _send(self, writer: JournalWriter, batch: list[Attempt]) -> list[Attempt]:
        """Send one request (its attempts, then the journal's record of them) and put what it
        answered on the results; returns the attempts to send again (resubmissions, waits, or
        the second half of a split request)."""
        sent = [Sent(a.key, a.result.index, a.indexes,
                     tuple(c.before for c in a.changes if isinstance(c, Adjust))
                     if a.rebases else None) for a in batch]
        record, size = writer.record(sent)
        if size > MAX_RECORD_BYTES and len(batch) > 1:
            half = len(batch) // 2  # a record the store would refuse: fewer fields at once
            return self._send(writer, batch[:half]) + batch[half:]
        for i, attempt in enumerate(batch):
            attempt.execution = (writer.next_record, i)
            self.log(f"{describe(attempt.result.step)}: sending (key {attempt.key})")
        request = build_request(batch, record, self.reason, self.reference)
        self.in_flight = [a.result for a in batch]
        answer = send(self.transport, request, batch)
        self.in_flight = []
        if isinstance(answer, Lost):
            writer.lost()
            if answer.never_ran and not self.tally.finished:
                raise answer.error  # nothing ran at all: a plain error, not a partial apply
            self.tally.lost(batch, answer)
            return []
        resent = answer.resent
        writer.recorded(sent, answer.journal_problem is None)
        if answer.journal_problem is not None:
            self.tally.fail(f"the store did not keep the apply journal's record of a request "
                            f"({answer.journal_problem}); stopped, so that nothing is sent "
                            "without one")
        again: list[Attempt] = []
        stale: list[Attempt] = []
        failed_before: list[Attempt] = []
        for attempt, field in zip(batch, answer.answers, strict=True):
            if (recorded := journal_answer(field, resent)) is not None:
                writer.answer(attempt.execution, recorded)
            match field:
                case sending.Concurrent():
                    attempt.waits += 1
                    self.log(f"{describe(attempt.result.step)}: another run holds this key; "
                             "waiting")
                    self.transport.wait(sending.concurrent_wait(attempt.waits))
                    again.append(attempt)
                case sending.FieldError(text):
                    self.tally.failed(attempt, text)
                case sending.Stale():
                    stale.append(attempt)
                case sending.Mismatch():
                    # The key was used before with other parameters: this request applied
                    # nothing, but what the earlier use did is not known: read like a retry's.
                    again += self._classify(writer, [attempt], maybe=True)
                case sending.PreviousFailed():
                    failed_before.append(attempt)
                case sending.Refused(user_errors):
                    self.tally.refused(attempt, user_errors)
                case sending.Landed(payload):
                    self.tally.landed(attempt, was_replayed(payload, self.started,
                                                            attempt.uncertain))
                case sending.Malformed(error):
                    raise error
        again += self._classify(writer, [a for a in stale if not a.uncertain], maybe=resent)
        again += self._classify(writer, [a for a in stale if a.uncertain], maybe=True)
        again += self._classify(writer, failed_before)
        return [] if self.tally.stop else again

    def _classify(self, writer: JournalWriter, attempts: list[Attempt],
                  maybe: bool = False) -> list[Attempt]:
        """Re-read the levels of ``attempts`` and classify them (``classify.py``): stale ones
        into done, resubmissions and conflicts, or, for ``maybe`` (a request that may have run
        before), into landed and unknown. Returns the attempts to send again."""
        if not attempts:
            return []
        live = self._reread([c for a in attempts for c in a.changes],
                            "after a stale compare-and-set")
        if live is None:
            for attempt in attempts:
                attempt.result.status = UNKNOWN
                attempt.result.detail = "stale compare-and-set, and re-reading failed"
            return []
        again: list[Attempt] = []
        for attempt in attempts:
            if maybe:
                outcome = classify_maybe_landed(attempt, live)
                if (landed := outcome.journal_answer) is not None:
                    writer.answer(attempt.execution, landed)
                self.tally.maybe_landed(attempt, outcome)
                continue
            stale = classify_stale(attempt, live, self.rules, self.rebased)
            self.rebased = stale.rebased
            if (next_attempt := self.tally.stale(attempt, stale)) is not None:
                again.append(next_attempt)
        return again

    def _reread(self, changes: Sequence[Change], what: str) -> Levels | None:
        """The live levels of ``changes``; None (the run stops) when they cannot be read."""
        try:
            return read_levels(self.transport, {c.level.key for c in changes})
        except StoreError as exc:
            self.tally.fail(f"could not re-read levels {what}: {exc}")
            return None

    def _close_journal(self) -> None:
        """Write this run's last answers (a rerun then knows them without re-reading)."""
        writer = self.writer
        closing = writer.closing() if writer is not None else None
        if writer is None or closing is None:
            return
        try:
            sending.write_closing(self.transport, closing)
            writer.closed()
        except (StoreError, KeyboardInterrupt) as exc:
            self.log(f"apply journal: the closing record was not written ({exc}); a rerun "
                     "re-reads the levels of the last request instead")
            self.report.notes.append(
                "The last request's answers could not be recorded in the store; a rerun of "
                "this plan re-reads those levels.")


__all__ = ["Applier", "ApplyOptions", "ApplyReport", "StepResult"]
