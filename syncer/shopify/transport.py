"""Sending GraphQL documents to a store: HTTP (gql) or an in-process handler, one retry policy.

Both transports share ``_BaseTransport.execute``: it paces requests by the last ``throttleStatus``,
waits exactly as long as the leaky bucket needs after ``THROTTLED``, retries HTTP 429, 5xx and
connection errors with jittered exponential backoff (always resending the same body, so a
mutation keeps its idempotency key), and turns 401/403/404 into a ``StoreError`` that says what to
fix. The access token lives only in the request headers: it is never in a repr, a log line or an
exception message.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gql import GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportProtocolError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport

from syncer.errors import RefusedError, StoreError, UsageError

log = logging.getLogger(__name__)

#: The Admin API versions syncer knows (its documents validate against each one's SDL).
SUPPORTED_API_VERSIONS = ("2026-04", "2026-07", "2026-10")
MIN_API_VERSION = SUPPORTED_API_VERSIONS[0]
DEFAULT_API_VERSION = SUPPORTED_API_VERSIONS[-1]  # the latest stable version syncer knows
#: The response header naming the API version that executed a request.
VERSION_HEADER = "X-Shopify-API-Version"
TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"
STORE_ENV = "SYNCER_STORE"
TOKEN_HEADER = "X-Shopify-Access-Token"

_VERSION = re.compile(r"\d{4}-(01|04|07|10)")
_SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def check_api_version(version: str) -> str:
    """``version`` if syncer supports it; ``UsageError`` otherwise.

    A release newer than syncer knows is allowed with a warning: the transport then proceeds
    only if the store answers with that very version (``X-Shopify-API-Version``).

    >>> check_api_version("2026-07")
    '2026-07'
    """
    if not _VERSION.fullmatch(version or ""):
        raise UsageError(
            f"API version {version!r} is not a Shopify release like {DEFAULT_API_VERSION} "
            "(YYYY-01, -04, -07 or -10)"
        )
    if version < MIN_API_VERSION:
        raise UsageError(
            f"API version {version} is not supported: before {MIN_API_VERSION}, deactivating an "
            "inventory level discards its quantities, so an apply could destroy stock counts; "
            f"use --api-version {MIN_API_VERSION} or later"
        )
    if version > DEFAULT_API_VERSION:
        log.warning("API version %s is newer than syncer knows (up to %s): syncer proceeds only "
                    "if the store serves it", version, DEFAULT_API_VERSION)
    return version


def api_path(api_version: str) -> str:
    """The GraphQL endpoint path for ``api_version``."""
    return f"/admin/api/{api_version}/graphql.json"


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Where the store is: ``kind`` is ``file`` (state file, in process), ``http`` or ``shopify``.

    ``address`` is the file path, the emulator's base URL, or the shop's domain.
    """

    kind: str
    address: str

    def endpoint(self, api_version: str = DEFAULT_API_VERSION) -> str:
        """The GraphQL URL of an ``http`` or ``shopify`` store."""
        if self.kind == "shopify":
            return f"https://{self.address}{api_path(api_version)}"
        if self.kind == "http":
            return f"{self.address}{api_path(api_version)}"
        raise UsageError(f"a {self.kind} store has no URL")


def parse_store(value: str) -> StoreSpec:
    """Classify a ``--store`` / ``SYNCER_STORE`` value.

    >>> parse_store("us-flagship.myshopify.com")
    StoreSpec(kind='shopify', address='us-flagship.myshopify.com')
    >>> parse_store("http://127.0.0.1:8080/")
    StoreSpec(kind='http', address='http://127.0.0.1:8080')
    """
    text = (value or "").strip()
    if not text:
        raise UsageError(f"no store given: pass --store or set {STORE_ENV}")
    if "://" in text:
        return _parse_url(text)
    if _SHOP.fullmatch(text.lower()):
        return StoreSpec("shopify", text.lower())
    path = Path(text).expanduser()
    if path.is_file():
        return StoreSpec("file", str(path))
    if path.exists():
        raise UsageError(f"store {text!r} is a directory, not a store state file")
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", text.lower()):
        raise UsageError(
            f"store {text!r} is not a file; for a Shopify store write {text.lower()}.myshopify.com"
        )
    raise UsageError(
        f"store {text!r} is neither an existing state file, an http://127.0.0.1:PORT emulator, "
        "nor SHOP.myshopify.com"
    )


def _parse_url(text: str) -> StoreSpec:
    match = re.fullmatch(r"(https?)://([^/?#]+)/*", text)
    if not match:
        raise UsageError(f"store URL {text!r} must be just scheme, host and port, with no path")
    scheme, netloc = match.group(1), match.group(2).lower()
    if scheme == "https" and _SHOP.fullmatch(netloc):
        return StoreSpec("shopify", netloc)
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if scheme == "http" and host in _LOCAL_HOSTS and port.isdigit():
        return StoreSpec("http", f"http://{host}:{port}")
    raise UsageError(
        f"store URL {text!r} is not allowed: use http://127.0.0.1:PORT (or localhost) for an "
        "emulator, or SHOP.myshopify.com for a Shopify store"
    )


class Transport(Protocol):
    """Sends one GraphQL document and returns the whole response (data, errors, extensions)."""

    calls: int
    cost_points: float

    def execute(self, document: str, variables: dict | None = None) -> dict: ...


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

    def __init__(
        self,
        *,
        api_version: str = DEFAULT_API_VERSION,
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
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._retry = retry or RetryPolicy()
        self._bucket: tuple[float, float, float, float] | None = None  # avail, max, rate, seen at
        self._expected: dict[str, float] = {}
        self._secrets: tuple[str, ...] = ()
        self._version_checked = False

    where = "the store"

    def _send(self, document: str, variables: dict) -> _Reply:
        raise NotImplementedError

    def execute(self, document: str, variables: dict | None = None) -> dict:
        """Send ``document`` with ``variables``; return the response after transport retries."""
        variables = dict(variables or {})
        failures = throttles = 0
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
            if reply.status != 200:
                raise self._status_error(reply)
            if not isinstance(reply.body, dict):
                raise StoreError(f"{self.where} answered HTTP 200 without a GraphQL JSON body")
            self._check_served(reply.served)
            cost = self._observe(document, reply.body)
            if _throttled(reply.body):
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

    def _observe(self, document: str, body: dict) -> dict:
        cost = (body.get("extensions") or {}).get("cost") or {}
        spent = cost.get("actualQueryCost")
        if spent is None and not _throttled(body):
            spent = cost.get("requestedQueryCost")
        self.cost_points += float(spent or 0)
        if cost.get("requestedQueryCost") is not None:
            self._expected[document] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus") or {}
        try:
            self._bucket = (
                float(status["currentlyAvailable"]),
                float(status["maximumAvailable"]),
                float(status["restoreRate"]),
                self._clock(),
            )
        except (KeyError, TypeError, ValueError):
            pass
        return cost

    def expect_cost(self, document: str, points: float) -> None:
        """Tell the pacer what ``document`` will cost before it is first sent (mutations)."""
        self._expected.setdefault(document, float(points))

    def wait(self, seconds: float) -> None:
        """Sleep on this transport's clock (virtual with the emulator), counted in ``waited``."""
        self._wait(seconds)

    def _pace(self, document: str) -> None:
        """Sleep first when the last throttle status says this document's cost is not there."""
        expected = self._expected.get(document)
        if expected is None or self._bucket is None:
            return
        available, maximum, rate, seen = self._bucket
        if rate <= 0 or expected > maximum:
            return
        now_available = min(maximum, available + rate * max(0.0, self._clock() - seen))
        delay = _round_up((expected - now_available) / rate)
        if delay > 0:
            log.info("Pacing: waiting %.2fs for %.0f cost points", delay, expected)
            self._wait(delay)

    def _wait_for_bucket(self, cost: dict, throttles: int) -> None:
        if throttles > self._retry.max_throttle_waits:
            raise StoreError(f"{self.where} kept throttling after {throttles - 1} waits")
        requested = cost.get("requestedQueryCost")
        status = cost.get("throttleStatus") or {}
        try:
            available = float(status["currentlyAvailable"])
            maximum = float(status["maximumAvailable"])
            rate = float(status["restoreRate"])
            requested = float(requested)
        except (KeyError, TypeError, ValueError):
            self._backoff(throttles, "THROTTLED without a throttle status")
            return
        if requested > maximum:
            raise StoreError(
                f"a query costs {requested:.0f} points but the bucket holds only {maximum:.0f}"
            )
        delay = (requested - available) / rate if rate > 0 else self._retry.max_delay
        # Never 0: a bucket a hair short (float rounding) would be retried in a tight loop.
        delay = max(_MIN_WAIT, _round_up(delay))
        log.info("Throttled: waiting %.2fs for %.0f cost points", delay, requested)
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

    def _status_error(self, reply: _Reply) -> StoreError:
        """The error for a non-retried HTTP status; 401/403/404 mean nothing was run."""
        if reply.status == 401:
            return RefusedError(
                f"{self.where} rejected the access token (HTTP 401): check {TOKEN_ENV} "
                "(an Admin API access token for this shop)"
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
        detail = _error_text(reply.body)
        for secret in _REDACTOR.secrets:
            detail = detail.replace(secret, "***")
        return StoreError(f"{self.where} answered HTTP {reply.status}{detail}")


_MIN_WAIT = 0.001


def _round_up(seconds: float) -> float:
    """``seconds`` rounded up to the millisecond (a virtual clock must visibly move).

    >>> _round_up(7.000000000000001), _round_up(6e-18), _round_up(-2.0)
    (7.0, 0.001, 0.0)
    """
    if seconds <= 0:
        return 0.0
    return max(_MIN_WAIT, math.ceil(seconds * 1000 - 1e-6) / 1000)


def _throttled(body: dict) -> bool:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


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


def _error_text(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return f": {errors[:200]}"
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f": {str(errors[0].get('message', ''))[:200]}"
    return ""


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class LocalTransport(_BaseTransport):
    """Calls ``handler(body, headers, path)`` in process, with no socket; it returns
    ``(status, json)`` or ``(status, json, response headers)``."""

    where = "the local store"

    def __init__(
        self,
        handler: Callable[[dict, dict, str], tuple[int, Any]],
        *,
        api_version: str = DEFAULT_API_VERSION,
        token: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(api_version=api_version, sleep=sleep, clock=clock, rng=rng, retry=retry)
        self._handler = handler
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers[TOKEN_HEADER] = token
            self._secrets = (token,)
            _REDACTOR.add(token)

    def __repr__(self) -> str:
        return f"LocalTransport(api_version={self.api_version!r}, calls={self.calls})"

    def _send(self, document: str, variables: dict) -> _Reply:
        body = {"query": document, "variables": copy.deepcopy(variables)}
        try:
            answer = self._handler(body, dict(self._headers), api_path(self.api_version))
        except OSError as exc:
            raise _ConnectionLost(type(exc).__name__) from None
        status, payload, headers = (*answer, {}) if len(answer) == 2 else answer
        served = {k.lower(): v for k, v in headers.items()}.get(VERSION_HEADER.lower())
        return _Reply(int(status), payload, served=served)


class _Redactor(logging.Filter):
    """Masks access tokens in gql's debug log lines (which echo response bodies verbatim)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def add(self, secret: str) -> None:
        self._secrets.add(secret)
        target = logging.getLogger("gql.transport.requests")
        if self not in target.filters:
            target.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


_REDACTOR = _Redactor()


class _RecordingHTTPTransport(RequestsHTTPTransport):
    """gql's requests transport, remembering the HTTP status of the last answer."""

    last_status: int | None = None

    def _get_json_result(self, response):
        self.last_status = response.status_code
        return super()._get_json_result(response)


class HttpTransport(_BaseTransport):
    """POSTs to a Shopify store or a local emulator through gql's requests transport."""

    def __init__(
        self,
        url: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        token: str | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(api_version=api_version, sleep=sleep, clock=clock, rng=rng, retry=retry)
        self.url = url
        self.where = url.split("/admin/")[0]
        headers = {TOKEN_HEADER: token} if token else {}
        if token:
            self._secrets = (token,)
            _REDACTOR.add(token)
        self._http = _RecordingHTTPTransport(url=url, headers=headers, timeout=timeout, retries=0)
        self._requests: dict[str, GraphQLRequest] = {}

    @classmethod
    def for_store(
        cls,
        spec: StoreSpec,
        *,
        api_version: str = DEFAULT_API_VERSION,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> HttpTransport:
        """A transport for an ``http`` or ``shopify`` store; the token comes from ``env``."""
        token = (env if env is not None else {}).get(TOKEN_ENV) or None
        if spec.kind == "shopify" and not token:
            raise UsageError(f"store {spec.address} needs an access token: set {TOKEN_ENV}")
        check_api_version(api_version)
        return cls(spec.endpoint(api_version), api_version=api_version, token=token, **kwargs)

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, calls={self.calls})"

    def close(self) -> None:
        """Close the HTTP session."""
        if self._http.session is not None:
            self._http.close()

    def _send(self, document: str, variables: dict) -> _Reply:
        request = self._requests.get(document)
        if request is None:
            request = self._requests[document] = GraphQLRequest(document)
        request = GraphQLRequest(request, variable_values=copy.deepcopy(variables))
        if self._http.session is None:
            self._http.connect()
        self._http.last_status = None
        try:
            result = self._http.execute(request)
        except TransportConnectionFailed as exc:
            raise _ConnectionLost(_first_line(exc)) from None
        except TransportServerError as exc:
            headers = self._http.response_headers
            return _Reply(exc.code or self._http.last_status or 500, None, _retry_after(headers))
        except TransportProtocolError:
            status = self._http.last_status or 200
            if status >= 400:
                return _Reply(status, None, _retry_after(self._http.response_headers))
            raise StoreError(f"{self.where} did not answer with GraphQL JSON") from None
        body = {"data": result.data}
        if result.errors is not None:
            body["errors"] = result.errors
        if result.extensions is not None:
            body["extensions"] = result.extensions
        status = self._http.last_status or 200
        headers = self._http.response_headers or {}
        return _Reply(status, body, _retry_after(headers), headers.get(VERSION_HEADER))


def _first_line(exc: BaseException) -> str:
    return type(exc).__name__ + (": " + str(exc).splitlines()[0][:160] if str(exc) else "")
