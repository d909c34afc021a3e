"""``syncer emulator``: serve a local Shopify emulator over a state file until stopped.

The state file is locked while it is served (an apply to the file would lose writes); fault
settings given by the caller override the file's; a ready file tells scripts the address once
the socket listens.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, NoReturn, cast

from syncer import emulator as emulator_package
from syncer.emulator import Emulator, FaultConfig, FaultConfigError, StateError
from syncer.emulator.bulk import BulkSettings
from syncer.emulator.statelock import StateLock, StateLocked
from syncer.errors import SyncerError, UsageError

#: A SIGTERM handler as ``signal.signal`` returns it (None: not set from Python).
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@dataclass(frozen=True)
class EmulatorRequest:
    """``syncer emulator``: what to serve and how (``faults``: flag overrides, None unset)."""

    state: str
    host: str = "127.0.0.1"
    port: int = 0
    key_replay: str | None = None
    faults: dict[str, Any] = field(default_factory=dict)
    bulk_rate: float | None = None
    bulk_fail: float | None = None
    bulk_drop: float | None = None
    ready_file: str | None = None
    #: Lifetime of the tokens its apps mint (None: each app's ``token_ttl_seconds``).
    token_ttl: int | None = None


def serve_emulator(request: EmulatorRequest, say: Callable[[str], None]) -> None:
    """Lock the state file and serve it until Ctrl-C or SIGTERM."""
    bulk = BulkSettings(rows_per_second=request.bulk_rate or 2000.0,
                        fail=request.bulk_fail or 0.0, drop=request.bulk_drop or 0.0,
                        seed=request.faults.get("seed") or 0)
    try:
        lock = StateLock(request.state)  # held while serving
    except StateLocked as exc:
        raise SyncerError(str(exc)) from None
    except OSError as exc:
        raise SyncerError(f"cannot lock {request.state}: {exc.strerror or exc}") from None
    try:
        _serve(request.state, lock, request.host, request.port, request.key_replay,
               request.faults, bulk, request.ready_file, say, request.token_ttl)
    finally:
        lock.release()


def _serve(state: str, lock: StateLock, host: str, port: int, key_replay: str | None,
           faults: dict[str, Any], bulk: BulkSettings, ready_file: str | None,
           say: Callable[[str], None], token_ttl: int | None = None) -> None:
    """Load the state file and serve it until Ctrl-C (``lock`` held by the caller)."""
    try:
        # Clients over HTTP wait in real time, so the served store takes Shopify's time.
        emu = Emulator.load(state, key_replay=key_replay, timing="shopify")
    except StateError as exc:
        raise SyncerError(str(exc)) from None
    if emu.simulated:
        raise SyncerError(
            f"{state}: its \"clock\" is a simulated clock, which only a local store "
            f"(--store {state}) can run on: clients over HTTP wait in real time, so its time "
            "would stand still; remove \"clock\" from the file to serve it")
    overrides = {k: v for k, v in faults.items() if v is not None}
    if overrides:
        # the state file's faults (a FaultConfig; the emulator types it object)
        base = cast(FaultConfig, emu.store.faults).to_dict() if emu.store.faults is not None else {}
        try:
            emu.set_faults(FaultConfig.from_dict({**base, **overrides}))
        except FaultConfigError as exc:
            raise UsageError(str(exc)) from None
    emu.bulk.configure(bulk)
    emu.oauth.ttl = token_ttl
    try:
        server = emulator_package.serve(emu, host=host, port=port)  # looked up at call time
    except OSError as exc:
        raise SyncerError(_listen_error(host, port, exc)) from None
    if emu.faults is not None and emu.faults.config.active:
        say(f"Fault injection: {emu.faults.config.to_dict()}")
    address = server.url.split("/admin/")[0]
    lock.note(url=address)
    # The socket listens from here on: a client connecting now waits until serve_forever runs.
    say(f"Shopify emulator listening on {server.url} (Ctrl-C to stop)")
    previous = _stop_on_sigterm()
    try:
        if ready_file:
            _write_ready_file(ready_file, address)
        server.serve_forever()
    except KeyboardInterrupt:
        say("Stopped.")
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if ready_file:
            with contextlib.suppress(OSError):
                os.unlink(ready_file)


def _stop_on_sigterm() -> Handler:
    """Make SIGTERM (``kill PID``) stop the server as Ctrl-C does, so that the ready file is
    removed; the previous handler, or None where handlers cannot be set (not the main thread)."""
    def stop(_signum: int, _frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:
        return None


def _write_ready_file(path: str, address: str) -> None:
    """``address`` and a newline into ``path``, whole or not at all (a temp file renamed)."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".syncer-ready-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(address + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise SyncerError(
            f"cannot write --ready-file {path}: {exc.strerror or exc}") from None


def _listen_error(host: str, port: int, exc: OSError) -> str:
    """Why the emulator cannot listen on ``host:port``, as a sentence saying what to do."""
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (by another syncer emulator or "
                "server): stop it, or pass another --port (--port 0 picks a free one)")
    if exc.errno == errno.EACCES:
        return (f"not allowed to listen on port {port} (ports below 1024 need privileges): "
                "pass another --port (--port 0 picks a free one)")
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return (f"cannot listen on {host}: it is not an address of this machine; pass "
                "--host 127.0.0.1")
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
