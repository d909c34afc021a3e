"""Sending: one request (the attempts as aliased mutation fields, then the apply journal's record
of them), and the store's answer to each field as a value; nothing here changes a step's result.

``build_request`` makes the request, ``send`` sends it and returns ``Delivered`` (an ``Answer``
per attempt) or ``Lost`` (no answer: it may or may not have run); ``journal_answer`` says what
the journal records of an answer. ``read_journal`` and ``write_closing`` read and close the
journal in the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from syncer.apply.attempts import (
    CONCURRENT,
    MAX_CONCURRENT_WAITS,
    MISMATCH,
    PREVIOUS_FAILED,
    STALE,
    Attempt,
)
from syncer.apply.journal import LANDED, NOT_APPLIED, Journal, namespace
from syncer.errors import RefusedError, StoreError
from syncer.plan.changes import Adjust, ChangeKind
from syncer.shopify import decode, documents, variables
from syncer.shopify.transport import Transport


@dataclass(frozen=True, slots=True)
class Request:
    """One request: the mutation document of a batch and its variables (the journal's too)."""

    document: str
    variables: dict[str, Any]
    #: Its cost in points, told to the pacer before it is sent.
    cost: int


@dataclass(frozen=True, slots=True)
class Landed:
    """The mutation ran (now, or before under the same key) and answered ``payload``."""

    payload: object


@dataclass(frozen=True, slots=True)
class Stale:
    """``CHANGE_FROM_QUANTITY_STALE``: a compare-and-set failed; nothing in the mutation ran."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used before with other parameters: nothing ran now, the earlier use unknown."""


@dataclass(frozen=True, slots=True)
class PreviousFailed:
    """The key's earlier attempt failed (an adjust): nothing landed under it."""


@dataclass(frozen=True, slots=True)
class Refused:
    """The store refused the mutation (all or nothing) with these user errors."""

    user_errors: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class FieldError:
    """No result for the field, with the errors' text."""

    text: str


@dataclass(frozen=True, slots=True)
class Concurrent:
    """Another process holds the key, and this attempt may wait for it again."""


@dataclass(frozen=True, slots=True)
class Malformed:
    """A field's answer syncer cannot read: the run stops with ``error`` when it comes to it."""

    error: StoreError


Answer = Landed | Stale | Mismatch | PreviousFailed | Refused | FieldError | Concurrent | Malformed


@dataclass(frozen=True, slots=True)
class Delivered:
    """The store answered: an answer per attempt, in the batch's order. ``resent``: the
    transport sent the request again after a lost answer, so it may have run twice.
    ``journal_problem``: why the store did not keep the journal's record (None: it did)."""

    answers: tuple[Answer, ...]
    resent: bool
    journal_problem: str | None


@dataclass(frozen=True, slots=True)
class Lost:
    """The request failed without an answer (after the transport's retries)."""

    error: StoreError
    resent: bool

    @property
    def never_ran(self) -> bool:
        """Refused before it ran (HTTP 401/403/404, never sent again): nothing in it changed."""
        return isinstance(self.error, RefusedError) and not self.resent


def build_request(batch: Sequence[Attempt], record: list[dict[str, Any]], reason: str,
                  reference: str) -> Request:
    """The request that sends ``batch`` (fields ``s0``, ``s1``...), then the journal ``record``."""
    kinds = [a.field_kind for a in batch]
    values: dict[str, Any] = {"journal": record}
    for i, attempt in enumerate(batch):
        values.update(variables.apply_field_variables(
            i, kinds[i], field_variables(attempt, reason, reference)))
    return Request(documents.apply_document(kinds), values, documents.apply_cost(kinds))


def field_variables(attempt: Attempt, reason: str, reference: str) -> dict[str, Any]:
    """The variables of one attempt's mutation field."""
    changes = attempt.changes
    first = changes[0].level
    kind = attempt.field_kind
    if kind == "activate":
        return variables.activate_variables(first.item_id, first.location_id, attempt.key)
    if kind == "bulk_toggle":
        return variables.bulk_toggle_variables(
            first.item_id, [(c.level.location_id, True) for c in changes])
    if kind == "deactivate":
        # an active level always has its id (the plan read it live)
        return variables.deactivate_variables(cast(str, first.level_id), attempt.key)
    name = str(attempt.result.step.quantity)
    ledger = None if name == "available" else reference
    rows = [variables.QuantityChange(c.level.item_id, c.level.location_id, c.delta, c.before,
                                     ledger) for c in changes if isinstance(c, Adjust)]
    return variables.adjust_variables(name, reason, reference, rows, attempt.key)


def send(transport: Transport, request: Request, batch: Sequence[Attempt]) -> Delivered | Lost:
    """Send ``request`` (the attempts of ``batch``) and read its answer."""
    transport.expect_cost(request.document, request.cost)
    try:
        response = transport.execute(request.document, request.variables)
    except StoreError as exc:
        return Lost(exc, transport.last_resent)
    return read_response(batch, response, transport.last_resent)


def read_response(batch: Sequence[Attempt], response: object, resent: bool) -> Delivered:
    """Each attempt's answer in ``response``, and whether the journal's record was kept."""
    data = response.get("data") if isinstance(response, dict) else None
    errors = _errors_by_field(response)
    answers = tuple(read_answer(attempt, data.get(f"s{i}") if isinstance(data, dict) else None,
                                errors.get(f"s{i}", []) + errors.get(None, []))
                    for i, attempt in enumerate(batch))
    payload = data.get("journal") if isinstance(data, dict) else None
    problems = decode.user_errors(payload) if isinstance(payload, dict) else None
    problem = None
    if not isinstance(payload, dict) or problems:
        problem = (decode.error_text(errors.get("journal", [])) or
                   "; ".join(e.get("message", "") for e in problems or ()) or "no answer")
    return Delivered(answers, resent, problem)


def read_answer(attempt: Attempt, payload: object,
                field_errors: Sequence[Mapping[str, Any]]) -> Answer:
    """What the store answered one attempt: its field's ``payload`` and the errors about it."""
    if payload is None:
        codes = {decode.error_code(e) for e in field_errors}
        if CONCURRENT in codes and attempt.waits < MAX_CONCURRENT_WAITS:
            return Concurrent()
        return FieldError(decode.error_text(field_errors) or
                          "the store answered without a result for this mutation")
    try:
        user_errors = decode.user_errors(payload)  # type: ignore[arg-type]
    except StoreError as exc:
        return Malformed(exc)
    found = {e["code"] for e in user_errors}
    if STALE in found:
        return Stale()
    if MISMATCH in found:
        return Mismatch()
    if PREVIOUS_FAILED in found and attempt.result.step.kind is ChangeKind.ADJUST:
        return PreviousFailed()
    if user_errors:
        return Refused(tuple(user_errors))
    return Landed(payload)


def journal_answer(answer: Answer, resent: bool) -> str | None:
    """What the journal records of an answer: ``landed``, or ``not_applied`` for an answer that
    says nothing in the mutation ran, except to a request sent again (it may have run before
    the resend was answered); None where the answer settles nothing (a wait, a reused key)."""
    if isinstance(answer, Landed):
        return LANDED
    if isinstance(answer, PreviousFailed):
        return NOT_APPLIED
    if isinstance(answer, Stale | Refused | FieldError) and not resent:
        return NOT_APPLIED
    return None


def concurrent_wait(waits: int) -> float:
    """Seconds to wait for another process that holds the key, after ``waits`` waits."""
    return min(30.0, 0.5 * 2.0 ** (waits - 1))


def read_journal(transport: Transport, plan_id: str, sizes: Sequence[int],
                 ) -> tuple[str, Journal]:
    """The shop's id and every record earlier runs of the plan left (``StoreError`` if the
    journal cannot be read: a run must not guess that nothing was sent)."""
    values: list[str] = []
    after = None
    while True:
        try:
            data = decode.raise_for_errors(transport.execute(documents.JOURNAL_QUERY, {
                "namespace": namespace(plan_id), "after": after}))
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
    return shop_id, Journal.from_values(values, sizes)


def write_closing(transport: Transport, closing: list[dict[str, Any]]) -> None:
    """Write the journal's closing record (``StoreError`` when the store does not keep it)."""
    response = transport.execute(documents.JOURNAL_WRITE, {"journal": closing})
    payload = (response.get("data") or {}).get("journal") if isinstance(response, dict) else None
    if not isinstance(payload, dict) or payload.get("userErrors"):
        raise StoreError(f"the store refused it: {payload and payload.get('userErrors')}")


def _errors_by_field(response: object) -> dict[str | None, list[dict[str, Any]]]:
    """Top-level errors keyed by the alias in their ``path`` (None for errors without one)."""
    found: dict[str | None, list[dict[str, Any]]] = {}
    for error in decode.graphql_errors(response):
        path = error.get("path")
        alias = path[0] if isinstance(path, list) and path else None
        found.setdefault(alias, []).append(error)
    return found
