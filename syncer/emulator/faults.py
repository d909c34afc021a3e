"""Deterministic fault injection: lost responses, HTTP 5xx, THROTTLED, latency, and sales.

A ``FaultConfig`` says how often each fault happens; a ``Faults`` object draws them from a
``random.Random(seed)``, so the same seed and the same request sequence give the same faults.
Every GraphQL request draws the same five rolls in the same order (sale, HTTP error, throttle,
drop, close), plus the sale's level and units and the latency and HTTP status when they apply,
so one fault firing does not shift the rolls of the next request. The format is documented in
``README.md`` next to this module (the ``faults`` section of the state file).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field

RATES = ("drop_after_commit", "http_error", "throttle", "close_mid_response", "sales_rate")
FIELDS = ("seed", *RATES, "latency_ms", "sales_max_units")
HTTP_ERRORS = {
    500: {"errors": "Internal Server Error"},
    502: {"errors": "Bad Gateway"},
    503: {"errors": "Service Unavailable"},
}
COUNTERS = ("drop_after_commit", "http_500", "http_502", "http_503", "throttled",
            "close_mid_response", "latency", "sale", "sale_units")
DROP = "drop_after_commit"
CLOSE = "close_mid_response"


class FaultConfigError(ValueError):
    """A fault configuration is not valid; ``problems`` is a list of ``(field, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


class ResponseLost(ConnectionResetError):
    """The request was executed and committed, then its response was lost (an injected fault).

    ``kind`` is ``drop_after_commit`` (no response at all) or ``close_mid_response`` (the
    connection closed after part of the body); ``status`` and ``body`` are the lost response.
    """

    def __init__(self, kind: str, status: int, body: dict) -> None:
        super().__init__(f"emulator fault: {kind} (the request was executed and committed)")
        self.kind = kind
        self.status = status
        self.body = body


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


@dataclass(frozen=True)
class FaultConfig:
    """How often each fault happens. Rates are probabilities per request, from 0 to 1.

    ``latency_ms`` is ``(low, high)``: a fixed delay when equal, else uniform in the range.
    ``sales_rate`` is the chance that a simulated sale happens before a request; a sale takes
    1..``sales_max_units`` units of ``available`` from a random active level that has some.

    Example:
        >>> FaultConfig.from_dict({"seed": 7, "throttle": 0.25, "latency_ms": [5, 20]})
        FaultConfig(seed=7, drop_after_commit=0.0, http_error=0.0, throttle=0.25, \
close_mid_response=0.0, sales_rate=0.0, latency_ms=(5.0, 20.0), sales_max_units=1)
    """

    seed: int = 0
    drop_after_commit: float = 0.0
    http_error: float = 0.0
    throttle: float = 0.0
    close_mid_response: float = 0.0
    sales_rate: float = 0.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    sales_max_units: int = 1

    def __post_init__(self) -> None:
        problems = _check(asdict(self))
        if problems:
            raise FaultConfigError(problems)
        object.__setattr__(self, "latency_ms", _latency(self.latency_ms))
        for name in RATES:
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def from_dict(cls, data: object) -> FaultConfig:
        """Build from the state file's ``faults`` object; raises ``FaultConfigError``."""
        if not isinstance(data, dict):
            raise FaultConfigError([("faults", "must be an object")])
        problems = [(k, "unknown field") for k in sorted(set(data) - set(FIELDS), key=str)]
        known = {k: v for k, v in data.items() if k in FIELDS}
        problems += _check(known)
        if problems:
            raise FaultConfigError(problems)
        return cls(**known)

    def to_dict(self) -> dict:
        """The state file's ``faults`` object (``from_dict`` of it gives an equal config)."""
        data = asdict(self)
        low, high = self.latency_ms
        data["latency_ms"] = low if low == high else [low, high]
        return data

    @property
    def active(self) -> bool:
        """True when some fault can happen."""
        return any(getattr(self, name) > 0 for name in RATES) or self.latency_ms[1] > 0


def _latency(value: object) -> tuple[float, float] | None:
    if _number(value):
        return float(value), float(value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(map(_number, value)):
        return float(value[0]), float(value[1])
    return None


def _check(data: dict) -> list[tuple[str, str]]:
    problems = []
    if "seed" in data and (isinstance(data["seed"], bool) or not isinstance(data["seed"], int)):
        problems.append(("seed", f"must be an integer, got {data['seed']!r}"))
    for name in RATES:
        if name in data:
            value = data[name]
            if not _number(value) or not 0 <= value <= 1:
                problems.append((name, f"must be a number from 0 to 1, got {value!r}"))
    if "latency_ms" in data:
        latency = _latency(data["latency_ms"])
        if latency is None or latency[0] < 0 or latency[0] > latency[1]:
            problems.append(("latency_ms", "must be a number of milliseconds >= 0 or a range "
                                           f"[low, high] with 0 <= low <= high, "
                                           f"got {data['latency_ms']!r}"))
    if "sales_max_units" in data:
        units = data["sales_max_units"]
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            problems.append(("sales_max_units", f"must be an integer >= 1, got {units!r}"))
    return problems


@dataclass
class Plan:
    """The faults drawn for one request."""

    request: int
    latency: float = 0.0
    http_status: int | None = None
    throttle: bool = False
    lose: str | None = None  # DROP or CLOSE, if the request carries a mutation
    sale: dict | None = None


@dataclass
class Faults:
    """A seeded fault source with counters by kind (``counts``; see ``COUNTERS``)."""

    config: FaultConfig
    requests: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def count(self, kind: str, amount: int = 1) -> None:
        """Add to a counter."""
        self.counts[kind] = self.counts.get(kind, 0) + amount

    def draw(self, store, request: int | None = None) -> Plan:
        """The faults for the next request; applies the simulated sale (if any) to ``store``.

        Call with the emulator's lock held, once per GraphQL request, in request order;
        ``request`` is the emulator's request number (recorded with sales).
        """
        config, rng = self.config, self.rng
        self.requests += 1
        plan = Plan(self.requests if request is None else request)
        sale_roll, http_roll, throttle_roll, drop_roll, close_roll = (
            rng.random() for _ in range(5))
        if sale_roll < config.sales_rate:
            plan.sale = self._sell(store, plan.request)
        low, high = config.latency_ms
        if high > 0:
            plan.latency = (low if low == high else rng.uniform(low, high)) / 1000
            self.count("latency")
        if http_roll < config.http_error:
            plan.http_status = rng.choice(sorted(HTTP_ERRORS))
            self.count(f"http_{plan.http_status}")
        elif throttle_roll < config.throttle:
            plan.throttle = True
        elif drop_roll < config.drop_after_commit:
            plan.lose = DROP
        elif close_roll < config.close_mid_response:
            plan.lose = CLOSE
        return plan

    def _sell(self, store, request: int) -> dict | None:
        candidates = [lv for lv in store.levels_of(include_inactive=False)
                      if lv.quantity("available") > 0]
        if not candidates:
            return None
        level = self.rng.choice(candidates)
        units = self.rng.randint(1, min(self.config.sales_max_units, level.quantity("available")))
        sale = store.sell(level, units, request)
        self.count("sale")
        self.count("sale_units", units)
        return sale

    def report(self) -> dict:
        """``{"counts", "requests"}`` for ``GET /_emulator/faults``."""
        return {"counts": dict(self.counts), "requests": self.requests}
