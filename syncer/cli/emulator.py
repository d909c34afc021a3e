"""``syncer emulator``: serve the local Shopify emulator, with fault flags over its state file."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import tempfile

import click

from syncer.errors import quoted


def _latency_ms(_ctx, _param, value):
    """``MS`` or ``LOW-HIGH`` milliseconds, for ``syncer emulator --latency-ms``."""
    if value is None:
        return None
    parts = value.split("-", 1)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if not numbers or any(n < 0 for n in numbers) or numbers[0] > numbers[-1]:
        raise click.BadParameter(
            f"{quoted(value)} is not a delay: give milliseconds such as 50, or a range such as "
            "10-200"
        )
    return numbers[0] if len(numbers) == 1 else numbers


_RATE = click.FloatRange(0, 1)


@click.command()
@click.option("--state", "state", required=True, type=click.Path(dir_okay=False),
              help="Store state JSON file; changes are saved back to it.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, help="Port to bind (0 picks a free one).")
@click.option("--fault-seed", "seed", type=int, metavar="N",
              help="Seed of the fault injection (same seed and requests, same faults).")
@click.option("--drop-after-commit", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a mutation is committed and its response dropped.")
@click.option("--http-error", type=_RATE, metavar="RATE",
              help="Chance (0-1) of HTTP 500/502/503 without executing the request.")
@click.option("--throttle", type=_RATE, metavar="RATE",
              help="Chance (0-1) of a THROTTLED answer without executing the request.")
@click.option("--close-mid-response", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a mutation is committed and the connection closed after "
                   "half of the response.")
@click.option("--latency-ms", callback=_latency_ms, metavar="MS",
              help="Delay every request: milliseconds (50) or a random range (10-200).")
@click.option("--sales-rate", type=_RATE, metavar="RATE",
              help="Chance (0-1) of a simulated sale (available goes down) before a request.")
@click.option("--sales-max-units", type=click.IntRange(min=1), metavar="N",
              help="Most units one simulated sale takes (default 1).")
@click.option("--key-replay", type=click.Choice(["cached", "reevaluate", "ignored"]),
              help="How a repeated idempotency key is answered: cached (the first result, "
                   "default), reevaluate (run again; compare-and-set decides) or ignored "
                   "(keys not deduplicated). Overrides the state file's key_replay.")
@click.option("--bulk-rate", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Objects per second a bulk query exports (default 2000).")
@click.option("--bulk-fail", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a bulk query operation ends FAILED part-way.")
@click.option("--bulk-drop", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a bulk result download is cut off half-way.")
@click.option("--ready-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Once listening, write the store URL (http://HOST:PORT) into FILE, for "
                   "scripts to wait on; removed when the emulator stops.")
def emulator(state, host, port, key_replay, bulk_rate, bulk_fail, bulk_drop, ready_file,
             **faults):
    """Serve the local Shopify Admin GraphQL emulator (API 2026-04, 2026-07, 2026-10) until Ctrl-C.

    Fault flags override the state file's "faults" section (see syncer/emulator/README.md).
    GET /_emulator/faults shows fault counters, sales and the mutation journal.

    Examples:

    \b
        syncer emulator --state examples/quickstart/store.json --port 8787
        syncer emulator --state store.json --fault-seed 7 --drop-after-commit 0.2 \\
            --http-error 0.05 --throttle 0.1 --latency-ms 10-200
        syncer emulator --state store.json --sales-rate 0.3 --sales-max-units 2
        syncer emulator --state store.json --key-replay reevaluate
        syncer emulator --state store.json --ready-file /tmp/emulator.url &
    """
    from syncer.emulator.bulk import BulkSettings
    from syncer.emulator.statelock import StateLock, StateLocked

    bulk = BulkSettings(rows_per_second=bulk_rate or 2000.0, fail=bulk_fail or 0.0,
                        drop=bulk_drop or 0.0, seed=faults.get("seed") or 0)

    try:
        lock = StateLock(state)  # held while serving: an apply to the file would lose writes
    except StateLocked as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot lock {state}: {exc.strerror or exc}") from None
    try:
        _serve(state, lock, host, port, key_replay, faults, bulk, ready_file)
    finally:
        lock.release()


def _serve(state, lock, host, port, key_replay, faults, bulk, ready_file) -> None:
    """Load the state file and serve it until Ctrl-C (``lock`` held by the caller)."""
    from syncer.emulator import Emulator, FaultConfig, FaultConfigError, StateError, serve

    try:
        # Clients over HTTP wait in real time, so the served store takes Shopify's time.
        emu = Emulator.load(state, key_replay=key_replay, timing="shopify")
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    if emu.simulated:
        raise click.ClickException(
            f"{state}: its \"clock\" is a simulated clock, which only a local store "
            f"(--store {state}) can run on: clients over HTTP wait in real time, so its time "
            "would stand still; remove \"clock\" from the file to serve it")
    overrides = {k: v for k, v in faults.items() if v is not None}
    if overrides:
        base = emu.store.faults.to_dict() if emu.store.faults is not None else {}
        try:
            emu.set_faults(FaultConfig.from_dict({**base, **overrides}))
        except FaultConfigError as exc:
            raise click.UsageError(str(exc)) from None
    emu.bulk.configure(bulk)
    try:
        server = serve(emu, host=host, port=port)
    except OSError as exc:
        raise click.ClickException(_listen_error(host, port, exc)) from None
    if emu.faults is not None and emu.faults.config.active:
        click.echo(f"Fault injection: {emu.faults.config.to_dict()}", err=True)
    address = server.url.split("/admin/")[0]
    lock.note(url=address)
    # The socket listens from here on: a client connecting now waits until serve_forever runs.
    click.echo(f"Shopify emulator listening on {server.url} (Ctrl-C to stop)", err=True)
    previous = _stop_on_sigterm()
    try:
        if ready_file:
            _write_ready_file(ready_file, address)
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if ready_file:
            with contextlib.suppress(OSError):
                os.unlink(ready_file)


def _stop_on_sigterm():
    """Make SIGTERM (``kill PID``) stop the server as Ctrl-C does, so that the ready file is
    removed; the previous handler, or None where handlers cannot be set (not the main thread)."""
    def stop(_signum, _frame):
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
        raise click.ClickException(
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
