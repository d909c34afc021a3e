"""Soak: apply many randomised plans over HTTP to the emulator with every fault on, and check
the exactly-once invariants after each (issue 7; the checks are in tests/reliability_helpers.py).

Each plan: a random store (2-5 locations, 10..--max-items items, active and inactive levels) and
a random manifest over it (activations, reactivations, bulk toggles, deactivations, adjusts of six
quantity names), planned, then applied with lost responses, half responses, HTTP 5xx, THROTTLED
and concurrent sales; a partial apply is run again until it completes or conflicts (and odd seeds
rerun a conflict once with --rebase; every fourth seed's first run is ``syncer apply`` in a
process of its own, killed with SIGKILL mid-apply while sales go on). Each plan gets at most three
reruns and must end complete, or with its conflicts and unknowns named (exit 0 or 4). Prints:
plans run, faults by kind, retries, replays recognised, conflicts, double-applies (must be 0),
lost changes (must be 0), plans not finished (must be 0). Exit 1 if any invariant failed.

    python benchmarks/soak_apply.py [--plans 500] [--max-items 200] [--first-seed 1]
        [--key-replay cached|reevaluate|ignored] [--json F]

``tests/test_reliability.py`` runs the short form in CI (``SYNCER_SOAK_PLANS`` raises it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from reliability_helpers import Figures, soak  # noqa: E402


def run(plans: int, *, max_items: int = 200, first_seed: int = 1, verbose: bool = False,
        workdir: Path | None = None, key_replay: str = "cached") -> Figures:
    """Run the soak and return its figures (used by the CI test with a short count)."""
    logging.getLogger("syncer").setLevel(logging.ERROR)

    def progress(done: int, figures: Figures) -> None:
        if verbose and (done % 10 == 0 or done == plans):
            print(f"  {done}/{plans} plans, {figures.double_applies} double-applies, "
                  f"{figures.lost} lost", file=sys.stderr, flush=True)

    if workdir is not None:
        return soak(plans, workdir, first_seed=first_seed, max_items=max_items,
                    progress=progress, key_replay=key_replay)
    with tempfile.TemporaryDirectory(prefix="syncer-soak-") as tmp:
        return soak(plans, Path(tmp), first_seed=first_seed, max_items=max_items,
                    progress=progress, key_replay=key_replay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--max-items", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--key-replay", choices=("cached", "reevaluate", "ignored"),
                        default="cached", help="how the emulator answers a repeated key")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    figures = run(args.plans, max_items=args.max_items, first_seed=args.first_seed,
                  verbose=True, key_replay=args.key_replay)
    print(figures.render())
    if args.json:
        args.json.write_text(json.dumps(figures.to_dict(), indent=2) + "\n")
    failed = (figures.double_applies or figures.lost or figures.unexpected
              or figures.false_conflicts or figures.not_converged
              or figures.unresolved_partial)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
