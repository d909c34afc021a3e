"""The ``syncer`` command line: each command reads options, calls the library, prints.

Exit codes (DESIGN.md section 3): 0 success, 1 error, 2 changes or drift, 3 unsafe plan,
4 conflict, 5 partial apply, 64 usage error. Errors are turned into exit codes in one place,
``SyncerGroup.main``; commands never catch ``SyncerError`` themselves.
"""

from __future__ import annotations

import os
import sys

import click

from syncer import __version__, engine, manifest
from syncer.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_USAGE, ManifestError, SyncerError
from syncer.render import DRIFT_RENDERERS, RENDERERS
from syncer.transport import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV


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
            code = 130
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
    try:
        desired, problems = manifest.load_manifests(paths), ()
    except ManifestError as exc:
        desired, problems = None, exc.problems
    if fmt == "json":
        click.echo(manifest.render_report_json(desired, problems))
    elif desired is not None:
        click.echo(manifest.summarize(desired))
    else:
        click.echo("\n".join(map(str, problems)), err=True)
        click.echo(manifest.summarize_problems(problems), err=True)
    if problems:
        raise click.exceptions.Exit(EXIT_ERROR)


@cli.command()
@click.option("--state", "state", required=True, type=click.Path(dir_okay=False),
              help="Store state JSON file; changes are saved back to it.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, help="Port to bind (0 picks a free one).")
def emulator(state, host, port):
    """Serve the local Shopify Admin GraphQL emulator (API 2026-04) until Ctrl-C.

    Example:

    \b
        syncer emulator --state examples/quickstart/store.json --port 8787
    """
    from syncer.emulator import Emulator, StateError, serve

    try:
        server = serve(Emulator.load(state), host=host, port=port)
    except (StateError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Shopify emulator listening on {server.url} (Ctrl-C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        server.server_close()


def _store_options(func):
    """``--store`` and ``--api-version``, shared by every command that talks to a store."""
    func = click.option(
        "--api-version", default=DEFAULT_API_VERSION, show_default=True, metavar="YYYY-MM",
        help="Shopify Admin API version (2026-04 or later).",
    )(func)
    return click.option(
        "--store", envvar=STORE_ENV, metavar="STORE",
        help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
        f"(token from ${TOKEN_ENV}). Default: ${STORE_ENV}.",
    )(func)


def _format_option(func):
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
        default="text", show_default=True, help="Output format.",
    )(func)


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _progress(text: str) -> None:
    click.echo(text, err=True)


def _render(renderers, plan, fmt) -> str:
    return renderers[fmt](plan, color=_color()) if fmt == "text" else renderers[fmt](plan)


@cli.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_store_options
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Save the plan to this file.")
@_format_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--prune", is_flag=True,
              help="Deactivate levels at the manifests' locations that no manifest names.")
@click.option("--target", multiple=True, metavar="SELECTOR",
              help="Only plan levels matching location=NAME or sku=GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="SELECTOR",
              help="Leave out levels matching location=NAME or sku=GLOB (repeatable).")
def plan_command(paths, store, api_version, out, fmt, detailed_exitcode, prune, target, exclude):
    """Read the live store and show what applying the manifests would change. Never writes.

    Example:

    \b
        syncer plan stores/us --store us-flagship.myshopify.com -o plan.json
        syncer plan examples/quickstart --store store.json --format markdown
    """
    connection = engine.connect(store, api_version=api_version)
    result = engine.make_plan(paths, connection, prune=prune, targets=target, excludes=exclude,
                              progress=_progress)
    click.echo(_render(RENDERERS, result.plan, fmt), nl=False)
    if result.plan.errors:
        raise SyncerError("the plan has errors (see above); fix the manifests and plan again")
    if out:
        engine.save_plan(result, connection, out)
        click.echo(f"Saved to {out}; apply it with: syncer apply {out}", err=True)
    return EXIT_CHANGES if detailed_exitcode and result.plan.has_changes else 0


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_store_options
@_format_option
@click.option("--prune", is_flag=True, help="Count unmanaged levels at the manifests' locations.")
def drift(paths, store, api_version, fmt, prune):
    """Report where the live store has left the manifests. Exits 2 when there is drift.

    Run it on a schedule and page someone on exit code 2; `--format json` gives per-level
    desired, live and delta values for monitoring.

    Example:

    \b
        syncer drift stores/us --store us-flagship.myshopify.com --format json
    """
    connection = engine.connect(store, api_version=api_version)
    result = engine.make_plan(paths, connection, prune=prune, progress=_progress)
    click.echo(_render(DRIFT_RENDERERS, result.plan, fmt), nl=False)
    if result.plan.errors:
        raise SyncerError("the manifests have errors against the live store (see above)")
    return EXIT_CHANGES if result.plan.has_changes else 0
