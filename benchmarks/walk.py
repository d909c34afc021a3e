"""The walk of a command through syncer's rooms: which stages it enters, the doors it uses
between them, and how often it climbs back up (issue 21: the engine as the only door).

A *room* is a stage of the package (``syncer.cli``, ``syncer.engine``, ``syncer.apply``...; see
``layering.toml``), leaving out the furniture every room uses (``errors``, ``model``, ``outputs``,
``progress``, ``resources``, the package's ``__init__``) and the emulator (the store itself, not
a room of the client). A *move* is a distinct door used: a call from a function in one room to a
function in another. A *climb back* is a move to a room above the caller's (a callback into the
command line, say, or a lower stage calling the engine).

It runs ``syncer apply PLAN`` on a copy of the quickstart store, in process, with a profiler
hook that records every call between syncer functions. ``--repo DIR`` measures another checkout
of syncer (its own code, in a child process), so the walk before and after can be compared in
the same run:

    python benchmarks/walk.py [--repo /path/to/old/checkout] [--command apply|plan]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: From the top down; a stage not listed ranks with the engine.
ORDER = ("__main__", "cli", "fleet", "gitops", "review", "importer", "engine", "saved_plans",
         "connect", "apply", "shopify", "plan", "manifest")
FURNITURE = {"errors", "model", "outputs", "progress", "resources", "syncer", "emulator"}


def room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "syncer":
        return None
    stage = parts[1] if len(parts) > 1 else "syncer"
    return None if stage in FURNITURE else stage


def rank(stage: str) -> int:
    return ORDER.index(stage) if stage in ORDER else ORDER.index("engine")


def trace(command: str, workdir: Path) -> dict:
    """Run ``syncer COMMAND`` on the quickstart in ``workdir`` and return the walk."""
    from syncer.cli import cli

    quick = workdir / "qs"
    shutil.copytree(ROOT / "examples" / "quickstart", quick)
    plan = workdir / "plan.json"
    os.environ.pop("SYNCER_STORE", None)
    cli.main(["plan", str(quick), "--store", str(quick / "store.json"), "-o", str(plan),
              "--quiet"] if "--quiet" in _options(cli, "plan") else
             ["plan", str(quick), "--store", str(quick / "store.json"), "-o", str(plan)],
             standalone_mode=False)
    args = (["apply", str(plan)] if command == "apply"
            else ["plan", str(quick), "--store", str(quick / "store.json")])
    edges: dict[tuple[str, str], int] = {}

    def profile(frame, event, _arg):
        if event != "call":
            return
        callee = room(frame.f_globals.get("__name__", ""))
        if callee is None:
            return
        caller = frame.f_back
        while caller is not None:
            name = caller.f_globals.get("__name__", "")
            if name.split(".")[0] == "syncer":
                break
            caller = caller.f_back
        if caller is None:
            return
        source = room(caller.f_globals.get("__name__", ""))
        if source is None or source == callee:
            return
        edges[(source, callee)] = edges.get((source, callee), 0) + 1

    sys.setprofile(profile)
    try:
        cli.main(args, standalone_mode=False)
    except SystemExit:
        pass
    finally:
        sys.setprofile(None)
    rooms = sorted({r for edge in edges for r in edge}, key=rank)
    climbs = sorted(f"{a} -> {b}" for a, b in edges if rank(b) < rank(a))
    return {"rooms": rooms, "moves": sorted(f"{a} -> {b}" for a, b in edges),
            "climbs_back": climbs}


def _options(command_group, name: str) -> set[str]:
    command = command_group.commands.get(name)
    return {opt for p in getattr(command, "params", ()) for opt in getattr(p, "opts", ())}


def measure(repo: Path | None, command: str) -> dict:
    """The walk of ``command`` in this checkout, or (``repo``) in another, in a child process."""
    if repo is None:
        with tempfile.TemporaryDirectory(prefix="syncer-walk-") as tmp:
            return trace(command, Path(tmp))
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run([sys.executable, __file__, "--json", "--command", command],
                         env=env, cwd=str(repo), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(name: str, walk: dict) -> str:
    return (f"{name}: {len(walk['rooms'])} rooms ({', '.join(walk['rooms'])}), "
            f"{len(walk['moves'])} moves, {len(walk['climbs_back'])} climbs back"
            + (f" ({'; '.join(walk['climbs_back'])})" if walk["climbs_back"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="another checkout to measure as well")
    parser.add_argument("--command", choices=("apply", "plan"), default="apply")
    parser.add_argument("--json", action="store_true", help="print this checkout's walk as JSON")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(None, args.command)))
        return 0
    if args.repo is not None:
        print(render(f"{args.command} in {args.repo}", measure(args.repo, args.command)))
    print(render(f"{args.command} here", measure(None, args.command)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
