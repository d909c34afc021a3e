"""``Emulator``: one GraphQL request in, one (HTTP status, JSON body) out, with cost and state."""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime

from graphql import GraphQLError, execute, parse, validate

from syncer.emulator.checks import limit_errors, shopify_validation_error
from syncer.emulator.clock import LeakyBucket, RealClock, VirtualClock
from syncer.emulator.cost import (
    MAX_QUERY_COST,
    actual_cost,
    max_cost_exceeded_error,
    requested_cost,
    throttled_error,
)
from syncer.emulator.schema import Context, build_emulator_schema
from syncer.emulator.state import load_state, save_state, state_from_store, store_from_state
from syncer.emulator.store import Store

API_VERSION = "2026-04"
API_PATH = f"/admin/api/{API_VERSION}/graphql.json"
_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
NOT_FOUND = {"errors": "Not Found"}
UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
# Virtual time starts here, so timestamps in responses are plausible and repeatable.
VIRTUAL_EPOCH = datetime(2026, 4, 1, tzinfo=UTC).timestamp()


def now_iso(clock) -> str:
    """The clock's wall time as Shopify prints ``DateTime`` values (``...Z``)."""
    seconds = VIRTUAL_EPOCH + clock.now() if isinstance(clock, VirtualClock) else time.time()
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Emulator:
    """A local Shopify Admin GraphQL API (2026-04) over an in-memory store.

    ``handle`` is thread-safe: a lock makes each request, and so each mutation, atomic.
    With a ``path``, every request that changes the store saves it back atomically.
    """

    def __init__(self, store: Store, clock=None, path: str | os.PathLike | None = None) -> None:
        self.store = store
        self.clock = clock or RealClock()
        self.path = path
        self.schema = build_emulator_schema()
        self.bucket = LeakyBucket(maximum=store.throttle["maximumAvailable"],
                                  restore_rate=store.throttle["restoreRate"], clock=self.clock)
        self._lock = threading.RLock()

    @classmethod
    def load(cls, path: str | os.PathLike, clock=None) -> Emulator:
        """An emulator over a state file; raises ``StateError`` if the file is not valid."""
        return cls(load_state(path), clock=clock, path=path)

    @classmethod
    def from_state(cls, state: dict, clock=None, path=None) -> Emulator:
        """An emulator over a state dict (same format as the file)."""
        return cls(store_from_state(state), clock=clock, path=path)

    def state(self) -> dict:
        """The current store as a state document."""
        with self._lock:
            return state_from_store(self.store)

    def save(self) -> None:
        """Write the state file now (atomically)."""
        with self._lock:
            save_state(self.path, state_from_store(self.store))

    def handle(self, body: dict, headers: dict, path: str = API_PATH) -> tuple[int, dict]:
        """Answer one POST to ``path`` the way Shopify would: ``(http_status, json_body)``."""
        match = _PATH.match(path.split("?", 1)[0])
        if not match or match.group(1) != API_VERSION:
            return 404, NOT_FOUND
        token = self.store.access_token
        sent = {k.lower(): v for k, v in (headers or {}).items()}.get("x-shopify-access-token")
        if token and sent != token:
            return 401, UNAUTHORIZED
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return 400, {"errors": {"variables": "Parameter must be a JSON object"}}
        with self._lock:
            return 200, self._run(body["query"], variables, body.get("operationName"))

    def _cost(self, requested: int, actual: int | None) -> dict:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": self.bucket.status()}}

    def _run(self, query: str, variables: dict | None, operation_name: str | None) -> dict:
        try:
            document = parse(query)
        except GraphQLError as exc:
            return {"errors": [shopify_validation_error(exc)], "extensions": self._cost(0, None)}
        invalid = validate(self.schema, document)
        if invalid:
            return {"errors": [shopify_validation_error(e) for e in invalid],
                    "extensions": self._cost(0, None)}
        refused = limit_errors(self.schema, document, variables, operation_name)
        requested = requested_cost(self.schema, document, variables, operation_name)
        if refused:
            return {"errors": refused, "extensions": self._cost(requested, None)}
        if requested > MAX_QUERY_COST:
            # Shopify sends this one without a cost block (see cost.py's sources).
            return {"errors": [max_cost_exceeded_error(requested)]}
        if not self.bucket.try_take(requested):
            return {"errors": [throttled_error()], "extensions": self._cost(requested, None)}
        context = Context(self.store, now_iso(self.clock))
        result = execute(self.schema, document, variable_values=variables,
                         operation_name=operation_name, context_value=context)
        actual = requested
        if result.data is not None:
            actual = actual_cost(self.schema, document, variables, result.data, operation_name)
        if requested > actual:
            self.bucket.refund(requested - actual)
        if context.dirty and self.path is not None:
            save_state(self.path, state_from_store(self.store))
        response: dict = {}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        if result.data is not None or not result.errors:
            response["data"] = result.data
        response["extensions"] = self._cost(requested, actual)
        return response


__all__ = ["Emulator", "RealClock", "VirtualClock", "API_PATH"]
