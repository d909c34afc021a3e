"""``syncer apply``: a saved plan, or manifests planned and applied after confirmation."""

from __future__ import annotations

import dataclasses
import sys

import click
from click.core import ParameterSource

from syncer import engine, fleet
from syncer.apply.applier import ApplyOptions
from syncer.cli import gitops, terminal
from syncer.cli.options import plan_hooks, read_option, reason_options
from syncer.errors import EXIT_CONFLICT
from syncer.outputs import STDOUT
from syncer.plan.render import RENDERERS
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV


def _duration(_ctx, _param, value):
    try:
        return engine.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--store", envvar=STORE_ENV, metavar="STORE",
              help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
              f"(token from ${TOKEN_ENV}). Default: the store a saved plan was made for; with "
              f"manifests, ${STORE_ENV}, else syncer.yaml's store.")
@click.option("--api-version", metavar="YYYY-MM",
              help="Shopify Admin API version (2026-04, 2026-07 or 2026-10). Default: the "
              "version a saved plan was made with; with manifests, $SYNCER_API_VERSION, "
              f"syncer.yaml, else {DEFAULT_API_VERSION}.")
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
              help="Also write the apply report to this file as JSON (- for stdout: the text "
              "report goes to stderr).")
@click.option("--prune", is_flag=True, help="With manifests: as for `syncer plan`.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="With manifests: as for `syncer plan`.")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="With manifests: as for `syncer plan`.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step on stderr.")
@read_option
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
    saved = engine.is_plan_file(paths)
    if saved and click.get_current_context().get_parameter_source("store") is not \
            ParameterSource.COMMANDLINE:
        store = None  # a saved plan names its store: $SYNCER_STORE is a default, not a choice
    flags = dict(store=store, api_version=api_version, reason=reason, reference=reference,
                 read=read)
    if saved:
        # A saved plan carries its store, API version, reason and reference: only flags are
        # checked against them (the environment's and syncer.yaml's defaults do not apply).
        settings = fleet.settings_for_files(engine.show(paths[0])[1].manifest_files, flags)
        settings = dataclasses.replace(settings, api_version=api_version)
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
                          hooks=_apply_hooks(verbose, err=report_path == STDOUT))
    if report is not None and report.exit_code == EXIT_CONFLICT and saved:
        gitops.show_since_review(paths[0], report, store, settings.api_version, manifests)
    return report.exit_code if report is not None else 0


def _apply_hooks(verbose: bool, err: bool = False) -> engine.Hooks:
    """The plan and the report on stdout (on stderr with ``err``: ``--report -`` has stdout); a
    progress bar, or with -v every step on stderr; on a terminal, ask before applying manifests
    (off one the engine refuses without --auto-approve).
    """
    hooks = dataclasses.replace(
        plan_hooks(RENDERERS, "text", err=err),
        show_report=lambda report: click.echo(report.render_text(), nl=False, err=err),
        log=(lambda text: click.echo(text, err=True)) if verbose else None,
        progress_bar=lambda steps: terminal.ProgressBar(steps, enabled=not verbose),
    )
    return dataclasses.replace(hooks, confirm=terminal.confirm) if _interactive() else hooks


def _interactive() -> bool:
    return sys.stdin.isatty()
