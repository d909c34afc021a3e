"""Connecting to a store: a local state file (with its lock), an emulator URL or a shop."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from syncer.emulator import Emulator, StateError
from syncer.emulator.handler import wall_time
from syncer.errors import StoreError, UsageError
from syncer.shopify.bulk import Fetch, local_fetch
from syncer.shopify.stores import (
    DEFAULT_API_VERSION,
    STORE_ENV,
    TOKEN_ENV,
    check_api_version,
    parse_store,
)
from syncer.shopify.transport import HttpTransport, LocalTransport, Transport, download

Progress = Callable[[str], None]


@dataclass
class Connection:
    """A connected store: its transport, the name recorded in plan files, and its lock."""

    name: str
    kind: str  # "file" | "http" | "shopify"
    api_version: str
    transport: Transport
    emulator: Emulator | None = None
    lock: object | None = None
    fetch: Fetch | None = None  # downloads bulk results (None: the store cannot serve them)

    def wall_clock(self) -> float:
        """Seconds since the epoch as the store sees them (the emulator's clock when local)."""
        return wall_time(self.emulator.clock) if self.emulator is not None else time.time()

    def close(self) -> None:
        """Release the store file's lock, if held."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def connect(
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    env: Mapping[str, str] | None = None,
    lock: bool = False,
    lock_timeout: float = 300.0,
    progress: Progress | None = None,
) -> Connection:
    """Connect to ``store`` (or ``$SYNCER_STORE``): a local state file, an emulator URL or a shop.

    A local state file is served in process by the embedded emulator (no socket, no token needed);
    ``http://127.0.0.1:PORT`` is a running ``syncer emulator``; ``SHOP.myshopify.com`` is a real
    store reached with ``$SHOPIFY_ACCESS_TOKEN``.

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
        transport = HttpTransport.for_store(spec, api_version=api_version, env=env)
        return Connection(spec.address, spec.kind, api_version, transport, fetch=download)
    held = _lock_file(spec.address, lock_timeout, progress) if lock else None
    try:
        emulator = Emulator.load(spec.address)
    except StateError as exc:
        if held is not None:
            held.close()
        raise StoreError(str(exc)) from None
    token = env.get(TOKEN_ENV) or emulator.store.access_token
    transport = LocalTransport(
        emulator.handle,
        api_version=api_version,
        token=token,
        sleep=emulator.clock.sleep,
        clock=emulator.clock.now,
    )
    return Connection(str(Path(spec.address).resolve()), "file", api_version, transport, emulator,
                 held, fetch=local_fetch(emulator.bulk.open))


def _lock_file(path: str, timeout: float, progress: Progress | None):
    """An open lock file on ``path + '.lock'`` holding an exclusive ``flock``."""
    lock_path = f"{path}.lock"
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 (held open until Connection.close)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise StoreError(
                    f"{path} is locked by another syncer apply (waited {timeout:.0f}s); "
                    f"try again when it has finished"
                ) from None
            if not told and progress is not None:
                progress(f"Waiting for another syncer apply to release {path} ...")
                told = True
            time.sleep(0.05)
