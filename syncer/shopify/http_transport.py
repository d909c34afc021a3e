"""Sending GraphQL documents to a store over HTTP, and downloading bulk results.

``HttpTransport`` POSTs through a plain ``requests`` session and shares the response handling of
every transport (``transport.py``: pacing, retries, status errors). syncer needs the status of
every answer (Shopify answers 401, 404, 429 and 5xx with JSON ``errors`` bodies that a GraphQL
client reports as GraphQL errors), the ``Retry-After`` header, and its own retries; it parses
nothing client-side. A host that cannot be reached at all is refused at once, with what to check.
``download`` streams a bulk operation's signed result URL. Only this module imports ``requests``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from syncer.errors import RefusedError, StoreError, UsageError
from syncer.shopify.stores import DEFAULT_API_VERSION, TOKEN_ENV, StoreSpec, check_api_version
from syncer.shopify.transport import VERSION_HEADER, _BaseTransport, _ConnectionLost, _Reply


class HttpTransport(_BaseTransport):
    """POSTs to a Shopify store or a local emulator over one ``requests`` session."""

    def __init__(self, url: str, *, timeout: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.where = url.split("/admin/")[0]
        self._timeout = timeout
        self._session: requests.Session | None = None

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

    def _unreachable(self, exc: requests.RequestException) -> RefusedError | None:
        """The error for a host that cannot be reached at all (its name does not resolve, or
        nothing accepts the connection): nothing was sent, and retrying cannot heal it."""
        reason = _reason(exc)
        host = urlsplit(self.url).hostname or self.where
        if isinstance(reason, NameResolutionError):
            return RefusedError(f"cannot reach {self.where}: the host name {host} does not "
                                "resolve; check the store address (--store) and the network")
        if isinstance(reason, NewConnectionError):  # refused, unreachable; not a timeout
            why = str(reason).rsplit("] ", 1)[-1] if "] " in str(reason) else "refused"
            return RefusedError(f"cannot reach {self.where}: {why.rstrip('.').lower()}; check "
                                "that the store (or `syncer emulator`) is running at that address")
        return None

    def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def _send(self, document: str, variables: dict) -> _Reply:
        if self._session is None:
            self._session = requests.Session()
            self._session.headers.update(self._headers)
        body = {"query": document, "variables": variables}
        try:
            response = self._session.post(self.url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            unreachable = self._unreachable(exc)
            if unreachable is not None:
                raise unreachable from None
            raise _ConnectionLost(_first_line(exc)) from None
        retry_after = _retry_after(response.headers)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 200 and not (
            isinstance(payload, dict) and ("data" in payload or "errors" in payload)
        ):
            raise StoreError(f"{self.where} did not answer with GraphQL JSON")
        return _Reply(response.status_code, payload, retry_after,
                      response.headers.get(VERSION_HEADER))


def _reason(exc: requests.RequestException) -> BaseException | None:
    """The urllib3 error under a requests error (``MaxRetryError.reason``), if any."""
    inner = exc.args[0] if exc.args else None
    return getattr(inner, "reason", None)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _first_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line`` of ``exc``, shortened at a word boundary (never mid-word)."""
    text = str(_reason(exc) or exc) if isinstance(exc, requests.RequestException) else str(exc)
    line = text.splitlines()[0] if text else ""
    if len(line) > limit:
        line = line[:limit].rsplit(" ", 1)[0] + " ..."
    return type(exc).__name__ + (f": {line}" if line else "")


def download(url: str, timeout: float = 60.0) -> Iterator[bytes]:
    """Stream ``url`` (a bulk operation's result) in chunks, without credentials: Shopify's
    result URLs are signed. ``OSError`` when the answer is not 200 or the transfer breaks."""
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                raise OSError(f"HTTP {response.status_code} for the bulk result")
            yield from response.iter_content(chunk_size=1 << 16)
    except requests.RequestException as exc:
        raise OSError(type(exc).__name__) from None
