"""Discount changes: activate or deactivate a code discount, planned from ``kind: DiscountCodes``.

Both mutations rewrite the discount's schedule (seed 003), so the plan says how:

* deactivating an active discount ends it now (``endsAt`` = now);
* deactivating a scheduled one (not started yet) moves both ``startsAt`` and ``endsAt`` to now:
  the schedule is lost, so that is an unsafe finding (``apply`` needs ``--force``);
* activating a discount removes its end date (``endsAt`` = null) and keeps ``startsAt``: a
  warning shows the end date that goes.

``active: true`` asks for a discount that runs now. A scheduled discount is left alone (with a
warning): activation keeps ``startsAt``, so it would not start any sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from syncer.errors import Source, quoted
from syncer.model import DISCOUNT_GID, DesiredDiscount, LiveDiscount
from syncer.plan.notices import Finding, Notice, PlanProblem, PlanWarning

_N = TypeVar("_N", bound=Notice)

ACTIVE, SCHEDULED, EXPIRED = "ACTIVE", "SCHEDULED", "EXPIRED"
#: The ``kind`` of a discount change in plan files and reports.
ACTIVATE, DEACTIVATE = "discount_activate", "discount_deactivate"


@dataclass(frozen=True, slots=True)
class DiscountChange:
    """Activate (``active``) or deactivate one code discount; the schedule is as observed.

    ``ref`` is the code or gid the manifest names it by.
    """

    ref: str
    active: bool
    discount_id: str
    title: str
    status: str
    starts_at: str
    ends_at: str | None = None

    @property
    def kind(self) -> str:
        return ACTIVATE if self.active else DEACTIVATE

    @property
    def verb(self) -> str:
        return "activate" if self.active else "deactivate"

    @property
    def schedule_after(self) -> tuple[str, str | None]:
        """``(startsAt, endsAt)`` after the change, with "now" for the time it runs."""
        if self.active:
            return self.starts_at, None
        return ("now" if self.status == SCHEDULED else self.starts_at), "now"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "id": self.discount_id,
                "title": self.title, "status": self.status, "starts_at": self.starts_at,
                "ends_at": self.ends_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiscountChange:
        if data["kind"] not in (ACTIVATE, DEACTIVATE):
            raise ValueError(f"unknown discount change kind {data['kind']!r}")
        return cls(data["ref"], data["kind"] == ACTIVATE, data["id"], data["title"],
                   data["status"], data["starts_at"], data["ends_at"])

    @property
    def name(self) -> str:
        """How people read it: the code, or the title of one named by id."""
        return f"{self.title} ({self.ref})" if self.ref.startswith(DISCOUNT_GID) else self.ref


def schedule_text(starts: str, ends: str | None) -> str:
    """``from 2026-03-01T00:00:00Z until 2026-06-01T00:00:00Z`` (``no end date`` for None)."""
    return f"from {starts} " + (f"until {ends}" if ends else "with no end date")


@dataclass(frozen=True, slots=True)
class DiscountPlan:
    """What ``plan_discounts`` found: changes, and notices for the plan."""

    changes: tuple[DiscountChange, ...] = ()
    errors: tuple[PlanProblem, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    findings: tuple[Finding, ...] = ()


def plan_discounts(
    desired: Iterable[DesiredDiscount], live: Mapping[str, LiveDiscount],
    selected: Callable[[str], bool] | None = None,
) -> DiscountPlan:
    """The changes that bring the live discounts to ``desired``, with errors and notices.

    With ``selected`` (``--target``/``--exclude``), only the discounts whose ref it accepts are
    compared; errors (an unknown or duplicate discount) are reported for every one.
    """
    changes, errors, warnings, findings = [], [], [], []
    seen: dict[str, DesiredDiscount] = {}
    for d in desired:
        lv = live.get(d.key)
        if lv is None:
            errors.append(_unknown(d))
            continue
        first = seen.setdefault(lv.id, d)
        if first is not d:  # one by code, one by id: the same discount
            errors.append(PlanProblem("duplicate_discount", (
                f"{quoted(d.ref)} is the discount {quoted(first.ref)} names at {first.source} "
                f"({lv.id}): keep one of them"), source=d.source))
            continue
        if selected is not None and not selected(d.ref):
            continue
        change = DiscountChange(d.ref, d.active, lv.id, lv.title, lv.status, lv.starts_at,
                                lv.ends_at)
        before = schedule_text(lv.starts_at, lv.ends_at)
        if d.active and lv.status == SCHEDULED:
            warnings.append(_note(PlanWarning, "discount_scheduled", d.source, (
                f"discount {change.name} is scheduled {before}; syncer leaves it scheduled "
                "(activating keeps its start date, so it would not start sooner)")))
        elif d.active and lv.status == EXPIRED:
            changes.append(change)
            warnings.append(_note(PlanWarning, "discount_end_removed", d.source, (
                f"activating discount {change.name} removes its end date {lv.ends_at}: it will "
                f"run {schedule_text(lv.starts_at, None)}")))
        elif not d.active and lv.status == SCHEDULED:
            changes.append(change)
            findings.append(_note(Finding, "discount_schedule_lost", d.source, (
                f"deactivating discount {change.name}, scheduled {before}, moves its start and "
                "end to now: the schedule is lost (activating it later will not restore it)")))
        elif not d.active and lv.status == ACTIVE:
            changes.append(change)
    changes.sort(key=lambda c: (c.ref.casefold(), c.ref))
    return DiscountPlan(tuple(changes), tuple(errors), tuple(warnings), tuple(findings))


def _unknown(d: DesiredDiscount) -> PlanProblem:
    if d.ref.startswith(DISCOUNT_GID):
        return PlanProblem("unknown_discount", f"code discount {d.ref} does not exist in the store",
                           source=d.source)
    return PlanProblem("unknown_discount",
                       f"unknown discount code {quoted(d.ref)}: no code discount has this code",
                       source=d.source)


def _note(kind: type[_N], code: str, source: Source, message: str) -> _N:
    return kind(code, message, source=source)


def change_lines(changes: Iterable[DiscountChange]) -> list[tuple[str, str, str]]:
    """``(symbol, label, text)`` rows for the plan: ``+`` activate, ``-`` deactivate."""
    rows = []
    for c in changes:
        starts, ends = c.schedule_after
        text = (f"{c.verb}   {c.status.lower()} {schedule_text(c.starts_at, c.ends_at)} -> "
                f"{schedule_text(starts, ends)}")
        rows.append(("+" if c.active else "-", c.name, text))
    return rows


def drift_entries(changes: Iterable[DiscountChange]) -> list[dict[str, Any]]:
    """Drift of the discounts: each one whose state differs from its manifest."""
    return [{"kind": "discount", "discount": c.ref, "discount_id": c.discount_id,
             "title": c.title, "desired": "active" if c.active else "inactive",
             "live": c.status.lower(), "starts_at": c.starts_at, "ends_at": c.ends_at}
            for c in changes]


def summary_text(changes: Iterable[DiscountChange]) -> str:
    """`` Discount codes: 1 to activate, 2 to deactivate.`` ('' without discount changes)."""
    changes = list(changes)
    if not changes:
        return ""
    up = sum(c.active for c in changes)
    return f" Discount codes: {up} to activate, {len(changes) - up} to deactivate."
