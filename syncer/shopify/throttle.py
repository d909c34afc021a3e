"""Shopify's cost bucket: how long to wait before a document, and after ``THROTTLED``.

Shopify meters the Admin API with a leaky bucket of cost points; every answer carries
``extensions.cost.throttleStatus`` (points available, bucket size, restore rate per second).
``Bucket`` remembers the last status and what each document was priced at, so the transport can
wait before sending a document whose cost is not there yet (pacing) and wait exactly as long as
the bucket needs after a ``THROTTLED`` answer. Times are rounded up to the millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from syncer.errors import StoreError

#: The shortest wait: a bucket a hair short (float rounding) must not be retried in a tight loop.
MIN_WAIT = 0.001


class Bucket:
    """The bucket as the last ``throttleStatus`` showed it, read on ``clock`` (seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._status: tuple[float, float, float, float] | None = None  # avail, max, rate, seen
        self._expected: dict[str, float] = {}

    def observe(self, document: str, cost: Mapping[str, Any]) -> None:
        """Remember an answer's ``extensions.cost`` for ``document``."""
        if cost.get("requestedQueryCost") is not None:
            self._expected[document] = float(cost["requestedQueryCost"])
        status = _status(cost)
        if status is not None:
            self._status = (*status, self._clock())

    def expect(self, document: str, points: float) -> None:
        """What ``document`` will cost before it is first sent (mutations)."""
        self._expected.setdefault(document, float(points))

    def expected(self, document: str) -> float | None:
        """The points ``document`` cost last time (or was expected to), if known."""
        return self._expected.get(document)

    def delay_before(self, document: str) -> float:
        """Seconds to wait before sending ``document`` so that its cost is available (or 0)."""
        expected = self._expected.get(document)
        if expected is None or self._status is None:
            return 0.0
        available, maximum, rate, seen = self._status
        if rate <= 0 or expected > maximum:
            return 0.0
        now_available = min(maximum, available + rate * max(0.0, self._clock() - seen))
        return round_up((expected - now_available) / rate)

    @staticmethod
    def delay_after_throttle(cost: Mapping[str, Any], max_delay: float) -> float | None:
        """Seconds until the bucket holds the requested cost of a ``THROTTLED`` answer.

        None when the answer has no usable throttle status (back off instead); ``StoreError``
        when the query costs more than the whole bucket, which no wait can fix.
        """
        status = _status(cost)
        try:
            requested = float(cost.get("requestedQueryCost"))  # type: ignore[arg-type]  # None: caught
        except (TypeError, ValueError):
            return None
        if status is None:
            return None
        available, maximum, rate = status
        if requested > maximum:
            raise StoreError(
                f"a query costs {requested:.0f} points but the bucket holds only {maximum:.0f}"
            )
        delay = (requested - available) / rate if rate > 0 else max_delay
        return max(MIN_WAIT, round_up(delay))


def _status(cost: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """``(available, maximum, restore rate)`` of a ``throttleStatus``, None if unusable."""
    status = cost.get("throttleStatus") or {}
    try:
        return (
            float(status["currentlyAvailable"]),
            float(status["maximumAvailable"]),
            float(status["restoreRate"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def round_up(seconds: float) -> float:
    """``seconds`` rounded up to the millisecond (a virtual clock must visibly move).

    >>> round_up(7.000000000000001), round_up(6e-18), round_up(-2.0)
    (7.0, 0.001, 0.0)
    """
    if seconds <= 0:
        return 0.0
    return max(MIN_WAIT, math.ceil(seconds * 1000 - 1e-6) / 1000)
