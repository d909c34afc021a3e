"""Sending GraphQL documents: what every transport shares, and the in-process transport.

Every transport shares ``_BaseTransport.execute``: it paces requests by the last
``throttleStatus``, waits exactly as long as the leaky bucket needs after ``THROTTLED`` (see
``throttle.py``), retries HTTP 429, 5xx and connection errors with jittered exponential backoff
(always resending the same body, so a mutation keeps its idempotency key), and turns
401/403/404 into a ``RefusedError`` that says what to fix. The token comes from a ``TokenSource``
(``auth.py``: a static token, or one minted from client credentials and minted again once after
an HTTP 401); it lives only in the request headers, never in a repr, a log line or an exception
message, and every secret the source holds is masked in whatever the store answers.
``LocalTransport`` calls an in-process handler (the emulator); ``HttpTransport``
(``http_transport.py``) POSTs over HTTP.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from syncer.errors import RefusedError, StoreError, plural
from syncer.shopify.auth import CLIENT_ID_ENV, CLIENT_SECRET_ENV, StaticToken, TokenSource
from syncer.shopify.decode import error_code, graphql_errors
from syncer.shopify.stores import (
    DEFAULT_API_VERSION,
    SUPPORTED_API_VERSIONS,
    TOKEN_ENV,
    check_api_version,
)
from syncer.shopify.throttle import Bucket

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Shopify-Access-Token"
#: The response header naming the API version that executed a request.
VERSION_HEADER = "X-Shopify-API-Version"


class Transport(Protocol):
    """Sends one GraphQL document and returns the whole response (data, errors, extensions).

    Every member here is used by a caller (the applier uses them all); a transport that wraps
    another (in tests, say) passes each one on.
    """

    @property
    def calls(self) -> int:
        """Requests sent so far (every attempt, retries and THROTTLED answers included)."""

    @property
    def cost_points(self) -> float:
        """Query cost points spent so far."""

    @property
    def last_resent(self) -> bool:
        """Whether the last ``execute`` sent its body again after a lost answer or an HTTP 5xx:
        the store may have run the document before answering the resend."""

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def expect_cost(self, document: str, points: float) -> None:
        """Tell the pacer what ``document`` will cost before it is first sent (mutations)."""

    def wait(self, seconds: float) -> None:
        """Sleep on the store's clock (virtual with the emulator)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retries: attempts for 429/5xx/connection errors, waits for THROTTLED."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_throttle_waits: int = 20


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: Any
    retry_after: float | None = None
    served: str | None = None  # the X-Shopify-API-Version header, when the store sent one


class _ConnectionLost(Exception):
    """The request may or may not have reached the store."""


class _BaseTransport:
    """The response handling shared by every transport."""

    where = "the store"

    def __init__(
        self,
        *,
        api_version: str = DEFAULT_API_VERSION,
        token: str | None = None,
        auth: TokenSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.api_version = check_api_version(api_version)
        self.calls = 0
        self.cost_points = 0.0
        self.waited = 0.0
        #: Whether the last ``execute`` sent its body again after an answer that was lost or
        #: an HTTP 5xx: the store may have run the document before answering the resend.
        self.last_resent = False
        self._version_checked = False
        #: The API version the store said answered (its ``X-Shopify-API-Version``), once known.
        self.served_version: str | None = None
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._retry = retry or RetryPolicy()
        #: Seconds on the store's clock (the emulator's in process, else real monotonic time).
        self.clock = clock
        self._bucket = Bucket(clock)
        #: Where the access token comes from (``token`` is a static one).
        self.auth = auth or (StaticToken(token) if token else TokenSource())

    @property
    def _secrets(self) -> tuple[str, ...]:
        return self.auth.secrets

    def _headers(self) -> dict[str, str]:
        """The request headers, with the current access token (minted on first use)."""
        token = self.auth.token()
        return {"Content-Type": "application/json", **({TOKEN_HEADER: token} if token else {})}

    def _send(self, document: str, variables: dict[str, Any]) -> _Reply:
        raise NotImplementedError

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send ``document`` with ``variables``; return the response after transport retries."""
        variables = dict(variables or {})
        failures = throttles = 0
        refreshed = False
        self.last_resent = False
        while True:
            self._pace(document)
            try:
                self.calls += 1
                reply = self._send(document, variables)
            except _ConnectionLost as exc:
                failures += 1
                self._backoff(failures, f"connection error ({exc})")
                self.last_resent = True
                continue
            if reply.status == 429 or reply.status >= 500:
                failures += 1
                self._backoff(failures, f"HTTP {reply.status}", reply.retry_after)
                self.last_resent = self.last_resent or reply.status >= 500
                continue
            if reply.status == 401 and not refreshed and self.auth.refresh():
                refreshed = True  # nothing ran: the same body goes again with a new token
                continue
            if reply.status != 200:
                raise self._status_error(reply, refreshed)
            if not isinstance(reply.body, dict):
                raise StoreError(f"{self.where} answered HTTP 200 without a GraphQL JSON body")
            self._check_served(reply.served)
            cost = self._observe(document, reply.body)
            if "THROTTLED" in {error_code(e) for e in graphql_errors(reply.body)}:
                throttles += 1
                self._wait_for_bucket(cost, throttles)
                continue
            # A store that echoes the token (in an error message, say) must not put it into
            # syncer's errors, logs or plan files.
            return _scrub(reply.body, self._secrets) if self._secrets else reply.body

    def _check_served(self, served: str | None) -> None:
        """Refuse a store that answers with another API version than asked (Shopify serves a
        retired version as the oldest supported one); checked on the first answer."""
        if served is None or self._version_checked:
            return
        self.served_version = served
        if served != self.api_version:
            raise RefusedError(
                f"{self.where} answered with API version {served}, not {self.api_version}: it "
                f"does not serve {self.api_version} (retired or not released); "
                f"use --api-version {served}" + (
                    "" if served in SUPPORTED_API_VERSIONS else
                    f" if syncer supports it ({', '.join(SUPPORTED_API_VERSIONS)})"))
        self._version_checked = True
        if served not in SUPPORTED_API_VERSIONS:
            log.warning("%s serves API version %s, which syncer does not know; proceeding",
                        self.where, served)

    def _observe(self, document: str, body: dict[str, Any]) -> dict[str, Any]:
        extensions = body.get("extensions")
        cost = (extensions.get("cost") if isinstance(extensions, dict) else None) or {}
        spent = cost.get("actualQueryCost")
        if spent is None and "THROTTLED" not in {error_code(e) for e in graphql_errors(body)}:
            spent = cost.get("requestedQueryCost")
        self.cost_points += float(spent or 0)
        self._bucket.observe(document, cost)
        return cost

    def expect_cost(self, document: str, points: float) -> None:
        """Tell the pacer what ``document`` will cost before it is first sent (mutations)."""
        self._bucket.expect(document, points)

    def wait(self, seconds: float) -> None:
        """Sleep on this transport's clock (virtual with the emulator), counted in ``waited``."""
        self._wait(seconds)

    def _pace(self, document: str) -> None:
        """Sleep first when the last throttle status says this document's cost is not there."""
        delay = self._bucket.delay_before(document)
        if delay > 0:
            log.info("Pacing: waiting %.2fs for %.0f cost points", delay,
                     self._bucket.expected(document))
            self._wait(delay)

    def _wait_for_bucket(self, cost: dict[str, Any], throttles: int) -> None:
        if throttles > self._retry.max_throttle_waits:
            raise StoreError(f"{self.where} kept throttling after {plural(throttles - 1, 'wait')}")
        delay = self._bucket.delay_after_throttle(cost, self._retry.max_delay)
        if delay is None:
            self._backoff(throttles, "THROTTLED without a throttle status")
        else:
            log.info("Throttled: waiting %.2fs for %.0f cost points", delay,
                     float(cost["requestedQueryCost"]))
            self._wait(delay)

    def _backoff(self, failures: int, why: str, retry_after: float | None = None) -> None:
        if failures >= self._retry.max_attempts:
            raise StoreError(f"{self.where} still failing after {failures} attempts: {why}")
        if retry_after is not None:
            delay = min(retry_after, self._retry.max_delay)
        else:
            ceiling = min(self._retry.max_delay, self._retry.base_delay * 2 ** (failures - 1))
            delay = ceiling / 2 + self._rng.random() * ceiling / 2
        log.warning("%s from %s; retrying in %.2fs (attempt %d)", why, self.where, delay, failures)
        self._wait(delay)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)

    def _status_error(self, reply: _Reply, refreshed: bool = False) -> StoreError:
        """The error for a non-retried HTTP status; 401/403/404 mean nothing was run."""
        if reply.status == 401 and self.auth.kind == "none":
            return RefusedError(
                f"{self.where} needs an access token and none was given (HTTP 401): set "
                f"{CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} (an app installed on this shop), or "
                f"{TOKEN_ENV} to an Admin API access token for this shop"
            )
        if reply.status == 401 and self.auth.kind == "client_credentials":
            return RefusedError(
                f"{self.where} rejected an access token it had just minted (HTTP 401"
                f"{' twice' if refreshed else ''}): check that the app of "
                f"{self.auth.names[0]} is still installed on this store"
            )
        if reply.status == 401:
            return RefusedError(
                f"{self.where} rejected the access token (HTTP 401): check "
                f"{self.auth.names[0]} (an Admin API access token for this shop)"
            )
        if reply.status == 403:
            return RefusedError(
                f"{self.where} refused access (HTTP 403): the access token lacks a scope syncer "
                "needs: read_inventory and read_locations to plan, write_inventory to apply"
            )
        if reply.status == 404:
            newer = "" if self.api_version in SUPPORTED_API_VERSIONS else (
                f"; syncer knows up to {DEFAULT_API_VERSION}")
            return RefusedError(
                f"{self.where} has no GraphQL endpoint for API version {self.api_version} "
                f"(HTTP 404): check the shop domain and --api-version{newer}"
            )
        errors = graphql_errors(reply.body)
        detail = f": {str(errors[0].get('message', ''))[:200]}" if errors else ""
        detail = _scrub(detail, self._secrets)
        return StoreError(f"{self.where} answered HTTP {reply.status}{detail}")


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every string that holds one of ``secrets`` masked (``***``).

    >>> _scrub({"errors": [{"message": "bad token abc"}], "n": 1}, ("abc",))
    {'errors': [{'message': 'bad token ***'}], 'n': 1}
    """
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    return value
