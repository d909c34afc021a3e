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
* A store may not replay keys (it may run a repeated key again, so its CAS answers stale, or
  ignore keys). So a stale answer to a request that may have run before (sent again after a
  lost answer or an HTTP 5xx, or a step an earlier run of this plan sent) is read as: at the
  target, it landed (applied by this run, or already by the earlier one); anywhere else,
  ``unknown`` with the values seen, never a conflict, and never resubmitted or rebased, which
  could apply it twice.
* The first error that retrying cannot fix stops the run (exit 5) after the request it was in;
  the report says what was applied, what failed and why, and what was not attempted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from syncer.apply.attempts import PHASES, ApplyOptions, Attempt, Log, Progress
from syncer.apply.classify import Classifying
from syncer.apply.outcomes import Outcomes
from syncer.apply.report import ApplyReport
from syncer.apply.results import NOT_ATTEMPTED, UNKNOWN, Conflict, Rebase, StepResult
from syncer.apply.sending import Sending
from syncer.plan.changes import Adjust, ChangeKind, Plan
from syncer.plan.document import PlanMeta
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
        sent: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.transport = transport
        # Told the step keys of each request before it is sent (a rerun's ``attempted``).
        self.sent = sent or (lambda _keys: None)
        self.plan = plan
        self.meta = meta
        self.options = options or ApplyOptions()
        self.log = log or (lambda _text: None)
        self.progress = progress or (lambda _steps, _units: None)
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())
        self.reason = self.options.reason or meta.reason
        self.reference = (self.options.reference or meta.reference
                          or f"gid://syncer/Plan/{meta.plan_id}")
        self.results = [StepResult(s, meta.idempotency_key(s)) for s in meta.steps]
        self.report = ApplyReport(meta.plan_id, meta.store, self.results,
                                  forced=self.options.force and plan.unsafe)
        self._finished = 0
        self._units = 0
        self._stop = False
        self._rebased: dict[tuple, Adjust] = {}
        self._in_flight: list[StepResult] = []

    def run(self) -> ApplyReport:
        """Apply every step, stopping at the first error that retrying cannot fix."""
        calls0 = self.transport.calls
        cost0 = self.transport.cost_points
        self._started = self._start_on_a_whole_second()
        try:
            for kinds in PHASES:
                attempts = [Attempt(r, r.step.changes, r.key) for r in self.results
                            if r.step.kind in kinds]
                self._run_phase(attempts)
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
            getattr(self.transport, "wait", time.sleep)(start - now)
        return start


__all__ = ["Applier", "ApplyOptions", "ApplyReport", "Conflict", "Rebase", "StepResult"]
