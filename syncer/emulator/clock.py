"""The emulator's leaky bucket and its clocks: real time, or simulated time (benchmarks, tests,
a state file's ``clock``). What waits at all is the emulator's ``timing`` (``handler.py``).

Shopify: "Limits are enforced with a leaky bucket: your quota refills continuously, so short
bursts are fine as long as your average cost stays under the restore rate." Plans restore 100,
200, 1000 or 2000 points/s. The costs the bucket spends are computed in ``cost.py``.
"""

import threading
import time


class RealClock:
    """Monotonic wall time; ``sleep`` really sleeps."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Simulated time: ``sleep`` and ``advance`` move the clock forward without waiting.

    Example:
        >>> clock = VirtualClock()
        >>> clock.sleep(1.5)
        >>> clock.now()
        1.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        # A served emulator's handler threads and an in-process client may both wait on it.
        self._lock = threading.Lock()

    def now(self) -> float:
        """The simulated time in seconds."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the simulated time by ``seconds`` and return at once."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move the simulated time forward; time never runs backwards."""
        if seconds < 0:
            raise ValueError(f"cannot advance a clock by a negative time ({seconds})")
        with self._lock:
            self._now += seconds


class LeakyBucket:
    """Shopify's cost bucket: refills continuously at ``restore_rate`` points/s up to ``maximum``.

    ``instant`` (the emulator's ``instant`` timing): the bucket refills at once, so it is never
    dry; a query costing more than ``maximum`` is still refused, as no wait would let it run.

    Example:
        >>> bucket = LeakyBucket(maximum=100.0, restore_rate=10.0, clock=VirtualClock())
        >>> bucket.try_take(100), bucket.try_take(1)
        (True, False)
    """

    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0, clock=None,
                 instant: bool = False) -> None:
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self.clock = clock if clock is not None else RealClock()
        self.instant = instant
        self._available = self.maximum
        self._last = self.clock.now()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock.now()
        elapsed = max(0.0, now - self._last)
        self._last = now
        if self.instant:
            self._available = self.maximum
        else:
            self._available = min(self.maximum, self._available + elapsed * self.restore_rate)

    def try_take(self, cost: float) -> bool:
        """Refill for the time elapsed, then take ``cost`` if the bucket holds it."""
        with self._lock:
            self._refill()
            # A millionth of a point is float noise (a client that waited exactly
            # deficit / rate seconds must not be throttled for it).
            if cost > self._available + 1e-6:
                return False
            self._available = max(0.0, self._available - cost)
            return True

    def refund(self, amount: float) -> None:
        """Give back ``amount`` points (requested minus actual cost), capped at the maximum."""
        with self._lock:
            self._refill()
            self._available = max(0.0, min(self.maximum, self._available + amount))

    def status(self) -> dict[str, float]:
        """The ``throttleStatus`` block of ``extensions.cost``."""
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": self._available,
                "restoreRate": self.restore_rate,
            }
