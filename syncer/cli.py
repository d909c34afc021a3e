"""The ``syncer`` command line: each command reads options, calls the library, prints.

Exit codes (DESIGN.md section 3): 0 success, 1 error, 2 changes or drift, 3 unsafe plan,
4 conflict, 5 partial apply, 64 usage error. Errors are turned into exit codes in one place,
``SyncerGroup.main``; commands never catch ``SyncerError`` themselves.
"""

from __future__ import annotations

import sys

import click

from syncer import __version__, manifest
from syncer.errors import EXIT_ERROR, EXIT_USAGE, ManifestError, SyncerError


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
