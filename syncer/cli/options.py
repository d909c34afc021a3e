"""What the store commands share: their common options (``--store``, ``--api-version``,
``--format``, ``--reason``/``--reference``, ``--read``, ``-v``/``--quiet``), the request pieces
they make of them, and their output (a result rendered on stdout, progress on stderr)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from syncer import engine
from syncer.errors import quoted
from syncer.progress import ProgressPrinter, silent

#: A command function, before or after options are added to it.
F = TypeVar("F", bound=Callable[..., Any])


def store_options(func: F) -> F:
    """``--store`` and ``--api-version``, shared by every command that talks to a store."""
    func = click.option(
        "--api-version", metavar="YYYY-MM",
        help="Shopify Admin API version (2026-04, 2026-07 or 2026-10). Default: "
        f"$SYNCER_API_VERSION, syncer.yaml, else {engine.DEFAULT_API_VERSION}.",
    )(func)
    return click.option(
        "--store", envvar=engine.STORE_ENV, metavar="STORE",
        help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
        f"(credentials: ${engine.TOKEN_ENV}, or $SHOPIFY_CLIENT_ID and $SHOPIFY_CLIENT_SECRET). "
        f"Default: ${engine.STORE_ENV}, else the store syncer.yaml names.",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
        default="text", show_default=True, help="Output format.",
    )(func)


def _reference(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (":" not in value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(
            f"{quoted(value)} is not a URI; give a URL such as https://github.com/org/repo/pull/42"
        )
    return value


def reason_options(default: str | None, how: str) -> Callable[[F], F]:
    """``--reason`` and ``--reference``, for ``plan`` (saved in the plan) and ``apply``."""
    def add(func: F) -> F:
        func = click.option(
            "--reference", metavar="URI", callback=_reference,
            help="Reference document on every quantity change, e.g. the pull request URL. "
            f"Default: gid://syncer/Plan/<plan_id>. {how}")(func)
        return click.option(
            "--reason", type=click.Choice(engine.ADJUST_REASONS), default=default,
            show_default=default is not None,
            help=f"Reason on every quantity change (default {engine.DEFAULT_REASON}). {how}")(func)
    return add


def read_option(func: F) -> F:
    return click.option(
        "--read", type=click.Choice(engine.READ_MODES),
        help="How to read the store: bulk (one bulk query), paged (paginated queries), scan "
        "(page through every level of the locations), or auto (bulk from "
        f"{engine.BULK_MIN_LEVELS} manifest levels on; paged if a bulk query fails). Default: "
        "$SYNCER_READ, syncer.yaml's read, auto.",
    )(func)


def selection_options(what: str) -> Callable[[F], F]:
    """``--target`` and ``--exclude``: which levels and discount codes a plan covers."""
    def add(func: F) -> F:
        func = click.option("--exclude", multiple=True, metavar="SELECTOR",
                            help="Leave out the levels or discount codes SELECTOR matches "
                            "(as for --target; repeatable), e.g. --exclude code=BLACKFRIDAY."
                            )(func)
        func = click.option("--target", multiple=True, metavar="SELECTOR",
                            help=f"Only {what} what a SELECTOR matches (repeatable): levels by "
                            "location=NAME or sku=GLOB, discount codes by code=GLOB (ignoring "
                            "case). With any --target, levels and codes no target matches are "
                            "left out, e.g. --target 'code=SPRING*' plans those codes and no "
                            "level.")(func)
        return func
    return add


def notify_option(func: F) -> F:
    """``--notify URL``: where to post the outcome (plan, drift, apply)."""
    return click.option(
        "--notify", multiple=True, metavar="URL",
        help="POST a small JSON message with the outcome to URL (a Slack incoming webhook "
        "shows its text; repeatable; also $SYNCER_NOTIFY). A failed notification is a warning "
        "and never changes the exit code.")(func)


def history_option(func: F) -> F:
    """``--history DIR``: a record of the run in ``DIR/history.jsonl`` (drift, apply)."""
    return click.option(
        "--history", metavar="DIR", type=click.Path(file_okay=False),
        help="Append a record of this run to DIR/history.jsonl (made if needed): what drifted "
        "or what was applied, per store. Draw it with: syncer report DIR -o drift.html")(func)


def flags(store: str | None = None, api_version: str | None = None, reason: str | None = None,
          reference: str | None = None, read: str | None = None) -> engine.StoreFlags:
    """The store flags of the running command (``store_is_flag``: given on the command line,
    not taken from ``$SYNCER_STORE``)."""
    source = click.get_current_context().get_parameter_source("store")
    return engine.StoreFlags(store=store, api_version=api_version, reason=reason,
                             reference=reference, read=read,
                             store_is_flag=source is ParameterSource.COMMANDLINE)


def verbosity_options(func: F) -> F:
    """``-v``/``--verbose`` and ``-q``/``--quiet``: the same on every command."""
    func = click.option("-q", "--quiet", is_flag=True,
                        help="Print no progress on stderr, only warnings and errors.")(func)
    return click.option("-v", "--verbose", is_flag=True,
                        help="Log every step (requests, apply steps) on stderr.")(func)


def color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


class Console:
    """stderr for people: progress lines (a redrawn bar on a terminal, plain lines elsewhere)
    and the ``syncer`` loggers, configured once per command from ``-v``/``--quiet``."""

    def __init__(self, verbose: bool = False, quiet: bool = False) -> None:
        self.printer = ProgressPrinter(sys.stderr)
        #: What the engine is given for progress: the printer itself (a furniture module's
        #: object, so the engine never calls back into the CLI), or nothing with --quiet.
        self.progress = silent if quiet else self.printer
        root = logging.getLogger("syncer")
        for handler in [h for h in root.handlers if getattr(h, "syncer_cli", False)]:
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.setLevel(logging.INFO if verbose else logging.WARNING)
        handler.syncer_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        # Only -v lowers the logger's own level; otherwise it follows the root logger's.
        root.setLevel(logging.INFO if verbose else logging.NOTSET)

    def say(self, text: str) -> None:
        """A line after the output (where a plan was saved, a note): kept with --quiet."""
        self.printer(text)


def echo(text: str, err: bool = False) -> None:
    click.echo(text, nl=False, err=err)
