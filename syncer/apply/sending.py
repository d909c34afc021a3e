"""Sending: pack attempts into aliased mutation requests, send them, and sort each field's
answer (landed, refused, stale, another run holds the key, failed); a mixin of ``Applier``."""

from __future__ import annotations

from syncer.apply.attempts import (
    CONCURRENT,
    MAX_CONCURRENT_WAITS,
    MISMATCH,
    PREVIOUS_FAILED,
    STALE,
    Attempt,
)
from syncer.apply.journal import LANDED, MAX_RECORD_BYTES, NOT_APPLIED
from syncer.apply.results import FAILED, UNKNOWN, describe
from syncer.errors import RefusedError, StoreError
from syncer.plan.changes import ChangeKind
from syncer.shopify import decode, documents, variables


class Sending:
    """Requests and their answers; the outcomes are recorded by ``Outcomes`` and ``Classifying``."""

    def _run_phase(self, queue: list[Attempt]) -> None:
        size = max(1, min(self.options.fields_per_request, documents.MAX_FIELDS_PER_REQUEST - 1))
        while queue and not self._stop:
            batch, queue = queue[:size], queue[size:]
            queue = self._send(batch) + queue

    def _send(self, batch: list[Attempt]) -> list[Attempt]:
        """Send one request (its attempts, then the journal's record of them); returns the
        attempts to send again (resubmits, waits, or the second half of a split request)."""
        sent = self._journal_sent(batch)
        record, size = self._writer.record(sent)
        if size > MAX_RECORD_BYTES and len(batch) > 1:
            half = len(batch) // 2  # a record the store would refuse: fewer fields at once
            return self._send(batch[:half]) + batch[half:]
        for i, attempt in enumerate(batch):
            attempt.execution = (self._writer.next_record, i)
        kinds = [a.field_kind for a in batch]
        document = documents.apply_document(kinds)
        values: dict = {"journal": record}
        for i, attempt in enumerate(batch):
            values.update(variables.apply_field_variables(i, kinds[i], self._variables(attempt)))
        self.transport.expect_cost(document, documents.apply_cost(kinds))
        for attempt in batch:
            self.log(f"{describe(attempt.result.step)}: sending (key {attempt.key})")
        self._in_flight = [a.result for a in batch]
        try:
            response = self.transport.execute(document, values)
        except StoreError as exc:
            self._writer.lost()
            resent = self.transport.last_resent
            if isinstance(exc, RefusedError) and not resent:
                # refused before it ran (HTTP 401/403/404): nothing in it changed anything
                if not self._finished:
                    raise  # nothing ran at all: a plain error, not a partial apply
                for attempt in batch:
                    attempt.result.status = FAILED
                    attempt.result.detail = "the store refused the request; nothing in it ran"
                self._fail(str(exc))
                return []
            for attempt in batch:
                attempt.result.status = UNKNOWN
                attempt.result.detail = ("the request failed and may or may not have reached "
                                         "the store; a rerun of this plan will tell")
            self._fail(str(exc))
            return []
        self._in_flight = []
        resent = self.transport.last_resent
        data = response.get("data") if isinstance(response, dict) else None
        errors = _errors_by_field(response)
        self._journal_answered(sent, data, errors)
        again: list[Attempt] = []
        stale: list[Attempt] = []
        failed_before: list[Attempt] = []
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
                if not resent:
                    self._writer.answer(attempt.execution, NOT_APPLIED)
                self._failed(attempt, decode.error_text(field_errors) or
                             "the store answered without a result for this mutation")
                continue
            user_errors = decode.user_errors(payload)
            codes = {e["code"] for e in user_errors}
            if STALE in codes:
                stale.append(attempt)
            elif MISMATCH in codes:
                # The key was used before with other parameters: this request applied nothing,
                # but what the earlier use did is not known; read like a retry's stale answer.
                again += self._classify([attempt], maybe=True)
            elif PREVIOUS_FAILED in codes and attempt.result.step.kind is ChangeKind.ADJUST:
                self._writer.answer(attempt.execution, NOT_APPLIED)
                failed_before.append(attempt)
            elif user_errors:
                if not resent:
                    self._writer.answer(attempt.execution, NOT_APPLIED)
                self._refused(attempt, user_errors)
            else:
                self._writer.answer(attempt.execution, LANDED)
                self._landed(attempt, payload)
        if stale:
            if not resent:
                for attempt in stale:  # a stale compare-and-set: nothing in it applied
                    self._writer.answer(attempt.execution, NOT_APPLIED)
            again += self._classify([a for a in stale if not a.uncertain], maybe=resent)
            again += self._classify([a for a in stale if a.uncertain], maybe=True)
        if failed_before:
            again += self._classify(failed_before)
        if self._stop:
            return []
        return again

    def _journal_answered(self, sent, data, errors) -> None:
        """Check the journal's field: a request whose record the store did not keep stops the
        run (its record goes into the closing one), so no change is sent unrecorded."""
        payload = data.get("journal") if isinstance(data, dict) else None
        problems = decode.user_errors(payload) if isinstance(payload, dict) else None
        confirmed = isinstance(payload, dict) and not problems
        self._writer.recorded(sent, confirmed)
        if not confirmed:
            why = (decode.error_text(errors.get("journal", [])) or
                   "; ".join(e.get("message", "") for e in problems or ()) or "no answer")
            self._fail(f"the store did not keep the apply journal's record of a request ({why}); "
                       "stopped, so that nothing is sent without one")

    def _variables(self, attempt: Attempt) -> dict:
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
        self.transport.wait(min(30.0, 0.5 * 2 ** (waits - 1)))


def _errors_by_field(response) -> dict:
    """Top-level errors keyed by the alias in their ``path`` (None for errors without one)."""
    found: dict = {}
    for error in decode.graphql_errors(response):
        path = error.get("path")
        alias = path[0] if isinstance(path, list) and path else None
        found.setdefault(alias, []).append(error)
    return found
