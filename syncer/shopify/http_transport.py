"""Sending GraphQL documents to a store over HTTP with gql, and downloading bulk results.

``HttpTransport`` sends through gql's ``RequestsHTTPTransport`` (its public API only) and shares
the response handling of every transport (``transport.py``: pacing, retries, status errors).
syncer needs the status of every answer (Shopify answers 401, 404, 429 and 5xx with JSON
``errors`` bodies that gql returns as a GraphQL result), the ``Retry-After`` and
``X-Shopify-API-Version`` headers, and its own retries: each request passes requests'
``hooks={"response": ...}`` through ``execute(..., extra_args=...)``, which sees every status
and header; gql's own retries are off. The gql client knows syncer's copy of the target
version's schema (``schema.py``), so a document that version does not accept is refused before
it is sent, and no point is spent. A host that cannot be reached at all is refused at once,
with what to check. ``form_poster`` sends the client credentials grant (``auth.py``);
``download`` streams a bulk operation's signed result URL. Only this module imports ``requests``
and gql (both on first use: a local store needs neither).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from syncer.errors import RefusedError, StoreError, UsageError
from syncer.shopify.auth import (
    TOKEN_PATH,
    Post,
    credentials_from_env,
    missing_credentials_message,
    token_source,
)
from syncer.shopify.stores import DEFAULT_API_VERSION, StoreSpec, check_api_version
from syncer.shopify.transport import VERSION_HEADER, _BaseTransport, _ConnectionLost, _Reply

if TYPE_CHECKING:  # gql and graphql-core are imported on the first request (a slow import)
    from gql import Client, GraphQLRequest
    from graphql import DocumentNode, GraphQLError


class _Session(Protocol):
    """What syncer uses of gql's sync session (``Client.connect_sync()``)."""

    def execute(self, request: GraphQLRequest, **kwargs: Any) -> Any: ...

log = logging.getLogger(__name__)
#: gql logs whole request and response bodies at DEBUG; a store may echo a secret into a
#: response, and syncer logs what it sends and waits for itself, so gql's dumps are dropped.
_GQL_LOGGER = "gql.transport.requests"


def _drop(_record: logging.LogRecord) -> bool:
    return False


class HttpTransport(_BaseTransport):
    """POSTs to a Shopify store or a local emulator through one gql client."""

    def __init__(self, url: str, *, timeout: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.where = url.split("/admin/")[0]
        self._timeout = timeout
        self._client: Client | None = None  # gql's Client, built on first send
        self._session: _Session | None = None  # its sync session
        self._documents: dict[str, DocumentNode] = {}  # parsed documents by text

    @classmethod
    def for_store(
        cls,
        spec: StoreSpec,
        *,
        api_version: str = DEFAULT_API_VERSION,
        env: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> HttpTransport:
        """A transport for an ``http`` or ``shopify`` store, authenticated by ``env``: an access
        token, else client credentials (``auth.credentials_from_env``; ``names`` says which
        variables hold them, from a fleet's ``syncer.yaml``)."""
        credentials = credentials_from_env(env if env is not None else {}, names)
        if spec.kind == "shopify" and credentials is None:
            raise UsageError(missing_credentials_message(spec.address, names))
        check_api_version(api_version)
        url = spec.endpoint(api_version)
        where = url.split("/admin/")[0]
        if credentials is not None:
            log.info("Authenticating to %s with %s", where, credentials.describe())
        auth = token_source(credentials, form_poster(where + TOKEN_PATH), where,
                            kwargs.get("clock", time.monotonic))
        return cls(url, api_version=api_version, auth=auth, **kwargs)

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, calls={self.calls})"

    def _unreachable(self, exc: BaseException) -> RefusedError | None:
        """The error for a host that cannot be reached at all (its name does not resolve, or
        nothing accepts the connection): nothing was sent, and retrying cannot heal it."""
        from urllib3.exceptions import NameResolutionError, NewConnectionError

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
        if self._client is not None and self._session is not None:
            self._client.close_sync()
        self._client = self._session = None

    def _connect(self) -> _Session:
        """gql's sync session, on a client that knows the target version's schema."""
        if self._session is None:
            from gql import Client
            from gql.transport.requests import RequestsHTTPTransport

            from syncer.shopify.schema import client_schema

            gql_log = logging.getLogger(_GQL_LOGGER)
            if _drop not in gql_log.filters:
                gql_log.addFilter(_drop)
            self._client = Client(
                # gql annotates timeout as int; requests, which it hands it to, takes seconds
                transport=RequestsHTTPTransport(self.url, timeout=self._timeout,  # type: ignore[arg-type]
                                                retries=0),
                schema=client_schema(self.api_version))
            self._session = self._client.connect_sync()
        return self._session

    def _request(self, document: str, variables: dict[str, Any]) -> GraphQLRequest:
        from gql import GraphQLRequest
        from graphql import parse

        parsed = self._documents.get(document)
        if parsed is None:
            if len(self._documents) >= 256:
                self._documents.clear()
            parsed = self._documents[document] = parse(document)
        return GraphQLRequest(parsed, variable_values=variables)

    def _send(self, document: str, variables: dict[str, Any]) -> _Reply:
        from gql.transport.exceptions import (
            TransportConnectionFailed,
            TransportProtocolError,
            TransportQueryError,
            TransportServerError,
        )
        from graphql import GraphQLError

        session = self._connect()
        responses: list[Any] = []
        extra = {"headers": self._headers(),
                 "hooks": {"response": [lambda response, *_a, **_k: responses.append(response)]}}
        try:
            request = self._request(document, variables)
            result = session.execute(request, get_execution_result=True, extra_args=extra)
            payload: Any = {"data": result.data}
            if result.extensions is not None:
                payload["extensions"] = result.extensions
        except GraphQLError as exc:  # refused by the schema before anything was sent
            raise self._invalid(document, exc) from None
        except TransportQueryError as exc:  # a JSON body with errors, whatever the status
            payload = {"errors": exc.errors}
            if exc.data is not None:
                payload["data"] = exc.data
            if exc.extensions is not None:
                payload["extensions"] = exc.extensions
        except TransportConnectionFailed as exc:
            cause = exc.__cause__ or exc
            unreachable = self._unreachable(cause)
            if unreachable is not None:
                raise unreachable from None
            raise _ConnectionLost(_first_line(cause)) from None
        except (TransportServerError, TransportProtocolError, TypeError, AttributeError):
            payload = None  # not GraphQL JSON: the status below decides
        if not responses:
            raise _ConnectionLost("no response")
        response = responses[-1]
        if response.status_code == 200 and payload is None:
            raise StoreError(f"{self.where} did not answer with GraphQL JSON")
        return _Reply(response.status_code, payload, _retry_after(response.headers),
                      response.headers.get(VERSION_HEADER))

    def _invalid(self, document: str, exc: GraphQLError) -> RefusedError:
        name = document.split("(")[0].split("{")[0].split()
        what = f"{name[0]} {name[1]}" if len(name) > 1 else "document"
        return RefusedError(
            f"syncer's {what} is not valid for Admin API version {self.api_version}: "
            f"{exc.message.rstrip('.')}; "
            f"nothing was sent to {self.where} (a different --api-version may serve it)")


def form_poster(url: str, timeout: float = 30.0) -> Post:
    """A ``Post`` that sends a form to ``url`` (the OAuth token endpoint) over HTTP."""

    def post(form: dict[str, str]) -> tuple[int, str]:
        import requests

        try:
            response = requests.post(url, data=form, timeout=timeout,
                                     headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise OSError(type(exc).__name__) from None
        return response.status_code, response.text

    return post


def _reason(exc: BaseException) -> BaseException | None:
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
    text = str(_reason(exc) or exc)
    line = text.splitlines()[0] if text else ""
    if len(line) > limit:
        line = line[:limit].rsplit(" ", 1)[0] + " ..."
    return type(exc).__name__ + (f": {line}" if line else "")


def download(url: str, timeout: float = 60.0) -> Iterator[bytes]:
    """Stream ``url`` (a bulk operation's result) in chunks, without credentials: Shopify's
    result URLs are signed. ``OSError`` when the answer is not 200 or the transfer breaks."""
    import requests

    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                raise OSError(f"HTTP {response.status_code} for the bulk result")
            yield from response.iter_content(chunk_size=1 << 16)
    except requests.RequestException as exc:
        raise OSError(type(exc).__name__) from None
