"""``syncer apply``: a saved plan (one engine call), or manifests planned, shown, confirmed on
a terminal and applied."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from syncer import engine
from syncer.cli.options import (
    Console,
    echo,
    flags,
    history_option,
    notify_option,
    read_option,
    reason_options,
    selection_options,
    store_options,
    verbosity_options,
)
from syncer.cli.planning import render
from syncer.errors import SyncerError, UsageError
from syncer.plan.render import RENDERERS


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        return engine.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@click.option("--auto-approve", is_flag=True,
              help="Apply manifests without asking for confirmation (needed off a terminal).")
@click.option("--force", is_flag=True, help="Apply a plan marked unsafe.")
@click.option("--rebase", is_flag=True,
              help="On a conflict, recompute the change from the live value (same target) "
              "instead of leaving it, if the plan stays safe.")
@reason_options(None, "With manifests: recorded on every quantity change. With a saved plan: "
                 "the plan's (set by `syncer plan`); a different one is refused.")
@click.option("--max-plan-age", default="24h", show_default=True, callback=_duration,
              metavar="DURATION", help="Refuse saved plans older than this (90m, 24h, 2d).")
@click.option("--manifests", multiple=True, type=click.Path(), metavar="PATH",
              help="Check that these manifests still match the saved plan (repeatable). "
              "Default: the files the plan recorded, when present.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write the apply report to this file as JSON (- for stdout: the "
              "report shown goes to stderr).")
@click.option("--prune", is_flag=True, help="With manifests: as for `syncer plan`.")
@selection_options("plan (with manifests)")
@read_option
@notify_option
@history_option
@verbosity_options
def apply_command(paths: tuple[str, ...], store: str | None, api_version: str | None,
                  auto_approve: bool, force: bool, rebase: bool, reason: str | None,
                  reference: str | None, max_plan_age: timedelta, manifests: tuple[str, ...],
                  report_path: str | None, prune: bool, target: tuple[str, ...],
                  exclude: tuple[str, ...], read: str | None, notify: tuple[str, ...],
                  history: str | None, verbose: bool, quiet: bool) -> int:
    """Apply a saved plan, or plan the manifests and apply after confirmation.

    A saved plan runs exactly its steps: each has an idempotency key derived from the plan, and
    every quantity change is compare-and-set against the value the plan showed. Running the same
    plan again after a failure resumes it without applying anything twice.

    A conflict (a quantity moved since the plan) is left as it is and named; every other change
    is still applied.

    Exit codes: 0 applied, 3 unsafe plan (see --force), 4 conflict or stale plan, 5 stopped part
    way (the report says what was applied; run the same plan again to resume), 130 Ctrl-C.

    Example:

    \b
        syncer plan stores/us -o plan.json --reference https://github.com/acme/stock/pull/42
        syncer apply plan.json
        syncer apply stores/us --store store.json --auto-approve
    """
    console = Console(verbose, quiet)
    err = report_path == "-"  # the JSON report has stdout
    request = engine.ApplyRequest(
        tuple(paths), flags(store, api_version, reason, reference, read),
        engine.Selection(prune, tuple(target), tuple(exclude)), force, rebase, auto_approve,
        max_plan_age, tuple(manifests), report_path, tuple(notify), history)
    prepared = None
    if not engine.is_plan_file(paths):
        if not auto_approve and not _interactive():
            raise UsageError("not asking for confirmation without a terminal: pass "
                             "--auto-approve, or save the plan with `syncer plan -o plan.json` "
                             "and apply the file")
        try:
            prepared = engine.prepare(request, console.progress)
        except SyncerError as exc:
            if exc.plan is not None:
                echo(render(RENDERERS, exc.plan, "text"), err=err)
            raise
        echo(render(RENDERERS, prepared.plan, "text"), err=err)
        if prepared.plan.has_changes and not auto_approve:
            _confirm(prepared)
    result = engine.apply(request, prepared, console.progress)
    for note in result.notes:
        console.say(note)
    if result.report is not None:
        echo(result.report.render_text(), err=err)
    if result.report_written is not None:
        console.say(f"Report written to {result.report_written}")
    if result.report is None:
        return 0
    if result.since_review_checked:
        echo("\n" + engine.render_since_review(result.since_review, result.meta.plan_id))
    return result.report.exit_code


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(prepared: engine.Prepared) -> None:
    """Ask on the terminal before applying; anything but ``yes`` cancels."""
    answer = click.prompt("Apply this plan? Only 'yes' will be accepted", default="",
                          show_default=False, err=True)
    if answer.strip() != "yes":
        prepared.close()
        raise SyncerError("apply cancelled; nothing was changed")
