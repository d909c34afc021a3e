"""How syncer authenticates to a store: a static access token, or an app's client credentials.

A store is reached with ``SHOPIFY_ACCESS_TOKEN`` (an Admin API token: a legacy custom app's
``shpat_``) when it is set; otherwise with ``SHOPIFY_CLIENT_ID`` and ``SHOPIFY_CLIENT_SECRET``
(a Dev Dashboard app installed on the store), exchanged for a token with the client credentials
grant: ``POST https://{shop}/admin/oauth/access_token``, form-encoded ``grant_type``,
``client_id``, ``client_secret``, answered ``{"access_token", "scope", "expires_in"}``.
A fleet's ``syncer.yaml`` may name *which* environment variables hold a store's credentials
(``credentials_from_env(environ, names)``), never the values.

A ``TokenSource`` gives the transport the token for its header. A minted token lives in memory
only: never printed, logged or written; every secret a source holds is in ``secrets`` so the
transport masks it wherever a store might echo it. After an HTTP 401 the transport asks the
source to ``refresh`` once (a long apply outlives a 24-hour token); a static token cannot be
refreshed. Sending the request is the caller's (``Post``): ``http_transport.form_poster`` over
HTTP, the emulator's own endpoint for a local state file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncer.errors import RefusedError, StoreError, UsageError, plural, quoted
from syncer.shopify.stores import TOKEN_ENV

log = logging.getLogger(__name__)

CLIENT_ID_ENV = "SHOPIFY_CLIENT_ID"
CLIENT_SECRET_ENV = "SHOPIFY_CLIENT_SECRET"
#: The path of Shopify's OAuth token endpoint (the emulator serves it too).
TOKEN_PATH = "/admin/oauth/access_token"
#: The roles a ``syncer.yaml`` may name an environment variable for.
ROLES = ("access_token", "client_id", "client_secret")
DEFAULT_NAMES = {"access_token": TOKEN_ENV, "client_id": CLIENT_ID_ENV,
                 "client_secret": CLIENT_SECRET_ENV}

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What Shopify's secrets look like: a name in syncer.yaml that looks like one is a pasted value.
_SECRET_SHAPE = re.compile(r"^shp[a-z]{2}_|^[0-9a-fA-F]{32,}$")

#: Sends a form to the token endpoint: ``post(form) -> (HTTP status, body text)``.
Post = Callable[[dict[str, str]], tuple[int, str]]


def check_names(names: Mapping[str, Any], where: str) -> dict[str, str]:
    """The environment variable names a ``syncer.yaml`` gives for a store's credentials.

    ``names`` maps roles (``access_token``, ``client_id``, ``client_secret``) to variable names.
    A value that is not a variable name (a pasted secret) is refused without being shown.

    >>> check_names({"client_id": "US_CLIENT_ID"}, "syncer.yaml")
    {'client_id': 'US_CLIENT_ID'}
    """
    checked: dict[str, str] = {}
    for role, name in names.items():
        if role not in ROLES:
            raise UsageError(f"{where}: credentials: unknown key {quoted(role)}; use "
                             f"{', '.join(ROLES)} (each names an environment variable)")
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name) \
                or _SECRET_SHAPE.search(name):
            # Never echo the value: it may be the secret itself.
            raise UsageError(
                f"{where}: credentials.{role} must name an environment variable (such as "
                f"{DEFAULT_NAMES[role]}) that holds the value, not the value itself: a "
                "syncer.yaml is committed to git, so a secret never belongs in it; remove it "
                "and rotate the secret if it was ever committed")
        checked[role] = name
    return checked


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the environment gives: an access token, or a client id and secret (never shown)."""

    kind: str  # "token" | "client_credentials"
    names: tuple[str, ...]  # the environment variables the values came from
    token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Which credentials these are, by variable name (for ``-v``): never the values."""
        if self.kind == "token":
            return f"the access token in {self.names[0]}"
        return f"client credentials from {self.names[0]} and {self.names[1]}"


def credentials_from_env(environ: Mapping[str, str],
                         names: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials ``environ`` holds, or None: an access token wins over client credentials.

    ``names`` (from a fleet's ``syncer.yaml``, checked with ``check_names``) says which variables
    hold them; roles it does not name use the defaults. Half a pair of client credentials is a
    usage error naming the missing variable.
    """
    chosen = {**DEFAULT_NAMES, **(names or {})}
    token = environ.get(chosen["access_token"]) or None
    if token:
        return Credentials("token", (chosen["access_token"],), token=token)
    client_id = environ.get(chosen["client_id"]) or None
    secret = environ.get(chosen["client_secret"]) or None
    if client_id and secret:
        return Credentials("client_credentials", (chosen["client_id"], chosen["client_secret"]),
                           client_id=client_id, client_secret=secret)
    if client_id or secret:
        have, missing = ((chosen["client_id"], chosen["client_secret"]) if client_id
                         else (chosen["client_secret"], chosen["client_id"]))
        raise UsageError(f"{have} is set but {missing} is not: client credentials need both "
                         f"(or set {chosen['access_token']} to an access token instead)")
    return None


def missing_credentials_message(store: str, names: Mapping[str, str] | None = None) -> str:
    """What to set when a Shopify store has no credentials at all."""
    chosen = {**DEFAULT_NAMES, **(names or {})}
    return (f"store {store} needs credentials: set {chosen['client_id']} and "
            f"{chosen['client_secret']} (a Dev Dashboard app installed on the store), or "
            f"{chosen['access_token']} (an Admin API access token)")


class TokenSource:
    """The token a transport sends; ``refresh`` after an HTTP 401 (False: cannot)."""

    #: Every secret this source holds or has held, for masking.
    secrets: tuple[str, ...] = ()
    kind = "none"
    names: tuple[str, ...] = ()

    def token(self) -> str | None:
        return None

    def refresh(self) -> bool:
        return False

    def describe(self) -> str:
        return "no credentials"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class StaticToken(TokenSource):
    """An access token given as it is (``SHOPIFY_ACCESS_TOKEN``, or a state file's own)."""

    kind = "token"

    def __init__(self, token: str, origin: str = TOKEN_ENV) -> None:
        self._token = token
        self.secrets = (token,)
        self.names = (origin,)

    def token(self) -> str:
        return self._token

    def describe(self) -> str:
        return f"the access token in {self.names[0]}"


class ClientCredentials(TokenSource):
    """Mints tokens with the client credentials grant, in memory only; ``where`` names the store.

    ``post`` sends the form (see ``Post``); ``clock`` reads seconds, for the token's expiry.
    """

    kind = "client_credentials"

    def __init__(self, credentials: Credentials, post: Post, where: str,
                 clock: Callable[[], float] | None = None) -> None:
        self._id = credentials.client_id or ""
        self._secret = credentials.client_secret or ""
        self.names = credentials.names
        self._post = post
        self.where = where
        self._clock = clock
        self._token: str | None = None
        self.minted = 0
        self.scopes: tuple[str, ...] = ()
        self.expires_at: float | None = None
        self.secrets = (self._secret,)

    def token(self) -> str:
        if self._token is None:
            self._mint()
        return self._token or ""

    def refresh(self) -> bool:
        log.info("%s rejected the access token (expired?); minting a new one", self.where)
        self._mint()
        return True

    def describe(self) -> str:
        return f"client credentials from {self.names[0]} and {self.names[1]}"

    def expires_in(self) -> float | None:
        """Seconds until the current token expires (None: not minted, or no clock)."""
        if self.expires_at is None or self._clock is None:
            return None
        return self.expires_at - self._clock()

    def _mint(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": self._id,
                "client_secret": self._secret}
        try:
            status, text = self._post(form)
        except OSError as exc:
            raise StoreError(f"cannot reach {self.where} to mint an access token: "
                             f"{type(exc).__name__}") from None
        if status != 200:
            raise self._refusal(status, text)
        body = _json(text)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise StoreError(f"{self.where} answered the client credentials grant without an "
                             "access token")
        self._token = token
        self.secrets = (self._secret, *self.secrets[1:], token)
        self.minted += 1
        scope = body.get("scope")
        self.scopes = tuple(s for s in scope.split(",") if s) if isinstance(scope, str) else ()
        expires = body.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) \
            and not isinstance(expires, bool) else None
        self.expires_at = (self._clock() + lifetime
                           if lifetime is not None and self._clock is not None else None)
        log.info("Minted an access token with %s (%s%s)", self.describe(),
                 f"expires in {_duration(lifetime)}; " if lifetime is not None else "",
                 f"scopes: {', '.join(self.scopes)}" if self.scopes else "no scopes listed")

    def _refusal(self, status: int, text: str) -> StoreError:
        """The error for a refused grant, by Shopify's ``Oauth error CODE`` (never the body)."""
        code = _oauth_code(text)
        client_id, secret = self.names
        advice = {
            "application_cannot_be_found": f"it does not know the client id in {client_id}: "
            "copy the Client ID of an app installed on this store (Dev Dashboard, the app's "
            "Settings)",
            "invalid_client": f"the client secret in {secret} does not match the client id: "
            "copy the app's current secret from the Dev Dashboard (a rotated secret stops "
            "working)",
            "app_not_installed": "the app is not installed on this store: install it from the "
            "Dev Dashboard (a released version is not an installed one)",
            "invalid_request": "the app is not installed on this store, or the request was "
            "refused before the secret was checked: install the app from the Dev Dashboard",
            "shop_not_permitted": "client credentials work only for an app of the organisation "
            "that owns this store: create the app in that organisation's Dev Dashboard",
        }.get(code or "", "check the app's client id and secret and that it is installed on "
                          "this store")
        what = f"HTTP {status}" + (f", Oauth error {code}" if code else "")
        return RefusedError(f"{self.where} refused to mint an access token ({what}): {advice}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _oauth_code(text: str) -> str | None:
    """The error code of a refused grant: JSON ``{"error": CODE}`` or an HTML page's
    ``Oauth error CODE`` (what Shopify answers: see syncer/emulator/README.md)."""
    body = _json(text)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body["error"]
    else:
        match = re.search(r"Oauth error ([a-z_]+)", text or "", re.I)
        code = match.group(1) if match else None
    return code.lower() if code and re.fullmatch(r"[A-Za-z_]{1,60}", code) else None


def _duration(seconds: float) -> str:
    """``23h 59m``, ``5m``, ``40s``: a token's lifetime in a log line."""
    seconds = max(0, int(seconds))
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else plural(seconds, "second")


def token_source(credentials: Credentials | None, post: Post | None, where: str,
                 clock: Callable[[], float] | None = None) -> TokenSource:
    """The ``TokenSource`` for ``credentials`` (None: no credentials, no header)."""
    if credentials is None:
        return TokenSource()
    if credentials.kind == "token":
        return StaticToken(credentials.token or "", credentials.names[0])
    if post is None:
        raise UsageError(f"{where} cannot mint access tokens: use an access token "
                         f"({TOKEN_ENV})")
    return ClientCredentials(credentials, post, where, clock)


def local_token_source(environ: Mapping[str, str], names: Mapping[str, str] | None,
                       own_token: str | None, post: Post, where: str,
                       clock: Callable[[], float] | None = None) -> TokenSource:
    """The ``TokenSource`` for a state file served in process: the environment's credentials,
    else the file's own ``access_token`` (a legacy custom app with every scope), else none."""
    credentials = credentials_from_env(environ, names)
    if credentials is None:
        return StaticToken(own_token, "the state file's access_token") if own_token \
            else TokenSource()
    log.info("Authenticating to %s with %s", where, credentials.describe())
    return token_source(credentials, post, where, clock)
