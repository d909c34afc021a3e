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
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import UTC, datetime

from syncer.apply.attempts import PHASES, ApplyOptions, Attempt, Log, Progress
from syncer.apply.classify import Classifying, at_start, at_target, derived_key
from syncer.apply.journal import LANDED, Journal, JournalWriter, Sent, namespace
from syncer.apply.outcomes import Outcomes
from syncer.apply.report import ApplyReport
from syncer.apply.results import (
    NOT_ATTEMPTED,
    UNKNOWN,
    Conflict,
    Rebase,
    StepResult,
    describe,
)
from syncer.apply.sending import Sending
from syncer.errors import StoreError
from syncer.plan.changes import Adjust, ChangeKind, Plan
from syncer.plan.document import PlanMeta
from syncer.shopify import documents
from syncer.shopify.decode import raise_for_errors
from syncer.shopify.transport import Transport


class Applier(Sending, Classifying, Outcomes):
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
        self.transport = transport
        self.plan = plan
        self.meta = meta
        self.options = options or ApplyOptions()
        self.log = log or (lambda _text: None)
        self.progress = progress or (lambda _steps, _units: None)
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())
        self.reason = self.options.reason or meta.reason
        self.reference = (self.options.reference or meta.reference
                          or f"gid://syncer/Plan/{meta.plan_id}")
        self.results = [StepResult(s, meta.idempotency_key(s), i)
                        for i, s in enumerate(meta.steps)]
        self.report = ApplyReport(meta.plan_id, meta.store, self.results,
                                  forced=self.options.force and plan.unsafe)
        self._finished = 0
        self._units = 0
        self._stop = False
        self._rebased: dict[tuple, Adjust] = {}
        self._in_flight: list[StepResult] = []
        self._writer: JournalWriter | None = None

    def run(self) -> ApplyReport:
        """Apply every step, stopping at the first error that retrying cannot fix."""
        calls0 = self.transport.calls
        cost0 = self.transport.cost_points
        try:
            if self.results:
                shop_id, journal = self._read_journal()
                self._writer = JournalWriter(shop_id, self.meta.plan_id,
                                             [len(r.step.changes) for r in self.results])
                self._started = self._start_on_a_whole_second()
                attempts = self._resume(journal)
                for kinds in PHASES:
                    self._run_phase([a for a in attempts if a.result.step.kind in kinds])
                    if self._stop:
                        break
        except KeyboardInterrupt:
            for r in self.results:
                if r.status == NOT_ATTEMPTED and r in self._in_flight:
                    r.status = UNKNOWN
                    r.detail = "interrupted while the request was in flight"
            self._fail("interrupted (Ctrl-C)")
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


    # -- the apply journal -------------------------------------------------------------------

    def _read_journal(self) -> tuple[str, Journal]:
        """The shop's id and every record earlier runs of this plan left (``StoreError`` if
        the journal cannot be read: a run must not guess that nothing was sent)."""
        values: list[str] = []
        after = None
        shop_id = None
        while True:
            try:
                data = raise_for_errors(self.transport.execute(documents.JOURNAL_QUERY, {
                    "namespace": namespace(self.meta.plan_id), "after": after}))
                shop = data["shop"]
                shop_id = shop["id"]
                page = shop["metafields"]
                values += [node["value"] for node in page["nodes"]]
            except StoreError as exc:
                raise StoreError(f"could not read this plan's apply journal from the store, so "
                                 f"nothing was applied: {exc}") from None
            except (KeyError, TypeError):
                raise StoreError("the store answered the apply journal query without the "
                                 "shop's metafields; nothing was applied") from None
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        journal = Journal.from_values(values, [len(r.step.changes) for r in self.results])
        if journal.runs:
            self.log(f"apply journal: {len(journal.runs)} earlier run(s) of this plan sent "
                     f"{len(journal.sent)} attempt(s); {len(journal.answers)} answered")
        return shop_id, journal

    def _resume(self, journal: Journal) -> list[Attempt]:
        """What this run sends, after what earlier runs of the plan did (``journal.py``):
        changes that landed are done; uncertain ones are settled by re-reading their levels, or
        sent again exactly as before; the rest are sent."""
        steps = []
        for r in self.results:
            landed: set[int] = set()
            uncertain: dict[tuple, Sent] = {}
            for sent, answer in journal.executions_of(r.index):
                if answer == LANDED:
                    landed.update(sent.changes)
                elif answer is None:
                    uncertain[(sent.key, sent.changes, sent.befores)] = sent
            maybe = [s for s in uncertain.values() if not set(s.changes) <= landed]
            steps.append((r, landed, maybe))
        changes = [r.step.changes[i] for r, _landed, maybe in steps for s in maybe
                   for i in s.changes]
        live = self._reread(changes, "that an earlier run of this plan sent") if changes else {}
        attempts: list[Attempt] = []
        for r, landed, maybe in steps:
            mine: list[Attempt] = []
            held = set(landed)
            for sent in maybe:
                held.update(sent.changes)
                if live is None:  # could not re-read: nothing of this step is sent
                    r.status, r.detail = UNKNOWN, "sent by an earlier run; re-reading failed"
                    continue
                again = self._settle(r, sent, landed, live)
                if again is not None:
                    mine.append(again)
            fresh = tuple(i for i in range(len(r.step.changes)) if i not in held)
            if fresh:
                key = r.key if len(fresh) == len(r.step.changes) else derived_key(
                    self.meta.plan_id, r.step, [r.step.changes[i] for i in fresh])
                mine.append(Attempt(r, tuple(r.step.changes[i] for i in fresh), key, fresh))
            r.already.extend(r.step.changes[i] for i in sorted(landed))
            r.pending = len(mine) + 1
            if landed and not mine:
                self.log(f"{describe(r.step)}: already applied by an earlier run of this plan")
            self._done(r)  # the part settled from the journal
            attempts += mine
        return attempts

    def _settle(self, r: StepResult, sent: Sent, landed: set[int],
                live: dict) -> Attempt | None:
        """An earlier execution whose answer never came back. Changes at their targets are
        done. If every level of it is back where it was sent from, sending it again could apply
        it twice (in a store that runs a repeated key again): the rest is unknown for good.
        Otherwise the same attempt is sent again (same key, same values): a store that replays
        keys answers with the original result; one that runs it again is stopped by CAS."""
        changes = [r.step.changes[i] for i in sent.changes]
        if sent.befores is not None:  # a rebase: sent from the live values of that run
            changes = [dataclasses.replace(c, before=b)
                       for c, b in zip(changes, sent.befores, strict=True)]
        rest = [c for i, c in zip(sent.changes, changes, strict=True) if i not in landed]
        if all(at_target(live, c) for c in rest):
            r.already.extend(r.step.changes[i] for i in sent.changes if i not in landed)
            landed.update(sent.changes)
            return None
        if all(at_start(live, c) for c in changes):
            for c in rest:
                self._at_target_or_unknown(r, c, live, r.already)
            return None
        rebases = () if sent.befores is None else tuple(
            Rebase(r.step.changes[i], c) for i, c in zip(sent.changes, changes, strict=True)
            if c.before != r.step.changes[i].before)
        self.log(f"{describe(r.step)}: sent by an earlier run, answer lost; sending it again "
                 "under the same key")
        return Attempt(r, tuple(changes), sent.key, sent.changes, rebases=rebases,
                       uncertain=True)

    def _journal_sent(self, batch: list[Attempt]) -> list[Sent]:
        return [Sent(a.key, a.result.index, a.indexes,
                     tuple(c.before for c in a.changes) if a.rebases else None)
                for a in batch]

    def _close_journal(self) -> None:
        """Write this run's last answers (a rerun then knows them without re-reading)."""
        closing = self._writer.closing() if self._writer is not None else None
        if closing is None:
            return
        try:
            response = self.transport.execute(documents.JOURNAL_WRITE, {"journal": closing})
            payload = (response.get("data") or {}).get("journal") if isinstance(
                response, dict) else None
            if not isinstance(payload, dict) or payload.get("userErrors"):
                raise StoreError(f"the store refused it: {payload and payload.get('userErrors')}")
            self._writer.closed()
        except (StoreError, KeyboardInterrupt) as exc:
            self.log(f"apply journal: the closing record was not written ({exc}); a rerun "
                     "re-reads the levels of the last request instead")
            self.report.notes.append(
                "The last request's answers could not be recorded in the store; a rerun of "
                "this plan re-reads those levels.")


__all__ = ["Applier", "ApplyOptions", "ApplyReport", "Conflict", "Rebase", "StepResult"]
