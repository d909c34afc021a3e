"""``syncer emulator``: serve the local Shopify emulator, with fault flags over its state file."""

from __future__ import annotations

from typing import Any

import click

from syncer import engine
from syncer.errors import quoted


def _latency_ms(_ctx: click.Context, _param: click.Parameter,
                value: str | None) -> float | list[float] | None:
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
@click.option("--token-ttl", type=click.IntRange(min=1), metavar="SECONDS",
              help="Lifetime of the access tokens its apps mint (default: each app's "
                   "token_ttl_seconds, 86399 as on Shopify).")
@click.option("--ready-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Once listening, write the store URL (http://HOST:PORT) into FILE, for "
                   "scripts to wait on; removed when the emulator stops.")
def emulator(state: str, host: str, port: int, key_replay: str | None, bulk_rate: float | None,
             bulk_fail: float | None, bulk_drop: float | None, token_ttl: int | None,
             ready_file: str | None, **faults: Any) -> None:
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
    engine.serve_emulator(engine.emulator_request(
        state=state, host=host, port=port, key_replay=key_replay, faults=faults,
        bulk_rate=bulk_rate, bulk_fail=bulk_fail, bulk_drop=bulk_drop, ready_file=ready_file,
        token_ttl=token_ttl),
        say=lambda text: click.echo(text, err=True))
