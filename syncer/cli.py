"""The ``syncer`` command line: each command reads options, calls the library, prints.

Exit codes (DESIGN.md section 3): 0 success, 1 error, 2 changes or drift, 3 unsafe plan,
4 conflict, 5 partial apply, 64 usage error. Errors are turned into exit codes in one place,
``SyncerGroup.main``; commands never catch ``SyncerError`` themselves.
"""

from __future__ import annotations

import os
import sys

import click

from syncer import __version__, engine
from syncer.apply.applier import ApplyOptions
from syncer.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_USAGE,
    ManifestError,
    SyncerError,
    UsageError,
)
from syncer.manifest import load as manifest
from syncer.plan.document import read_plan_file
from syncer.plan.render import DRIFT_RENDERERS, RENDERERS
from syncer.progress import ProgressPrinter
from syncer.shopify.codec import ADJUST_REASONS
from syncer.shopify.reader import BULK_MIN_LEVELS, READ_MODES
from syncer.shopify.transport import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV


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


def _latency_ms(_ctx, _param, value):
    """``MS`` or ``LOW-HIGH`` milliseconds, for ``syncer emulator --latency-ms``."""
    if value is None:
        return None
    parts = value.split("-", 1)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if not numbers or any(n < 0 for n in numbers) or numbers[0] > numbers[-1]:
        raise click.BadParameter(
            f"{value!r} is not a delay: give milliseconds such as 50, or a range such as 10-200"
        )
    return numbers[0] if len(numbers) == 1 else numbers


_RATE = click.FloatRange(0, 1)


@cli.command()
@click.option("--state", "state", required=True, type=click.Path(dir_okay=False),
              help="Store state JSON file; changes are saved back to it.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, help="Port to bind (0 picks a free one).")
@click.option("--fault-seed", "seed", type=int, metavar="N",
              help="Seed of the fault injection (same seed and requests, same faults).")
@click.option("--drop-after-commit", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a mutation is committed and its response dropped.")
@click.option("--http-error", type=_RATE, metavar="RATE",
              help="Chance (0-1) of HTTP 500/502/503 without executing the request.")
@click.option("--throttle", type=_RATE, metavar="RATE",
              help="Chance (0-1) of a THROTTLED answer without executing the request.")
@click.option("--close-mid-response", type=_RATE, metavar="RATE",
              help="Chance (0-1) that a mutation is committed and the connection closed after "
                   "half of the response.")
@click.option("--latency-ms", callback=_latency_ms, metavar="MS",
              help="Delay every request: milliseconds (50) or a random range (10-200).")
@click.option("--sales-rate", type=_RATE, metavar="RATE",
              help="Chance (0-1) of a simulated sale (available goes down) before a request.")
@click.option("--sales-max-units", type=click.IntRange(min=1), metavar="N",
              help="Most units one simulated sale takes (default 1).")
def emulator(state, host, port, **faults):
    """Serve the local Shopify Admin GraphQL emulator (API 2026-04) until Ctrl-C.

    Fault flags override the state file's "faults" section (see syncer/emulator/README.md).
    GET /_emulator/faults shows fault counters, sales and the mutation journal.

    Examples:

    \b
        syncer emulator --state examples/quickstart/store.json --port 8787
        syncer emulator --state store.json --fault-seed 7 --drop-after-commit 0.2 \\
            --http-error 0.05 --throttle 0.1 --latency-ms 10-200
        syncer emulator --state store.json --sales-rate 0.3 --sales-max-units 2
    """
    from syncer.emulator import Emulator, FaultConfig, FaultConfigError, StateError, serve

    try:
        emu = Emulator.load(state)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    overrides = {k: v for k, v in faults.items() if v is not None}
    if overrides:
        base = emu.store.faults.to_dict() if emu.store.faults is not None else {}
        try:
            emu.set_faults(FaultConfig.from_dict({**base, **overrides}))
        except FaultConfigError as exc:
            raise click.UsageError(str(exc)) from None
    try:
        server = serve(emu, host=host, port=port)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    if emu.faults is not None and emu.faults.config.active:
        click.echo(f"Fault injection: {emu.faults.config.to_dict()}", err=True)
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


_printer: ProgressPrinter | None = None


def _progress(text: str) -> None:
    """Progress on stderr: a redrawn bar on a terminal, else plain lines every few seconds."""
    global _printer
    if _printer is None or _printer.stream is not sys.stderr:
        _printer = ProgressPrinter(sys.stderr)
    _printer(text)


def _read_option(func):
    return click.option(
        "--read", type=click.Choice(READ_MODES), default="auto", show_default=True,
        help="How to read the store: one bulk query, paginated queries, or auto (bulk from "
        f"{BULK_MIN_LEVELS} manifest levels on; paged if the bulk query fails).",
    )(func)


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
@_read_option
def plan_command(paths, store, api_version, out, fmt, detailed_exitcode, prune, target, exclude,
                 read):
    """Read the live store and show what applying the manifests would change. Never writes.

    Example:

    \b
        syncer plan stores/us --store us-flagship.myshopify.com -o plan.json
        syncer plan examples/quickstart --store store.json --format markdown
    """
    connection = engine.connect(store, api_version=api_version)
    result = engine.make_plan(paths, connection, prune=prune, targets=target, excludes=exclude,
                              progress=_progress, read=read)
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
@_read_option
def drift(paths, store, api_version, fmt, prune, read):
    """Report where the live store has left the manifests. Exits 2 when there is drift.

    Run it on a schedule and page someone on exit code 2; `--format json` gives per-level
    desired, live and delta values for monitoring.

    Example:

    \b
        syncer drift stores/us --store us-flagship.myshopify.com --format json
    """
    connection = engine.connect(store, api_version=api_version)
    result = engine.make_plan(paths, connection, prune=prune, progress=_progress, read=read)
    click.echo(_render(DRIFT_RENDERERS, result.plan, fmt), nl=False)
    if result.plan.errors:
        raise SyncerError("the manifests have errors against the live store (see above)")
    return EXIT_CHANGES if result.plan.has_changes else 0


def _duration(_ctx, _param, value):
    try:
        return engine.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _reference(_ctx, _param, value):
    if value is not None and (":" not in value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(
            f"{value!r} is not a URI; give a URL such as https://github.com/org/repo/pull/42"
        )
    return value


def _is_plan_file(paths) -> bool:
    if len(paths) != 1:
        return False
    path = paths[0]
    return path.endswith(".json") or (os.path.isfile(path) and not path.endswith((".yaml", ".yml")))


@cli.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--store", envvar=STORE_ENV, metavar="STORE",
              help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
              f"(token from ${TOKEN_ENV}). Default: ${STORE_ENV}, else the store a saved plan "
              "was made for.")
@click.option("--api-version", default=DEFAULT_API_VERSION, show_default=True,
              metavar="YYYY-MM", help="Shopify Admin API version (2026-04 or later).")
@click.option("--auto-approve", is_flag=True,
              help="Apply manifests without asking for confirmation (needed off a terminal).")
@click.option("--force", is_flag=True, help="Apply a plan marked unsafe.")
@click.option("--rebase", is_flag=True,
              help="On a conflict, recompute the change from the live value (same target) "
              "instead of stopping, if the plan stays safe.")
@click.option("--reason", type=click.Choice(ADJUST_REASONS), default="correction",
              show_default=True, help="Reason recorded on every quantity change.")
@click.option("--reference", metavar="URI", callback=_reference,
              help="Reference document recorded on every quantity change, e.g. the pull "
              "request URL. Default: gid://syncer/Plan/<plan_id>.")
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

    Exit codes: 0 applied, 3 unsafe plan (see --force), 4 conflict or stale plan, 5 stopped part
    way (the report says what was applied; run the same plan again to resume).

    Example:

    \b
        syncer plan stores/us -o plan.json
        syncer apply plan.json --reference https://github.com/acme/stock/pull/42
        syncer apply stores/us --store store.json --auto-approve
    """
    if _is_plan_file(paths):
        if prune or target or exclude:
            raise UsageError("--prune, --target and --exclude apply when planning; a saved plan "
                             "already holds its selection")
        plan, meta, connection = _open_saved(paths[0], store, api_version, max_plan_age,
                                             manifests)
    else:
        if manifests:
            raise UsageError("--manifests checks a saved plan; pass the manifests as PATH instead")
        plan, meta, connection = _plan_and_confirm(paths, store, api_version, prune, target,
                                                   exclude, force, auto_approve, read)
    options = ApplyOptions(reason=reason, reference=reference, rebase=rebase, force=force,
                           limits=meta.limits)
    return _run_apply(plan, meta, connection, options, verbose, report_path)


def _open_saved(path, store, api_version, max_age, manifests):
    """Read a plan file, connect (locked) to its store and check the plan still applies."""
    plan, meta = read_plan_file(path)
    connection = engine.connect(store or meta.store, api_version=api_version, lock=True,
                                progress=_progress)
    click.get_current_context().call_on_close(connection.close)
    engine.check_saved_plan(meta, connection, max_age=max_age, manifests=manifests,
                            progress=_progress)
    click.echo(f"Applying plan {meta.plan_id} ({_plan_counts(plan)}) to {connection.name}",
               err=True)
    return plan, meta, connection


def _plan_and_confirm(paths, store, api_version, prune, target, exclude, force, auto_approve,
                      read="auto"):
    """Plan the manifests, show the plan, check it is safe and ask before applying it."""
    connection = engine.connect(store, api_version=api_version, lock=True, progress=_progress)
    click.get_current_context().call_on_close(connection.close)
    result = engine.make_plan(paths, connection, prune=prune, targets=target, excludes=exclude,
                              progress=_progress, read=read)
    click.echo(_render(RENDERERS, result.plan, "text"), nl=False)
    if result.plan.errors:
        raise SyncerError("the plan has errors (see above); fix the manifests and plan again")
    if result.plan.has_changes:
        engine.check_safe(result.plan, force)
        _confirm(auto_approve)
    plan, meta = engine.plan_for_apply(result, connection)
    return plan, meta, connection


def _run_apply(plan, meta, connection, options, verbose, report_path) -> int:
    if not plan.has_changes:
        click.echo("No changes to apply.", err=True)
        return 0
    if plan.unsafe and options.force:  # engine.apply refuses it without --force
        click.echo(f"Applying an unsafe plan ({len(plan.findings)} finding(s)) because --force "
                   "was given.", err=True)
    log = (lambda text: click.echo(text, err=True)) if verbose else None
    with _progress_bar(len(meta.steps), enabled=not verbose) as bar:
        report = engine.apply(plan, meta, connection, options, log=log, progress=bar)
    click.echo(report.render_text(), nl=False)
    if report_path:
        engine.write_json_atomically(report_path, report.to_dict())
        click.echo(f"Report written to {report_path}", err=True)
    return report.exit_code


def _plan_counts(plan) -> str:
    s = plan.summary
    return (f"{s.to_activate} to activate, {s.to_adjust} to adjust, "
            f"{s.to_deactivate} to deactivate")


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not _interactive():
        raise UsageError(
            "not asking for confirmation without a terminal: pass --auto-approve, or save the "
            "plan with `syncer plan -o plan.json` and apply the file"
        )
    answer = click.prompt("Apply this plan? Only 'yes' will be accepted", default="",
                          show_default=False, err=True)
    if answer.strip() != "yes":
        raise SyncerError("apply cancelled; nothing was changed")


class _progress_bar:  # noqa: N801 (used as a context manager like click's)
    """A click progress bar over steps on stderr when it is a terminal; else nothing."""

    def __init__(self, steps: int, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and steps > 1
        self.bar = None
        self.steps = steps
        self.done = 0

    def __enter__(self):
        if self.enabled:
            self.bar = click.progressbar(length=self.steps, label="Applying", file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
        return self

    def __call__(self, steps: int, units: int) -> None:
        if self.bar is not None:
            self.bar.label = f"Applying ({units:,} units moved)"
            self.bar.update(steps - self.done)
            self.done = steps

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
