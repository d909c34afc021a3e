"""Apply a plan's code discount changes, after its steps, each exactly once.

``discountCodeActivate``/``discountCodeDeactivate`` take no idempotency key, so exactly-once
comes from reading: each discount is re-read just before its write. One already in the desired
state is reported as already applied (an earlier run of this plan, or someone else, did it) and
not written again, so a rerun of a plan resumes where it stopped. One whose status moved to
something the plan did not see is not written (the plan's schedule warning would be wrong):
that stops the run, as any error does, and the rest are not attempted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncer.apply.report import ApplyReport
from syncer.apply.results import ALREADY, APPLIED, FAILED, NOT_ATTEMPTED, UNKNOWN
from syncer.errors import RemoteError, StoreError
from syncer.plan.discounts import ACTIVE, EXPIRED, DiscountChange, schedule_text
from syncer.shopify.discounts import read_discount, toggle_discount
from syncer.shopify.transport import Transport


@dataclass(slots=True)
class DiscountResult:
    """What happened to one discount change; ``after`` is the schedule the store answered."""

    change: DiscountChange
    status: str = NOT_ATTEMPTED
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.change
        return {"kind": c.kind, "ref": c.ref, "id": c.discount_id, "status": self.status,
                "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.change.verb} discount {self.change.name}"


def done_state(change: DiscountChange) -> str:
    """The status a discount has once ``change`` is applied."""
    return ACTIVE if change.active else EXPIRED


def apply_discounts(
    transport: Transport, report: ApplyReport, log: Callable[[str], None] | None = None
) -> None:
    """Run ``report.discounts`` (not attempted yet) in order; stop at the first error."""
    log = log or (lambda _text: None)
    for result in report.discounts:
        if report.error is not None:
            return
        try:
            _apply_one(transport, report, result, log)
        except KeyboardInterrupt:
            result.status = UNKNOWN
            result.detail = "interrupted while the request was in flight"
            report.interrupted = True
            return


def _apply_one(transport: Transport, report: ApplyReport, result: DiscountResult,
               log: Callable[[str], None]) -> None:
    """Re-read one discount, then write it unless it is already so or has moved."""
    change = result.change
    try:
        live = read_discount(transport, change.discount_id)
        if live is None:
            _fail(report, result, "the discount no longer exists")
            return
        if live.status == done_state(change):
            result.status = ALREADY
            result.detail = f"already {live.status.lower()}; not written again"
            log(f"{result}: {result.detail}")
            return
        if live.status != change.status:
            _fail(report, result, (
                f"its status moved from {change.status} to {live.status} since the plan "
                f"({schedule_text(live.starts_at, live.ends_at)}); plan again"))
            return
        log(f"{result}: sending")
        after = toggle_discount(transport, change.discount_id, change.active)
    except RemoteError as exc:
        _fail(report, result, str(exc))
        return
    except StoreError as exc:
        result.status = UNKNOWN
        result.detail = ("the request failed and may or may not have reached the store; a "
                         "rerun of this plan will tell")
        report.error = str(exc)
        return
    result.status = APPLIED
    schedule = schedule_text(after.starts_at, after.ends_at)
    result.detail = f"now {after.status.lower()} {schedule}"
    log(f"{result}: {result.detail}")


def _fail(report: ApplyReport, result: DiscountResult, why: str) -> None:
    result.status = FAILED
    result.detail = why
    report.error = f"{result}: {why}"
