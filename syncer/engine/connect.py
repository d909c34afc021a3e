"""Connecting to a store: a local state file (with its lock), an emulator URL or a shop."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from syncer.errors import StoreError, UsageError
from syncer.shopify.auth import local_token_source
from syncer.shopify.bulk import Fetch, local_fetch
from syncer.shopify.http_transport import HttpTransport, download
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.reader import read_shop
from syncer.shopify.stores import (
    DEFAULT_API_VERSION,
    STORE_ENV,
    check_api_version,
    parse_store,
)
from syncer.shopify.transport import Transport

if TYPE_CHECKING:
    from syncer.emulator import Emulator

Progress = Callable[[str], None]


@dataclass
class Connection:
    """A connected store: its transport, the name recorded in plan files, and its lock."""

    name: str
    kind: str  # "file" | "http" | "shopify"
    api_version: str
    transport: Transport
    emulator: Emulator | None = None
    lock: IO[str] | None = None
    fetch: Fetch | None = None  # downloads bulk results (None: the store cannot serve them)
    #: Seconds since the epoch as the store sees them (the emulator's clock when local: set
    #: from ``emulator`` unless given).
    wall_clock: Callable[[], float] | None = None
    _shop: tuple[str, str | None] | None = None

    def __post_init__(self) -> None:
        if self.wall_clock is None and self.emulator is None:
            self.wall_clock = time.time
        elif self.wall_clock is None:
            # Imported only for a local store (the emulator is a tenth of a second of a start).
            from syncer.emulator.handler import wall_time

            # the emulator is set (the branch above took the case without one)
            self.wall_clock = functools.partial(wall_time, cast("Emulator", self.emulator).clock)

    def shop(self) -> str:
        """The shop's ``myshopifyDomain``, asked once (one query of 1 cost point)."""
        return self.shop_names()[0]

    def remember_shop(self, shop: tuple[str, str | None]) -> tuple[str, str | None]:
        """Keep the shop's ``(myshopifyDomain, name)`` a read already carried; returns it."""
        if self._shop is None:
            self._shop = shop
        return self._shop

    def shop_names(self) -> tuple[str, str | None]:
        """The shop's ``myshopifyDomain`` and name, asked once (one query of 1 cost point)."""
        if self._shop is None:
            self._shop = read_shop(self.transport)
        return self._shop

    def granted_scopes(self) -> tuple[str, ...] | None:
        """The access scopes the store granted the token (client credentials list them when a
        token is minted); None when unknown (a legacy token, a store without credentials)."""
        auth = getattr(self.transport, "auth", None)
        if getattr(auth, "kind", None) != "client_credentials":
            return None
        scopes = tuple(getattr(auth, "scopes", ()) or ())
        return scopes or None

    def authentication(self) -> tuple[str, float | None]:
        """How the transport authenticates (never a secret: where the credentials come from),
        and the seconds until its token expires (None: unknown, or a token that does not)."""
        auth = getattr(self.transport, "auth", None)
        kind = getattr(auth, "kind", "none")
        if auth is None or kind == "none":
            return ("none needed (a local state file, served in process)" if self.kind == "file"
                    else "none (no access token or client credentials)"), None
        expires = auth.expires_in() if hasattr(auth, "expires_in") else None
        return auth.describe(), expires

    def served_version(self) -> str | None:
        """The API version the store said answered (after the first request), if it said."""
        return getattr(self.transport, "served_version", None)

    def close(self) -> None:
        """Release the store file's lock, if held."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def canonical_store(recorded: str) -> str:
    """A store address as a plan made by an older syncer recorded it, in today's canonical
    form (``http://localhost:N/`` is ``http://127.0.0.1:N``); other values as they are."""
    if "://" not in recorded:
        return recorded
    try:
        return parse_store(recorded).address
    except UsageError:
        return recorded


def connect(
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    env: Mapping[str, str] | None = None,
    lock: bool = False,
    lock_timeout: float = 300.0,
    progress: Progress | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Connection:
    """Connect to ``store`` (or ``$SYNCER_STORE``): a local state file, an emulator URL or a shop.

    A local state file is served in process by the embedded emulator (no socket, no token needed);
    ``http://127.0.0.1:PORT`` is a running ``syncer emulator``; ``SHOP.myshopify.com`` is a real
    store reached with ``$SHOPIFY_ACCESS_TOKEN``, else ``$SHOPIFY_CLIENT_ID`` and
    ``$SHOPIFY_CLIENT_SECRET`` (``credentials`` names other variables: ``auth.check_names``).

    With ``lock``, a local state file is locked (``FILE.lock``, held until ``Connection.close`` or
    exit) before it is read, so two applies to one file take turns instead of losing writes.
    """
    env = os.environ if env is None else env
    value = store or env.get(STORE_ENV)
    if not value:
        raise UsageError(
            f"no store given: pass --store FILE|http://127.0.0.1:PORT|SHOP.myshopify.com "
            f"or set {STORE_ENV}"
        )
    check_api_version(api_version)
    spec = parse_store(value)
    if spec.kind != "file":
        transport: Transport = HttpTransport.for_store(spec, api_version=api_version, env=env,
                                            names=credentials)
        return Connection(spec.address, spec.kind, api_version, transport, fetch=download)
    # Imported here: the emulator (and graphql-core, which it runs on) is a tenth of a second
    # of every start, and only a local store needs it.
    from syncer.emulator import Emulator, StateError

    held = _lock_file(spec.address, lock_timeout, progress) if lock else None
    try:
        emulator = Emulator.load(spec.address)
    except StateError as exc:
        if held is not None:
            held.close()
        raise StoreError(str(exc)) from None
    transport = LocalTransport(
        emulator.respond,
        api_version=api_version,
        auth=local_token_source(env, credentials, emulator.store.access_token,
                                emulator.oauth.post, spec.address, emulator.clock.now),
        sleep=emulator.clock.sleep,
        clock=emulator.clock.now,
    )
    return Connection(str(Path(spec.address).resolve()), "file", api_version, transport, emulator,
                      held, fetch=local_fetch(emulator.bulk.open))


#: What a state file's lock holder writes into ``FILE.lock``: one JSON line with its pid and
#: who it is. ``syncer emulator`` follows the same convention in ``emulator/statelock.py`` (the
#: emulator imports nothing from syncer, so each side implements it).
LOCK_HOLDER = "syncer apply"
EMULATOR_HOLDER = "syncer emulator"


def lock_path(path: str | os.PathLike[str]) -> str:
    """The lock file of the state file ``path``: ``FILE.lock``."""
    return f"{path}.lock"


def _lock_file(path: str, timeout: float, progress: Progress | None) -> IO[str]:
    """An open lock file on ``lock_path(path)`` holding an exclusive ``flock``.

    Another apply holding it is waited for (with a message naming its pid); ``syncer emulator``
    serving the file is refused at once, since it holds the lock until it is stopped.
    """
    from filelock import lock_descriptor  # portable flock (fcntl is Unix only); 50 ms import

    lock = lock_path(path)
    try:
        handle = open(lock, "a+")  # noqa: SIM115 (held open until Connection.close)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock}: {exc.strerror}") from None
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            if not lock_descriptor(handle.fileno(), blocking=False):
                raise BlockingIOError
        except BlockingIOError:
            holder = _holder(handle)
            who = f"{holder.get('holder') or 'another process'}" + (
                f" (pid {holder['pid']})" if holder.get("pid") else "")
            if holder.get("holder") == EMULATOR_HOLDER or time.monotonic() >= deadline:
                handle.close()
                raise StoreError(_locked_message(path, who, holder, timeout)) from None
            if not told and progress is not None:
                progress(f"Waiting for {who} to release {path} ...")
                told = True
            time.sleep(0.05)
            continue
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "holder": LOCK_HOLDER}) + "\n")
        handle.flush()
        return handle


def _holder(handle: IO[str]) -> dict[str, Any]:
    try:
        handle.seek(0)
        data = json.loads(handle.readline() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _locked_message(path: str, who: str, holder: dict[str, Any], timeout: float) -> str:
    if holder.get("holder") == EMULATOR_HOLDER:
        # A saved plan made against the file applies only to the file (an emulator URL is
        # another store to it), so "--store URL" alone is advice only for a fresh plan.
        url = holder.get("url") or "http://127.0.0.1:PORT"
        stop = f"kill {holder['pid']}" if holder.get("pid") else "Ctrl-C where it runs"
        return (f"{path} is being served by {who}, which would overwrite what this apply "
                f"writes: stop the emulator ({stop}) and run this again, or plan and apply "
                f"through the emulator with --store {url} (a plan made against the file "
                "applies only to the file)")
    return (f"{path} is locked by {who} (waited {timeout:.0f}s); try again when it has "
            "finished")
