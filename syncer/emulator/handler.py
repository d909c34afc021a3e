"""``Emulator``: one GraphQL request in, one (HTTP status, JSON body) out, with cost and state."""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime

from graphql import ExecutionResult, GraphQLError, OperationType, execute, parse, validate
from graphql.utilities import get_operation_ast

from syncer.emulator.bulk import Bulk, BulkSettings
from syncer.emulator.checks import (
    exceeds,
    limit_errors,
    literal_limits,
    shopify_validation_error,
)
from syncer.emulator.clock import LeakyBucket, RealClock, VirtualClock
from syncer.emulator.context import Context
from syncer.emulator.cost import (
    MAX_QUERY_COST,
    actual_cost,
    max_cost_exceeded_error,
    requested_cost,
    throttled_error,
)
from syncer.emulator.fastquery import execute_fast
from syncer.emulator.faults import HTTP_ERRORS, FaultConfig, Faults, ResponseLost
from syncer.emulator.oauth import OAuth
from syncer.emulator.schema import build_emulator_schema
from syncer.emulator.scopes import middleware
from syncer.emulator.state import load_state, save_state, state_from_store, store_from_state
from syncer.emulator.store import KEY_REPLAY_MODES, TIMINGS, Store
from syncer.emulator.versions import LATEST, VERSION_HEADER, served_version, version

API_VERSION = LATEST
API_PATH = f"/admin/api/{API_VERSION}/graphql.json"
_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
NOT_FOUND = {"errors": "Not Found"}
UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
# Virtual time starts here, so timestamps in responses are plausible and repeatable.
VIRTUAL_EPOCH = datetime(2026, 4, 1, tzinfo=UTC).timestamp()


def wall_time(clock) -> float:
    """The clock's wall time in seconds since the epoch (a virtual clock starts in 2026-04)."""
    return VIRTUAL_EPOCH + clock.now() if isinstance(clock, VirtualClock) else time.time()


def now_iso(clock) -> str:
    """The clock's wall time as Shopify prints ``DateTime`` values (``...Z``)."""
    return datetime.fromtimestamp(wall_time(clock), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Emulator:
    """A local Shopify Admin GraphQL API (2026-04, 2026-07, 2026-10) over an in-memory store.

    ``handle`` is thread-safe: a lock makes each request, and so each mutation, atomic.
    With a ``path``, every request that changes the store saves it back atomically.

    ``faults`` (a ``FaultConfig``) injects faults; without it, the state's ``faults`` section
    is used. ``self.faults`` is the ``Faults`` object (counters) or None. ``self.requests``
    counts GraphQL requests (well-formed and authorized ones).

    ``key_replay`` (``cached``, ``reevaluate`` or ``ignored``) says how a repeated idempotency
    key is answered; without it, the state's ``key_replay`` is used (the file is not changed).

    ``timing`` (``TIMINGS``) says whether anything takes time: ``shopify`` runs bulk operations
    at their settings' speed and refills the cost bucket at its restore rate, on ``clock``;
    ``instant`` finishes a bulk operation when it is created and keeps the bucket full, so a
    client in process never waits for the emulator. Without it: the state's ``timing``, else
    ``shopify`` when there is a clock to keep (``clock`` given, or the state's ``clock``), else
    ``instant`` (a local state file, the embedded default).
    """

    def __init__(self, store: Store, clock=None, path: str | os.PathLike | None = None,
                 faults: FaultConfig | None = None, key_replay: str | None = None,
                 bulk: BulkSettings | None = None, timing: str | None = None) -> None:
        if key_replay is not None and key_replay not in KEY_REPLAY_MODES:
            raise ValueError(f"key_replay must be one of {', '.join(KEY_REPLAY_MODES)}")
        if timing is not None and timing not in TIMINGS:
            raise ValueError(f"timing must be one of {', '.join(TIMINGS)}")
        self.key_replay = key_replay or store.key_replay
        kept = clock is not None or store.clock is not None
        self.timing = timing or store.timing or ("shopify" if kept else "instant")
        self.store = store
        # A state file with a ``clock`` runs on a simulated clock from that time: waits
        # (latency, pacing, retries) advance it at once, and every save writes the time reached.
        self.simulated = clock is None and store.clock is not None
        if self.simulated:
            clock = VirtualClock(store.clock - VIRTUAL_EPOCH)
        self.clock = clock or RealClock()
        self.path = path
        instant = self.timing == "instant"
        self.bucket = LeakyBucket(maximum=store.throttle["maximumAvailable"],
                                  restore_rate=store.throttle["restoreRate"], clock=self.clock,
                                  instant=instant)
        self._lock = threading.RLock()
        self._documents: dict[str, tuple] = {}
        self.requests = 0
        self.bulk = Bulk(self.clock, lambda: wall_time(self.clock), bulk, instant=instant)
        self.faults: Faults | None = None
        self.set_faults(faults if faults is not None else store.faults)
        self.oauth = OAuth(store, self.clock)  # installed apps, minted tokens (oauth.py)

    @classmethod
    def load(cls, path: str | os.PathLike, clock=None, faults: FaultConfig | None = None,
             key_replay: str | None = None, timing: str | None = None) -> Emulator:
        """An emulator over a state file; raises ``StateError`` if the file is not valid."""
        return cls(load_state(path), clock=clock, path=path, faults=faults,
                   key_replay=key_replay, timing=timing)

    @classmethod
    def from_state(cls, state: dict, clock=None, path=None, faults: FaultConfig | None = None,
                   key_replay: str | None = None, timing: str | None = None) -> Emulator:
        """An emulator over a state dict (same format as the file)."""
        return cls(store_from_state(state), clock=clock, path=path, faults=faults,
                   key_replay=key_replay, timing=timing)

    def set_faults(self, config: FaultConfig | None) -> None:
        """Start injecting ``config``'s faults (a fresh rng from its seed, counters at 0).

        None stops fault injection. The state file's ``faults`` section is not changed.
        """
        if config is not None and not isinstance(config, FaultConfig):
            raise TypeError(f"faults must be a FaultConfig or None, not {type(config).__name__}")
        with self._lock:
            self.faults = Faults(config) if config is not None else None

    def fault_report(self) -> dict:
        """``{"counts", "requests", "sales", "journal"}``: what ``GET /_emulator/faults`` shows."""
        with self._lock:
            faults = self.faults
            counts = dict(faults.counts) if faults else {}
            return {"counts": counts, "requests": self.requests,
                    "sales": [dict(s) for s in self.store.sales],
                    "journal": [dict(j) for j in self.store.journal]}

    def authorized(self, headers: dict) -> bool:
        """Whether ``headers`` carry the access token or a live minted one (always true when
        the store has neither a token nor apps)."""
        return self.oauth.scopes_for(headers)[0]

    def state(self) -> dict:
        """The current store as a state document."""
        with self._lock:
            if self.simulated:
                self.store.clock = wall_time(self.clock)
            return state_from_store(self.store)

    def save(self) -> None:
        """Write the state file now (atomically)."""
        with self._lock:
            save_state(self.path, self.state())

    def handle(self, body: dict, headers: dict, path: str = API_PATH) -> tuple[int, dict]:
        """Answer one POST to ``path`` the way Shopify would: ``(http_status, json_body)``.

        With faults configured, this may sleep (on the emulator's clock), answer HTTP
        500/502/503 or ``THROTTLED`` without executing, or execute and commit the request and
        then raise ``ResponseLost`` (a ``ConnectionResetError``) instead of returning.
        """
        return self.respond(body, headers, path)[:2]

    def respond(self, body: dict, headers: dict,
                path: str = API_PATH) -> tuple[int, dict, dict[str, str]]:
        """``handle``, plus the response headers: ``X-Shopify-API-Version`` names the version
        that answered (the oldest served one for a retired version, as Shopify falls forward).
        """
        match = _PATH.match(path.split("?", 1)[0])
        served = served_version(match.group(1)) if match else None
        if served is None:
            return 404, NOT_FOUND, {}
        status, payload = self._handle(body, headers, served)
        return status, payload, {VERSION_HEADER: served}

    def _handle(self, body: dict, headers: dict, served: str) -> tuple[int, dict]:
        authorized, scopes = self.oauth.scopes_for(headers)
        if not authorized:
            return 401, UNAUTHORIZED
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return 400, {"errors": {"variables": "Parameter must be a JSON object"}}
        query, operation_name = body["query"], body.get("operationName")
        with self._lock:
            self.requests += 1
            request, faults = self.requests, self.faults
            if faults is None:
                return 200, self._run(query, variables, operation_name, request, served,
                                      scopes=scopes)[0]
            plan = faults.draw(self.store, request)
            if plan.sale is not None and self.path is not None:
                self.save()
        if plan.latency > 0:
            self.clock.sleep(plan.latency)
        if plan.http_status is not None:
            return plan.http_status, dict(HTTP_ERRORS[plan.http_status])
        with self._lock:
            response, mutation = self._run(query, variables, operation_name, request, served,
                                           throttle=plan.throttle, scopes=scopes)
            if plan.throttle:
                faults.count("throttled")
            if plan.lose is not None and mutation:
                faults.count(plan.lose)
                raise ResponseLost(plan.lose, 200, response)
        return 200, response

    def _cost(self, requested: int, actual: int | None) -> dict:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": self.bucket.status()}}

    def _parsed(self, query: str, served: str):
        """``(document, validation errors, literal_limits)`` for ``query``, cached: clients send
        few distinct documents many times, and parsing and validating dominate a small request."""
        cached = self._documents.get((served, query))
        if cached is None:
            document = parse(query)
            cached = (document, validate(build_emulator_schema(served), document),
                      literal_limits(document))
            if len(self._documents) >= 512:
                self._documents.clear()
            self._documents[(served, query)] = cached
        return cached

    def _run(self, query: str, variables: dict | None, operation_name: str | None,
             request: int | None = None, served: str = API_VERSION,
             throttle: bool = False, scopes: frozenset[str] | None = None) -> tuple[dict, bool]:
        """The response, and whether the document's operation is a mutation.

        ``throttle`` answers ``THROTTLED`` (an injected fault) where a dry bucket would;
        ``scopes`` are the token's (None: every scope), fields it lacks one for are denied.
        """
        schema = build_emulator_schema(served)  # built on first use, once per process
        try:
            document, invalid, literals = self._parsed(query, served)
        except GraphQLError as exc:
            return ({"errors": [shopify_validation_error(exc)],
                     "extensions": self._cost(0, None)}, False)
        operation = get_operation_ast(document, operation_name)
        mutation = operation is not None and operation.operation == OperationType.MUTATION
        if invalid:
            return ({"errors": [shopify_validation_error(e) for e in invalid],
                     "extensions": self._cost(0, None)}, mutation)
        refused = limit_errors(schema, document, variables, operation_name) \
            if literals or exceeds(variables) else []
        requested = requested_cost(schema, document, variables, operation_name)
        if refused:
            return {"errors": refused, "extensions": self._cost(requested, None)}, mutation
        if requested > MAX_QUERY_COST:
            # Shopify sends this one without a cost block (see cost.py's sources).
            return {"errors": [max_cost_exceeded_error(requested)]}, mutation
        if throttle or not self.bucket.try_take(requested):
            return ({"errors": [throttled_error()], "extensions": self._cost(requested, None)},
                    mutation)
        context = Context(self.store, now_iso(self.clock), request=request,
                          version=version(served), key_replay=self.key_replay, bulk=self.bulk,
                          scopes=scopes)
        # The fast path serves reads of a token with every scope; a token with fewer goes
        # through graphql-core, whose middleware denies the fields it lacks a scope for.
        data = None if mutation or scopes is not None else execute_fast(
            schema, document, variables, operation_name, context)
        if data is not None:
            result = ExecutionResult(data, None)
        else:
            result = execute(schema, document, variable_values=variables,
                             operation_name=operation_name, context_value=context,
                             middleware=middleware(scopes))
        actual = requested
        if result.data is not None:
            actual = actual_cost(schema, document, variables, result.data, operation_name)
        if requested > actual:
            self.bucket.refund(requested - actual)
        if context.dirty and self.path is not None:
            self.save()
        response: dict = {}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        if result.data is not None or not result.errors:
            response["data"] = result.data
        response["extensions"] = self._cost(requested, actual)
        return response, mutation


__all__ = ["API_PATH", "KEY_REPLAY_MODES", "TIMINGS", "Emulator", "FaultConfig", "RealClock",
           "ResponseLost", "VirtualClock"]
