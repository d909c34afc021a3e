"""``syncer doctor``: which store this is, how syncer reaches it, and whether it is ready."""

from __future__ import annotations

import json

import click

from syncer import engine
from syncer.cli.options import Console, flags, store_options, verbosity_options


@click.command("doctor")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@store_options
@click.option("--for", "for_commands", multiple=True, metavar="COMMAND",
              type=click.Choice(["apply"]),
              help="Also require what this command needs (repeatable): apply needs the write "
              "scopes. plan, drift and import are always checked.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format (json: one object, for scripts).")
@verbosity_options
def doctor(paths: tuple[str, ...], store: str | None, api_version: str | None,
           for_commands: tuple[str, ...], fmt: str, verbose: bool, quiet: bool) -> None:
    """Check a store is ready for syncer: run it first, with the credentials CI will use.

    Says which shop it reached (name and myshopifyDomain), the API version that answered,
    the rate limit, how syncer authenticated (and when the token expires), the granted scopes
    against what plan, drift, import and apply need, the locations, and whether a bulk
    operation is already running. PATHS: a store folder whose syncer.yaml names the store
    (and whose manifests say whether discount scopes are needed).

    Exit codes: 0 ready, 1 not ready (each problem with what to do) or not reachable.

    Example:

    \b
        syncer doctor --store us-flagship.myshopify.com
        syncer doctor stores/us --for apply
        syncer doctor --store store.json --format json
    """
    Console(verbose, quiet)
    result = engine.doctor(engine.DoctorRequest(tuple(paths), flags(store, api_version),
                                                tuple(for_commands)))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(render_doctor(result), nl=False)
    if not result.ready:
        raise SystemExit(1)


def render_doctor(result: engine.DoctorResult) -> str:
    facts = result.facts
    lines = [f"Store:       {facts.name} ({facts.domain})"]
    where = result.store + (f" (named in {result.config_file})" if result.config_file else "")
    lines.append(f"Reached at:  {where}")
    answered = result.served_version or result.api_version
    lines.append(f"API version: {answered}" + (
        "" if answered == result.api_version else f" (asked for {result.api_version})"))
    if facts.throttle.get("maximumAvailable"):
        lines.append(f"Rate limit:  {facts.throttle['maximumAvailable']:g} points, restoring "
                     f"{facts.throttle.get('restoreRate', 0):g} a second")
    auth = result.auth
    if result.token_expires_in is not None:
        auth += f"; token expires in {_duration(result.token_expires_in)}"
    lines.append(f"Auth:        {auth}")
    lines.append("Scopes:      " + (", ".join(facts.scopes) if facts.scopes
                                    else "(none)" if facts.scopes is not None
                                    else "(could not be read)"))
    lines.append("")
    for readiness in result.commands:
        checked = readiness.command in result.for_commands
        state = ("ready" if readiness.ready else "unknown" if not readiness.known
                 else "missing " + ", ".join(readiness.missing))
        note = "" if checked else "   (not checked: --for apply)"
        lines.append(f"  {readiness.command:<7} {state}{note}")
    lines.append("")
    for check in result.checks:
        if check.ok and check.name in result.for_commands:
            continue  # shown as ready above
        mark = "ok " if check.ok else "NO "
        lines.append(f"  {mark} {check.name}: {check.detail}")
        if check.fix:
            lines.append(f"       what to do: {check.fix}")
    lines.append("")
    wanted = ", ".join(result.for_commands)
    lines.append(f"Ready for {wanted}." if result.ready
                 else f"Not ready for {wanted}: {sum(not c.ok for c in result.checks)} "
                 "problem(s) above.")
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
