"""Running one workflow over a fleet of store folders (one store is a fleet of one).

``run_each`` runs a job per store folder in parallel (each mostly waits on its store); one
store's error does not stop the others. ``StoreOutcome`` is one folder's plan or error;
``fleet_exit_code`` and ``render_fleet`` make one exit code and one output of them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from syncer.engine.planfile import PlanResult
from syncer.engine.settings import Settings
from syncer.engine.writeback import DriftWrite
from syncer.errors import EXIT_CHANGES, EXIT_ERROR, SyncerError
from syncer.plan.changes import Plan
from syncer.plan.render import escape_markdown

#: Store folders planned at once.
MAX_WORKERS = 8


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """One store folder's plan, or the error that stopped it.

    ``error`` may come with a ``result`` (a plan with errors: shown, then refused); ``saved_to``
    is where the plan was saved; ``written`` what drift wrote back; ``notes`` lines to say after
    the plan is shown.
    """

    settings: Settings
    result: PlanResult | None = None
    error: SyncerError | None = None
    saved_to: str | None = None
    written: DriftWrite | None = None
    notes: tuple[str, ...] = ()

    def exit_code(self, detailed: bool, drift: bool = False) -> int:
        """As the single-store command would exit (drift: drift wins over errors)."""
        plan = self.result.plan if self.result is not None else None
        if drift and plan is not None and plan.has_changes:
            return EXIT_CHANGES
        if self.error is not None:
            return self.error.exit_code
        if plan is None or plan.errors:
            return EXIT_ERROR
        return EXIT_CHANGES if detailed and plan.has_changes else 0


def run_each(stores: Sequence[Settings],
             job: Callable[[Settings], StoreOutcome]) -> list[StoreOutcome]:
    """``job`` for every store folder, in parallel; outcomes in the order given."""
    if len(stores) == 1:
        return [job(stores[0])]
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(stores)))) as pool:
        return list(pool.map(job, stores))


def fleet_exit_code(outcomes: Sequence[StoreOutcome], detailed: bool, drift: bool = False) -> int:
    """The worst exit code: any failure first (the highest), else 2 for changes, else 0."""
    codes = [outcome.exit_code(detailed, drift) for outcome in outcomes]
    failed = [code for code in codes if code not in (0, EXIT_CHANGES)]
    return max(failed) if failed else max(codes, default=0)


def render_fleet(outcomes: Sequence[StoreOutcome], render: Callable[[Plan], str], fmt: str,
                 detailed: bool, drift: bool = False) -> str:
    """Every store's rendered plan under its own heading (JSON: ``{"stores": [...]}``)."""
    if fmt == "json":
        entries = [{"name": o.settings.name, "store": o.settings.store,
                    "exit_code": o.exit_code(detailed, drift),
                    "error": None if o.error is None else str(o.error),
                    "result": None if o.result is None else json.loads(render(o.result.plan))}
                   for o in outcomes]
        return json.dumps({"stores": entries}, indent=2, sort_keys=True) + "\n"
    parts = []
    for o in outcomes:
        title = f"{o.settings.name} ({o.settings.store})"
        head = f"## {escape_markdown(title)}\n\n" if fmt == "markdown" else f"=== {title} ===\n"
        body = render(o.result.plan) if o.result is not None else f"Error: {o.error}\n"
        if o.error is not None and o.result is not None:
            body += f"Error: {o.error}\n"
        parts.append(head + body)
    return "\n".join(parts)
