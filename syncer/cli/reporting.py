"""``syncer report``: the drift history kept by ``--history`` as one HTML page."""

from __future__ import annotations

import click

from syncer import engine
from syncer.cli.options import Console, verbosity_options
from syncer.errors import plural


@click.command("report")
@click.argument("folder", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="The page to write (- for standard output).")
@verbosity_options
def report(folder: str, out: str, verbose: bool, quiet: bool) -> None:
    """Draw the history that `drift --history DIR` and `apply --history DIR` keep.

    One self-contained HTML page (inline SVG and CSS: no network, no script): drift units over
    time per location with applies marked, the levels that drift most, drift grouped by value
    transition, and every run.

    Example:

    \b
        syncer drift stores/us --history history/
        syncer report history/ -o drift.html
    """
    console = Console(verbose, quiet)
    result = engine.report(folder, out)
    if result.skipped:
        console.say(f"Left out {len(result.skipped)} line(s) that are not records")
    if out != "-":
        console.say(f"Wrote {out}: {plural(result.runs, 'run')} of "
                    f"{plural(result.stores, 'store')}")
