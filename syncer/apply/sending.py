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
from syncer.apply.results import FAILED, UNKNOWN, describe
from syncer.errors import RefusedError, StoreError
from syncer.plan.changes import ChangeKind
from syncer.shopify import decode, documents, variables


class Sending:
    """Requests and their answers; the outcomes are recorded by ``Outcomes`` and ``Classifying``."""

    def _run_phase(self, queue: list[Attempt]) -> None:
        size = max(1, min(self.options.fields_per_request, documents.MAX_FIELDS_PER_REQUEST))
        while queue and not self._stop:
            batch, queue = queue[:size], queue[size:]
            queue = self._send(batch) + queue

    def _send(self, batch: list[Attempt]) -> list[Attempt]:
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
        self.sent([a.result.step.step_key for a in batch])
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
        resent = bool(getattr(self.transport, "last_resent", False))
        data = response.get("data") if isinstance(response, dict) else None
        errors = _errors_by_field(response)
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
                self._failed(attempt, decode.error_text(field_errors) or
                             "the store answered without a result for this mutation")
                continue
            user_errors = decode.user_errors(payload)
            codes = {e["code"] for e in user_errors}
            if STALE in codes or (MISMATCH in codes and not attempt.rebases):
                # A key used before with other parameters (a resume that once ran with another
                # reason) is told, like a stale CAS, by re-reading the levels: at target, done.
                stale.append(attempt)
            elif PREVIOUS_FAILED in codes and attempt.result.step.kind is ChangeKind.ADJUST:
                failed_before.append(attempt)
            elif MISMATCH in codes:
                self._rebased_before(attempt)
            elif user_errors:
                self._refused(attempt, user_errors)
            else:
                self._landed(attempt, payload)
        if stale:
            again += self._classify(stale, resent)
        if failed_before:
            again += self._classify(failed_before, known_unlanded=True)
        if self._stop:
            return []
        return again

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
        wait = getattr(self.transport, "wait", None)
        if wait is not None:
            wait(min(30.0, 0.5 * 2 ** (waits - 1)))


def _errors_by_field(response) -> dict:
    """Top-level errors keyed by the alias in their ``path`` (None for errors without one)."""
    found: dict = {}
    for error in decode.graphql_errors(response):
        path = error.get("path")
        alias = path[0] if isinstance(path, list) and path else None
        found.setdefault(alias, []).append(error)
    return found
