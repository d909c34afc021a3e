"""What the store commands share: their common options (``--store``, ``--api-version``,
``--format``, ``--reason``/``--reference``, ``--read``) and their output (a plan rendered on
stdout, progress on stderr)."""

from __future__ import annotations

import os
import sys

import click

from syncer import engine, fleet
from syncer.errors import quoted
from syncer.plan.document import DEFAULT_REASON
from syncer.progress import ProgressPrinter
from syncer.shopify.reader import BULK_MIN_LEVELS
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV
from syncer.shopify.variables import ADJUST_REASONS


def store_options(func):
    """``--store`` and ``--api-version``, shared by every command that talks to a store."""
    func = click.option(
        "--api-version", metavar="YYYY-MM",
        help="Shopify Admin API version (2026-04, 2026-07 or 2026-10). Default: "
        f"$SYNCER_API_VERSION, syncer.yaml, else {DEFAULT_API_VERSION}.",
    )(func)
    return click.option(
        "--store", envvar=STORE_ENV, metavar="STORE",
        help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
        f"(token from ${TOKEN_ENV}). Default: ${STORE_ENV}, else the store syncer.yaml names.",
    )(func)


def format_option(func):
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
        default="text", show_default=True, help="Output format.",
    )(func)


def _reference(_ctx, _param, value):
    if value is not None and (":" not in value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(
            f"{quoted(value)} is not a URI; give a URL such as https://github.com/org/repo/pull/42"
        )
    return value


def reason_options(default: str | None, how: str):
    """``--reason`` and ``--reference``, for ``plan`` (saved in the plan) and ``apply``."""
    def add(func):
        func = click.option(
            "--reference", metavar="URI", callback=_reference,
            help="Reference document on every quantity change, e.g. the pull request URL. "
            f"Default: gid://syncer/Plan/<plan_id>. {how}")(func)
        return click.option(
            "--reason", type=click.Choice(ADJUST_REASONS), default=default,
            show_default=default is not None,
            help=f"Reason on every quantity change (default {DEFAULT_REASON}). {how}")(func)
    return add


def color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


_printer: ProgressPrinter | None = None


def progress(text: str) -> None:
    """Progress on stderr: a redrawn bar on a terminal, else plain lines every few seconds."""
    global _printer
    if _printer is None or _printer.stream is not sys.stderr:
        _printer = ProgressPrinter(sys.stderr)
    _printer(text)


def read_option(func):
    return click.option(
        "--read", type=click.Choice(fleet.READ_MODES),
        help="How to read the store: bulk (one bulk query), paged (paginated queries), scan "
        f"(page through every level of the locations), or auto (bulk from {BULK_MIN_LEVELS} "
        "manifest levels on; paged if a bulk query fails). Default: $SYNCER_READ, syncer.yaml's "
        "read, auto.",
    )(func)


def render(renderers, plan, fmt) -> str:
    return renderers[fmt](plan, color=color()) if fmt == "text" else renderers[fmt](plan)


def plan_hooks(renderers, fmt, err: bool = False) -> engine.Hooks:
    """Progress lines on stderr; a plan rendered in ``fmt`` on stdout (on stderr with ``err``:
    when the saved plan or report goes to stdout, ``-o -``)."""
    return engine.Hooks(
        say=progress,
        show_plan=lambda plan: click.echo(render(renderers, plan, fmt), nl=False, err=err),
    )
