"""The ``syncer`` command line: each command builds a request, makes one call to the engine
(``syncer.engine``) and renders the result; it imports nothing but the engine, the renderers
and the errors (tests/test_layering.py).

Exit codes (DESIGN.md section 3): 0 success, 1 error, 2 changes or drift, 3 unsafe plan,
4 conflict, 5 partial apply, 64 usage error. Errors are turned into exit codes in one place,
``SyncerGroup.main``; commands never catch ``SyncerError`` themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from syncer import __version__
from syncer.cli.applying import apply_command
from syncer.cli.doctor import doctor
from syncer.cli.emulator import emulator
from syncer.cli.importing import import_command
from syncer.cli.planning import drift, plan_command, show, validate
from syncer.cli.reporting import report
from syncer.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, SyncerError


class SyncerGroup(click.Group):
    """A click group that maps usage errors to 64 and ``SyncerError`` to its exit code."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> int:
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
def cli() -> None:
    """GitOps for Shopify inventory: manifests in git, reviewed plans, exactly-once applies.

    Example:

    \b
        syncer validate examples/quickstart
        syncer plan examples/quickstart --store examples/quickstart/store.json
    """


for command in (validate, plan_command, drift, show, apply_command, import_command, doctor,
                report, emulator):
    cli.add_command(command)
