"""Installed apps and the client credentials grant: ``POST /admin/oauth/access_token``.

A state file's ``apps`` declares the apps installed on the shop::

    "apps": [{"client_id": "...", "client_secret": "...", "scopes": ["read_inventory"],
              "token_ttl_seconds": 86399}]

An app's client id and secret are exchanged for an access token (form-encoded, as Shopify's docs
show, or JSON, as Shopify's Node library sends), answered ``{"access_token", "scope",
"expires_in"}``. Tokens live in the emulator's memory only and expire on its clock
(``token_ttl_seconds``, or ``syncer emulator --token-ttl``); an expired one is answered HTTP 401
like a wrong one. A request's token decides its scopes (``scopes.py``): the state file's
``access_token`` is a legacy custom app with every scope, and a store with neither an
``access_token`` nor ``apps`` is open to any request, with every scope.

A refused grant is an HTTP 400 HTML page titled ``Oauth error CODE``, as live Shopify answers
(the codes are reported from live stores; the wording past the code is an assumption, see
README.md): an unknown client id is ``application_cannot_be_found``, a wrong secret
``invalid_client``, a grant that is not ``client_credentials`` or lacks a field
``invalid_request``.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl

from syncer.emulator.scopes import ALL_SCOPES, DESCRIPTIONS

TOKEN_PATH = "/admin/oauth/access_token"
DEFAULT_TTL = 86399
APP_FIELDS = ("client_id", "client_secret", "scopes", "token_ttl_seconds")


@dataclass(frozen=True, slots=True)
class Grant:
    """What one minted token may do, and until when (seconds on the emulator's clock)."""

    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


class OAuth:
    """The shop's installed apps and the tokens minted for them (``ttl`` overrides each app's
    ``token_ttl_seconds``)."""

    def __init__(self, store, clock, ttl: float | None = None) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self._tokens: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.minted = 0

    def scopes_for(self, headers: dict) -> tuple[bool, frozenset[str] | None]:
        """``(authorized, scopes)`` of a request: scopes None means every scope."""
        sent = {k.lower(): v for k, v in (headers or {}).items()}.get("x-shopify-access-token")
        token = self.store.access_token
        if not token and not self.store.apps:
            return True, None
        if token and sent == token:
            return True, None
        with self._lock:
            grant = self._tokens.get(sent or "")
            if grant is not None and self.clock.now() >= grant.expires_at:
                del self._tokens[sent]
                grant = None
        return (True, frozenset(grant.scopes)) if grant else (False, None)

    def post(self, form: dict) -> tuple[int, str]:
        """Answer one grant: ``(HTTP status, body text)`` (JSON when 200, else an HTML page)."""
        if form.get("grant_type") != "client_credentials" or not form.get("client_id") \
                or not form.get("client_secret"):
            return _refused("invalid_request")
        client_id = str(form["client_id"])
        app = next((a for a in self.store.apps if a["client_id"] == client_id), None)
        if app is None:
            return _refused("application_cannot_be_found",
                            f"Could not find Shopify API application with api_key {client_id}")
        if not secrets.compare_digest(str(form["client_secret"]), app["client_secret"]):
            return _refused("invalid_client")
        ttl = self.ttl if self.ttl is not None else app.get("token_ttl_seconds", DEFAULT_TTL)
        token = "shpat_" + secrets.token_hex(16)
        scopes = tuple(app.get("scopes", ()))
        with self._lock:
            self._tokens[token] = Grant(client_id, scopes, self.clock.now() + ttl)
            self.minted += 1
        return 200, json.dumps({"access_token": token, "scope": ",".join(scopes),
                                "expires_in": int(ttl)})

    def respond(self, raw: bytes, content_type: str | None) -> tuple[int, str, bytes]:
        """Answer ``POST /admin/oauth/access_token`` over HTTP: status, content type, body."""
        text = raw.decode("utf-8", "replace")
        if (content_type or "").split(";")[0].strip().lower() == "application/json":
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            form = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            form = dict(parse_qsl(text))
        status, answer = self.post(form)
        kind = "application/json" if status == 200 else "text/html"
        return status, f"{kind}; charset=utf-8", answer.encode()


def _refused(code: str, detail: str = "") -> tuple[int, str]:
    title = f"400 - Oauth error {code}" + (f": {detail}" if detail else "")
    return 400, (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head>"
                 f"<body><h1>Oauth error {html.escape(code)}</h1>"
                 f"<p>{html.escape(detail)}</p></body></html>")


def apps_from_state(raw: object) -> list[dict]:
    """The ``apps`` of a state file (already checked against ``state.schema.json``)."""
    if not isinstance(raw, list):
        return []
    return [{k: app[k] for k in APP_FIELDS if k in app} for app in raw
            if isinstance(app, dict) and isinstance(app.get("client_id"), str)
            and isinstance(app.get("client_secret"), str)]


def _installation(_source, info) -> dict:
    scopes = info.context.scopes
    handles = ALL_SCOPES if scopes is None else tuple(sorted(scopes))
    return {"id": "gid://shopify/AppInstallation/1",
            "accessScopes": [{"handle": h, "description": DESCRIPTIONS.get(h, h)}
                             for h in handles]}


RESOLVERS = {("QueryRoot", "currentAppInstallation"): _installation}
