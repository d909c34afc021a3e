"""The commands that read and never write the store: ``validate``, ``plan``, ``drift`` and
``show``."""

from __future__ import annotations

import click

from syncer import engine
from syncer.cli import gitops
from syncer.cli.options import (
    format_option,
    plan_hooks,
    read_option,
    reason_options,
    render,
    store_options,
)
from syncer.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_UNSAFE, UsageError
from syncer.manifest import load as manifest
from syncer.outputs import STDOUT, refuse_inputs
from syncer.plan.render import DRIFT_RENDERERS, RENDERERS
from syncer.saved_plans import store_files


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
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

@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help="Save the plan to this file (- for stdout: the plan shown goes to stderr).")
@format_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 3 when the plan is unsafe (0: no changes).")
@click.option("--prune", is_flag=True,
              help="Deactivate levels at the manifests' locations that no manifest names.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="Only plan levels matching location=NAME or sku=GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="Leave out levels matching location=NAME or sku=GLOB (repeatable).")
@reason_options(None, "Saved in the plan (-o); apply records it on every quantity "
                 "change.")
@read_option
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
                         read=settings.read,
                         hooks=plan_hooks(RENDERERS, fmt, err=out == STDOUT))
    if not detailed_exitcode or not result.plan.has_changes:
        return 0
    return EXIT_UNSAFE if result.plan.unsafe else EXIT_CHANGES


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@store_options
@format_option
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
@read_option
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
    if adopt_unmanaged:
        refuse_inputs("--adopt-unmanaged", adopt_unmanaged, store_files(settings.store),
                      "name a manifest file (new or existing)")
    result = engine.drift(settings.paths, settings.store, api_version=settings.api_version,
                          prune=prune, targets=target, excludes=exclude,
                          read=settings.read,
                          hooks=plan_hooks(DRIFT_RENDERERS, fmt))
    if write_manifests:
        gitops.write_back(result, adopt_unmanaged)
    return EXIT_CHANGES if result.plan.has_changes else 0


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@format_option
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
    click.echo(render(RENDERERS, plan, fmt), nl=False)
