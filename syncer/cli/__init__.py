"""The ``syncer`` command line: each command reads options, calls the library, prints.

Exit codes (DESIGN.md section 3): 0 success, 1 error, 2 changes or drift, 3 unsafe plan,
4 conflict, 5 partial apply, 64 usage error. Errors are turned into exit codes in one place,
``SyncerGroup.main``; commands never catch ``SyncerError`` themselves.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import click

from syncer import __version__, engine, fleet
from syncer.apply.applier import ApplyOptions
from syncer.cli import gitops, terminal
from syncer.cli.emulator import emulator
from syncer.errors import (
    EXIT_CHANGES,
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_UNSAFE,
    EXIT_USAGE,
    SyncerError,
    UsageError,
)
from syncer.manifest import load as manifest
from syncer.plan.document import DEFAULT_REASON
from syncer.plan.render import DRIFT_RENDERERS, RENDERERS
from syncer.progress import ProgressPrinter
from syncer.shopify.reader import BULK_MIN_LEVELS
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV
from syncer.shopify.variables import ADJUST_REASONS


class SyncerGroup(click.Group):
    """A click group that maps usage errors to 64 and ``SyncerError`` to its exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            )
        except click.UsageError as exc:
            exc.show()
            code = EXIT_USAGE
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = EXIT_ERROR
        except SyncerError as exc:
            click.echo(f"Error: {exc}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        if not isinstance(code, int):
            code = 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=SyncerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syncer")
def cli():
    """GitOps for Shopify inventory: manifests in git, reviewed plans, exactly-once applies.

    Example:

    \b
        syncer validate examples/quickstart
        syncer plan examples/quickstart --store examples/quickstart/store.json
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: a summary, or one error per line on stderr. json: a report on stdout.",
)
def validate(paths, fmt):
    """Check manifests (files or folders of *.yaml) without contacting the store.

    Prints a one-line summary and exits 0, or prints every problem as
    FILE:LINE:COLUMN: MESSAGE and exits 1.

    Example:

    \b
        syncer validate examples/multi-location
        syncer validate stores/ --format json
    """
    validation = engine.validate(paths)
    problems = (*gitops.config_problems(paths), *validation.problems)
    desired = None if problems else validation.desired
    if fmt == "json":
        click.echo(manifest.render_report_json(desired, problems))
    elif desired is not None:
        click.echo(manifest.summarize(desired))
    else:
        click.echo("\n".join(map(str, problems)), err=True)
        click.echo(manifest.summarize_problems(problems), err=True)
    if problems:
        raise click.exceptions.Exit(EXIT_ERROR)


def _store_options(func):
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


def _format_option(func):
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
        default="text", show_default=True, help="Output format.",
    )(func)


def _reference(_ctx, _param, value):
    if value is not None and (":" not in value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(
            f"{value!r} is not a URI; give a URL such as https://github.com/org/repo/pull/42"
        )
    return value


def _reason_options(default: str | None, how: str):
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


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


_printer: ProgressPrinter | None = None


def _progress(text: str) -> None:
    """Progress on stderr: a redrawn bar on a terminal, else plain lines every few seconds."""
    global _printer
    if _printer is None or _printer.stream is not sys.stderr:
        _printer = ProgressPrinter(sys.stderr)
    _printer(text)


def _read_option(func):
    return click.option(
        "--read", type=click.Choice(fleet.READ_MODES),
        help="How to read the store: bulk (one bulk query), paged (paginated queries), scan "
        f"(page through every level of the locations), or auto (bulk from {BULK_MIN_LEVELS} "
        "manifest levels on; paged if a bulk query fails). Default: $SYNCER_READ, syncer.yaml's "
        "read, auto.",
    )(func)


def _render(renderers, plan, fmt) -> str:
    return renderers[fmt](plan, color=_color()) if fmt == "text" else renderers[fmt](plan)


def _hooks(renderers, fmt) -> engine.Hooks:
    """Progress lines on stderr; a plan rendered in ``fmt`` on stdout."""
    return engine.Hooks(
        say=_progress,
        show_plan=lambda plan: click.echo(_render(renderers, plan, fmt), nl=False),
    )


@cli.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_store_options
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Save the plan to this file.")
@_format_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 3 when the plan is unsafe (0: no changes).")
@click.option("--prune", is_flag=True,
              help="Deactivate levels at the manifests' locations that no manifest names.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="Only plan levels matching location=NAME or sku=GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="Leave out levels matching location=NAME or sku=GLOB (repeatable).")
@_reason_options(None, "Saved in the plan (-o); apply records it on every quantity "
                 "change.")
@_read_option
def plan_command(paths, store, api_version, out, fmt, detailed_exitcode, prune, target, exclude,
                 reason, reference, read):
    """Read the live store and show what applying the manifests would change. Never writes.

    Example:

    \b
        syncer plan stores/us --store us-flagship.myshopify.com -o plan.json
        syncer plan examples/quickstart --store store.json --format markdown
    """
    stores = gitops.stores_for(paths, store=store, api_version=api_version, reason=reason,
                               reference=reference, read=read)
    if len(stores) > 1:
        if out:
            raise UsageError("-o saves one store's plan: plan each store folder on its own to "
                             "save its plan (in CI, one job per store)")
        return gitops.plan_fleet(stores, RENDERERS, fmt, detailed_exitcode,
                                 dict(prune=prune, targets=target, excludes=exclude))
    (settings,) = stores
    result = engine.plan(settings.paths, settings.store, api_version=settings.api_version,
                         prune=prune, targets=target, excludes=exclude, out=out,
                         reason=settings.reason, reference=settings.reference,
                         read=settings.read, hooks=_hooks(RENDERERS, fmt))
    if not detailed_exitcode or not result.plan.has_changes:
        return 0
    return EXIT_UNSAFE if result.plan.unsafe else EXIT_CHANGES


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_store_options
@_format_option
@click.option("--prune", is_flag=True, help="List unmanaged levels at the manifests' locations.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="Only check levels matching location=NAME or sku=GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="Leave out levels matching location=NAME or sku=GLOB (repeatable).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Accepted as for `syncer plan`: drift always exits 2 when there is drift.")
@click.option("--write-manifests", is_flag=True,
              help="Adopt the drifted live values into the manifests (only those values change).")
@click.option("--adopt-unmanaged", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --write-manifests: add levels no manifest names to FILE.")
@_read_option
def drift(paths, store, api_version, fmt, prune, target, exclude, detailed_exitcode,
          write_manifests, adopt_unmanaged, read):
    """Report where the live store has left the manifests. Exits 2 when there is drift.

    Run it on a schedule and page someone on exit code 2; `--format json` gives per-level
    desired, live and delta values for monitoring (delta as in `plan`: desired - live). A
    manifest error does not hide drift: the levels that could be read are checked, the errors
    are listed, and the exit code is 2 when there is drift, else 1.

    Example:

    \b
        syncer drift stores/us --store us-flagship.myshopify.com --format json
    """
    if adopt_unmanaged and not write_manifests:
        raise UsageError("--adopt-unmanaged needs --write-manifests")
    stores = gitops.stores_for(paths, store=store, api_version=api_version, read=read)
    if len(stores) > 1:
        if adopt_unmanaged:
            raise UsageError("--adopt-unmanaged names one file: use it with one store folder")
        options = dict(prune=prune, targets=target, excludes=exclude, report_only=True)
        return gitops.plan_fleet(stores, DRIFT_RENDERERS, fmt, True, options,
                                 write_manifests=write_manifests)
    (settings,) = stores
    result = engine.drift(settings.paths, settings.store, api_version=settings.api_version,
                          prune=prune, targets=target, excludes=exclude,
                          read=settings.read,
                          hooks=_hooks(DRIFT_RENDERERS, fmt))
    if write_manifests:
        gitops.write_back(result, adopt_unmanaged)
    return EXIT_CHANGES if result.plan.has_changes else 0


@cli.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@_format_option
def show(plan_file, fmt):
    """Show a saved plan as `syncer plan` showed it: exactly what `syncer apply` will run.

    The file is checked as `apply` checks it (format, fields, fingerprint, digest); the store is
    not contacted.

    Example:

    \b
        syncer plan stores/us --store store.json -o plan.json
        syncer show plan.json --format markdown
    """
    plan, _meta = engine.show(plan_file)
    click.echo(_render(RENDERERS, plan, fmt), nl=False)


def _duration(_ctx, _param, value):
    try:
        return engine.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--store", envvar=STORE_ENV, metavar="STORE",
              help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
              f"(token from ${TOKEN_ENV}). Default: ${STORE_ENV}, else the store a saved plan "
              "was made for.")
@click.option("--api-version", metavar="YYYY-MM",
              help="Shopify Admin API version (2026-04, 2026-07 or 2026-10). Default: "
              f"$SYNCER_API_VERSION, syncer.yaml, else {DEFAULT_API_VERSION}.")
@click.option("--auto-approve", is_flag=True,
              help="Apply manifests without asking for confirmation (needed off a terminal).")
@click.option("--force", is_flag=True, help="Apply a plan marked unsafe.")
@click.option("--rebase", is_flag=True,
              help="On a conflict, recompute the change from the live value (same target) "
              "instead of leaving it, if the plan stays safe.")
@_reason_options(None, "With manifests: recorded on every quantity change. With a saved plan: "
                 "the plan's (set by `syncer plan`); a different one is refused.")
@click.option("--max-plan-age", default="24h", show_default=True, callback=_duration,
              metavar="DURATION", help="Refuse saved plans older than this (90m, 24h, 2d).")
@click.option("--manifests", multiple=True, type=click.Path(), metavar="PATH",
              help="Check that these manifests still match the saved plan (repeatable). "
              "Default: the files the plan recorded, when present.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write the apply report to this file as JSON.")
@click.option("--prune", is_flag=True, help="With manifests: as for `syncer plan`.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="With manifests: as for `syncer plan`.")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="With manifests: as for `syncer plan`.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step on stderr.")
@_read_option
def apply_command(paths, store, api_version, auto_approve, force, rebase, reason, reference,
                  max_plan_age, manifests, report_path, prune, target, exclude, verbose, read):
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
    flags = dict(store=store, api_version=api_version, reason=reason, reference=reference,
                 read=read)
    saved = engine.is_plan_file(paths)
    if saved:  # a saved plan carries its reason and reference: only flags are checked against it
        settings = fleet.settings_for_files(engine.show(paths[0])[1].manifest_files, flags)
        options = ApplyOptions(reason=reason, reference=reference, rebase=rebase, force=force)
    else:
        settings = gitops.one_store(paths, **flags)
        options = ApplyOptions(reason=settings.reason, reference=settings.reference,
                               rebase=rebase, force=force)
    report = engine.apply(paths if saved else settings.paths, store if saved else settings.store,
                          api_version=settings.api_version, options=options,
                          auto_approve=auto_approve, max_plan_age=max_plan_age,
                          manifests=manifests, prune=prune, targets=target, excludes=exclude,
                          report_path=report_path, read=settings.read,
                          hooks=_apply_hooks(verbose))
    if report is not None and report.exit_code == EXIT_CONFLICT and saved:
        gitops.show_since_review(paths[0], report, store, settings.api_version, manifests)
    return report.exit_code if report is not None else 0


def _apply_hooks(verbose: bool) -> engine.Hooks:
    """The plan and the report on stdout; a progress bar, or with -v every step on stderr; on a
    terminal, ask before applying manifests (off one the engine refuses without --auto-approve).
    """
    hooks = dataclasses.replace(
        _hooks(RENDERERS, "text"),
        show_report=lambda report: click.echo(report.render_text(), nl=False),
        log=(lambda text: click.echo(text, err=True)) if verbose else None,
        progress_bar=lambda steps: terminal.ProgressBar(steps, enabled=not verbose),
    )
    return dataclasses.replace(hooks, confirm=terminal.confirm) if _interactive() else hooks


def _interactive() -> bool:
    return sys.stdin.isatty()


cli.add_command(emulator)
cli.add_command(gitops.import_command)
