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
* The first error that retrying cannot fix stops the run (exit 5) after the request it was in;
  the report says what was applied, what failed and why, and what was not attempted.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid5

from syncer.apply.report import (
    ALREADY,
    APPLIED,
    CONFLICT,
    FAILED,
    NOT_ATTEMPTED,
    REBASED,
    UNKNOWN,
    ApplyReport,
    Conflict,
    Rebase,
    StepResult,
    describe,
    describe_change,
)
from syncer.apply.user_errors import change_at, user_error_text
from syncer.errors import RefusedError, StoreError, plural
from syncer.model import SafetyLimits
from syncer.plan.changes import Adjust, Change, ChangeKind, Plan
from syncer.plan.document import PlanMeta
from syncer.plan.encoding import canonical_json
from syncer.plan.safety import check_safety
from syncer.plan.steps import Step
from syncer.shopify import decode, documents, variables
from syncer.shopify.reader import read_levels
from syncer.shopify.transport import Transport

STALE = "CHANGE_FROM_QUANTITY_STALE"
CONCURRENT = "IDEMPOTENCY_CONCURRENT_REQUEST"
MISMATCH = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
#: Resubmissions of one step after stale CAS before its changes count as conflicts.
MAX_RESUBMITS = 3
#: Waits for another process that holds the same idempotency key.
MAX_CONCURRENT_WAITS = 5

@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """How to apply: the adjust reason and reference, rebase on conflicts, and limits for it."""

    #: Reason and reference of every quantity change; None: the plan's (``PlanMeta``).
    reason: str | None = None
    reference: str | None = None
    rebase: bool = False
    force: bool = False
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    #: Mutation fields per request; the most the 1000-point limit allows unless told fewer.
    fields_per_request: int = documents.MAX_FIELDS_PER_REQUEST


@dataclass(slots=True)
class _Attempt:
    """One mutation field to send: a step (or the rest of one) with its key."""

    result: StepResult
    changes: tuple[Change, ...]
    key: str
    resubmits: int = 0
    waits: int = 0
    #: Changes of this attempt rebased onto live values (sent under the step's rebase key).
    rebases: tuple[Rebase, ...] = ()

    @property
    def field_kind(self) -> str:
        kind = self.result.step.kind
        if kind is ChangeKind.ACTIVATE:
            return "bulk_toggle" if len(self.changes) > 1 else "activate"
        return kind.value


# Activations and adjusts share requests (fields run in order, so a level is activated before
# its first adjust); deactivations go last, in requests of their own, so none runs after a
# conflict or failure in the same request.
_PHASES = ((ChangeKind.ACTIVATE, ChangeKind.ADJUST), (ChangeKind.DEACTIVATE,))

Log = Callable[[str], None]
Progress = Callable[[int, int], None]  # (steps finished, units moved so far)


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
            for kinds in _PHASES:
                attempts = [_Attempt(r, r.step.changes, r.key) for r in self.results
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
        when the two runs are less than a second apart (a wait of under a second, once).
        """
        now = self.clock()
        start = math.ceil(now)
        if start > now and any(s.kind is ChangeKind.ADJUST for s in self.meta.steps):
            getattr(self.transport, "wait", time.sleep)(start - now)
        return start

    # --- requests -------------------------------------------------------------------------

    def _run_phase(self, queue: list[_Attempt]) -> None:
        size = max(1, min(self.options.fields_per_request, documents.MAX_FIELDS_PER_REQUEST))
        while queue and not self._stop:
            batch, queue = queue[:size], queue[size:]
            queue = self._send(batch) + queue

    def _send(self, batch: list[_Attempt]) -> list[_Attempt]:
        """Send one request; returns the attempts to send again (resubmits, waits)."""
        kinds = [a.field_kind for a in batch]
        document = documents.apply_document(kinds)
        values: dict = {}
        for i, attempt in enumerate(batch):
            values.update(variables.apply_field_variables(i, kinds[i], self._variables(attempt)))
        expect = getattr(self.transport, "expect_cost", None)
        if expect is not None:
            expect(document, documents.apply_cost(kinds))
        for attempt in batch:
            self.log(f"{describe(attempt.result.step)}: sending (key {attempt.key})")
        self._in_flight = [a.result for a in batch]
        try:
            response = self.transport.execute(document, values)
        except RefusedError as exc:
            if not self._finished:
                raise  # nothing was sent that ran: a plain error, not a partial apply
            for attempt in batch:
                attempt.result.status = FAILED
                attempt.result.detail = "the store refused the request; nothing in it ran"
            self._fail(str(exc))
            return []
        except StoreError as exc:
            for attempt in batch:
                attempt.result.status = UNKNOWN
                attempt.result.detail = ("the request failed and may or may not have reached "
                                         "the store; a rerun of this plan will tell")
            self._fail(str(exc))
            return []
        data = response.get("data") if isinstance(response, dict) else None
        errors = _errors_by_field(response)
        again: list[_Attempt] = []
        stale: list[_Attempt] = []
        for i, attempt in enumerate(batch):
            alias = f"s{i}"
            payload = data.get(alias) if isinstance(data, dict) else None
            field_errors = errors.get(alias, []) + errors.get(None, [])
            if payload is None:
                codes = {decode.error_code(e) for e in field_errors}
                if CONCURRENT in codes and attempt.waits < MAX_CONCURRENT_WAITS:
                    attempt.waits += 1
                    self.log(f"{describe(attempt.result.step)}: another run holds this key; "
                             "waiting")
                    self._wait(attempt.waits)
                    again.append(attempt)
                    continue
                self._failed(attempt, decode.error_text(field_errors) or
                             "the store answered without a result for this mutation")
                continue
            user_errors = decode.user_errors(payload)
            codes = {e["code"] for e in user_errors}
            if STALE in codes or (MISMATCH in codes and not attempt.rebases):
                # A key used before with other parameters (a resume that once ran with another
                # reason) is told, like a stale CAS, by re-reading the levels: at target, done.
                stale.append(attempt)
            elif MISMATCH in codes:
                self._rebased_before(attempt)
            elif user_errors:
                self._refused(attempt, user_errors)
            else:
                self._landed(attempt, payload)
        if stale:
            again += self._classify(stale)
        if self._stop:
            return []
        return again

    def _variables(self, attempt: _Attempt) -> dict:
        changes = attempt.changes
        first = changes[0]
        kind = attempt.field_kind
        if kind == "activate":
            return variables.activate_variables(first.level.item_id, first.level.location_id,
                                                attempt.key)
        if kind == "bulk_toggle":
            return variables.bulk_toggle_variables(
                first.level.item_id, [(c.level.location_id, True) for c in changes])
        if kind == "deactivate":
            return variables.deactivate_variables(first.level.level_id, attempt.key)
        name = attempt.result.step.quantity
        ledger = None if name == "available" else self.reference
        rows = [variables.QuantityChange(c.level.item_id, c.level.location_id, c.delta,
                                         c.before, ledger) for c in changes]
        return variables.adjust_variables(name, self.reason, self.reference, rows,
                                          attempt.key)

    def _wait(self, waits: int) -> None:
        wait = getattr(self.transport, "wait", None)
        if wait is not None:
            wait(min(30.0, 0.5 * 2 ** (waits - 1)))

    # --- outcomes -------------------------------------------------------------------------

    def _landed(self, attempt: _Attempt, payload: dict) -> None:
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

    def _rebased_before(self, attempt: _Attempt) -> None:
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

    def _failed(self, attempt: _Attempt, why: str, what: str | None = None) -> None:
        attempt.result.status = FAILED
        attempt.result.detail = why
        what = what or describe(attempt.result.step)
        self.log(f"{what}: failed: {why}")
        self._fail(f"{what} failed: {why}")

    def _refused(self, attempt: _Attempt, user_errors: list[dict]) -> None:
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

    def _classify(self, stale: list[_Attempt]) -> list[_Attempt]:
        """Re-read the levels of stale adjusts; split each into done, resubmit and conflicts."""
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
            again.append(_Attempt(result, tuple(pending), key, attempt.resubmits + 1,
                                  rebases=tuple(rebases)))
        return again

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


def _change_id(c: Adjust) -> tuple:
    return (c.level.location_id, c.level.item_id, c.quantity)


def _derived_key(plan_id: str, step: Step, changes: Sequence[Change]) -> str:
    """The key of a resubmission: new per content, the same when this plan is run again."""
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return str(uuid5(UUID(plan_id), f"{step.step_key}/resubmit/{digest}"))


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


def _errors_by_field(response) -> dict:
    """Top-level errors keyed by the alias in their ``path`` (None for errors without one)."""
    found: dict = {}
    for error in decode.graphql_errors(response):
        path = error.get("path")
        alias = path[0] if isinstance(path, list) and path else None
        found.setdefault(alias, []).append(error)
    return found


__all__ = ["Applier", "ApplyOptions", "ApplyReport", "Conflict", "Rebase", "StepResult"]
