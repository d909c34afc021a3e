"""The commands that read and never write the store: ``validate``, ``plan``, ``drift`` and
``show``. Each builds a request, makes one engine call and renders the result."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import cast

import click

from syncer import engine
from syncer.cli.options import (
    Console,
    color,
    echo,
    flags,
    format_option,
    history_option,
    notify_option,
    read_option,
    reason_options,
    selection_options,
    store_options,
    verbosity_options,
)
from syncer.errors import EXIT_ERROR
from syncer.manifest.report import render_report_json, summarize, summarize_problems
from syncer.plan.render import DRIFT_RENDERERS, RENDERERS

#: Renderers by format name (``RENDERERS``, ``DRIFT_RENDERERS``).
Renderers = Mapping[str, Callable[..., str]]


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: a summary, or one error per line on stderr. json: a report on stdout.",
)
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check manifests (files or folders of *.yaml) without contacting the store.

    Prints a one-line summary and exits 0, or prints every problem as
    FILE:LINE:COLUMN: MESSAGE and exits 1.

    Example:

    \b
        syncer validate examples/multi-location
        syncer validate stores/ --format json
    """
    result = engine.validate(engine.ValidateRequest(tuple(paths)))
    if fmt == "json" and len(result.stores) > 1:
        reports = ",\n".join(f'{{"store": {json.dumps(name)}, "report": '
                              f'{render_report_json(desired, ())}}}'
                              for name, desired in result.stores)
        click.echo(f'{{"valid": true, "stores": [\n{reports}\n]}}')
    elif fmt == "json":
        click.echo(render_report_json(result.desired, result.problems))
    elif result.desired is not None:
        click.echo(summarize(result.desired))
    elif result.stores:
        for name, desired in result.stores:
            click.echo(f"{name}: {summarize(desired)}")
    else:
        click.echo("\n".join(map(str, result.problems)), err=True)
        click.echo(summarize_problems(result.problems), err=True)
    if result.problems:
        raise click.exceptions.Exit(EXIT_ERROR)


@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help="Save the plan to this file (- for stdout: the plan shown goes to stderr). "
              f"With several store folders, {engine.STORE_FIELD} in it is each folder's name: "
              f"-o 'plans/{engine.STORE_FIELD}.json'.")
@format_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 3 when the plan is unsafe (0: no changes).")
@click.option("--prune", is_flag=True,
              help="Deactivate levels at the manifests' locations that no manifest names.")
@selection_options("plan")
@reason_options(None, "Saved in the plan (-o); apply records it on every quantity "
                 "change.")
@read_option
@notify_option
@verbosity_options
def plan_command(paths: tuple[str, ...], store: str | None, api_version: str | None,
                 out: str | None, fmt: str, detailed_exitcode: bool, prune: bool,
                 target: tuple[str, ...], exclude: tuple[str, ...], reason: str | None,
                 reference: str | None, read: str | None, notify: tuple[str, ...],
                 verbose: bool, quiet: bool) -> int:
    """Read the live store and show what applying the manifests would change. Never writes.

    --target and --exclude narrow the plan. location=NAME and sku=GLOB select levels (targets
    OR-ed within a field, AND-ed across fields); code=GLOB selects discount codes (fnmatch,
    ignoring case). With any --target, only the levels and codes some target matches are
    planned (code targets alone plan no level, level targets alone no code); each --exclude
    takes out what it matches.

    Example:

    \b
        syncer plan stores/us --store us-flagship.myshopify.com -o plan.json
        syncer plan examples/quickstart --store store.json --format markdown
        syncer plan stores/* -o 'plans/{store}.json'
        syncer plan stores/us --target 'code=SPRING*' --exclude code=SPRING-VIP
    """
    console = Console(verbose, quiet)
    request = engine.PlanRequest(
        tuple(paths), flags(store, api_version, reason, reference, read),
        engine.Selection(prune, tuple(target), tuple(exclude)), out, tuple(notify))
    result = engine.plan(request, console.progress)
    show_fleet(result, RENDERERS, fmt, detailed_exitcode, console, err=out == "-")
    return result.exit_code(detailed_exitcode)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@format_option
@click.option("--prune", is_flag=True, help="List unmanaged levels at the manifests' locations.")
@selection_options("check")
@click.option("--detailed-exitcode", is_flag=True,
              help="Accepted as for `syncer plan`: drift always exits 2 when there is drift.")
@click.option("--write-manifests", is_flag=True,
              help="Adopt the drifted live values into the manifests (only those values change).")
@click.option("--adopt-unmanaged", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --write-manifests: add levels no manifest names to FILE.")
@read_option
@history_option
@notify_option
@verbosity_options
def drift(paths: tuple[str, ...], store: str | None, api_version: str | None, fmt: str,
          prune: bool, target: tuple[str, ...], exclude: tuple[str, ...], detailed_exitcode: bool,
          write_manifests: bool, adopt_unmanaged: str | None, read: str | None,
          notify: tuple[str, ...], history: str | None, verbose: bool, quiet: bool) -> int:
    """Report where the live store has left the manifests. Exits 2 when there is drift.

    Run it on a schedule and page someone on exit code 2; `--format json` gives per-level
    desired, live and delta values for monitoring (delta as in `plan`: desired - live). A
    manifest error does not hide drift: the levels that could be read are checked, the errors
    are listed, and the exit code is 2 when there is drift, else 1.

    Example:

    \b
        syncer drift stores/us --store us-flagship.myshopify.com --format json
        syncer drift stores/us --write-manifests
    """
    console = Console(verbose, quiet)
    request = engine.DriftRequest(
        tuple(paths), flags(store, api_version, read=read),
        engine.Selection(prune, tuple(target), tuple(exclude)), write_manifests, adopt_unmanaged,
        tuple(notify), history)
    result = engine.drift(request, console.progress)
    show_fleet(result, DRIFT_RENDERERS, fmt, True, console)
    return result.exit_code(True)


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@format_option
def show(plan_file: str, fmt: str) -> None:
    """Show a saved plan as `syncer plan` showed it: exactly what `syncer apply` will run.

    The file is checked as `apply` checks it (format, fields, fingerprint, digest); the store is
    not contacted.

    Example:

    \b
        syncer plan stores/us --store store.json -o plan.json
        syncer show plan.json --format markdown
    """
    plan, _meta = engine.show(engine.ShowRequest(plan_file))
    echo(render(RENDERERS, plan, fmt))


def render(renderers: Renderers, plan: object, fmt: str) -> str:
    return renderers[fmt](plan, color=color()) if fmt == "text" else renderers[fmt](plan)


def show_fleet(result: engine.FleetResult, renderers: Renderers, fmt: str, detailed: bool,
               console: Console, err: bool = False) -> None:
    """One store as its plan (then its error, if any); a fleet under a heading per store."""
    single = result.single
    if single is None:
        echo(engine.render_fleet(result.stores, renderers[fmt], fmt, detailed, result.drift))
        for outcome in result.stores:
            _after(outcome, console)
        return
    if single.result is not None:
        echo(render(renderers, single.result.plan, fmt), err=err)
    _after(single, console)
    if single.error is not None:
        raise single.error


def _after(outcome: engine.StoreOutcome, console: Console) -> None:
    """What is said after a store's plan: notes, where it was saved, what drift wrote."""
    for note in outcome.notes:
        console.say(note)
    if outcome.saved_to is not None:
        plan = cast(engine.PlanResult, outcome.result).plan  # a saved plan was made
        if outcome.saved_to == "-":
            console.say("Plan written to standard output; save it to a file to apply it")
        elif plan.unsafe:
            console.say(f"Saved to {outcome.saved_to}; the plan is unsafe (see above), so apply "
                        f"it only with --force: syncer apply {outcome.saved_to} --force")
        else:
            console.say(f"Saved to {outcome.saved_to}; apply it with: syncer apply "
                        f"{outcome.saved_to}")
    written = outcome.written
    if written is not None:
        for file in written.written:
            console.say(f"Wrote {file}")
        if written.files:
            console.say(written.summary())
        for level in written.unmanaged:
            console.say(f"  not written (unmanaged): {level.location} / {level.sku}; pass "
                        "--adopt-unmanaged FILE to add it")


