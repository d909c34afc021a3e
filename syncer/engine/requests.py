"""What the engine is asked (one typed request per workflow) and what it answers (one result).

A request holds what a command line, a CI job or a script says: paths and flags, ``None`` where
a flag was not given. The engine resolves every setting itself (the flag, else the environment,
else ``syncer.yaml``, else the default: ``settings.py``), reads a saved plan once, and returns a
result the caller renders. Errors that belong to one store of a fleet travel in its
``StoreOutcome``; errors of the request itself are raised (``SyncerError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from syncer.apply.report import ApplyReport
from syncer.engine.fleet import StoreOutcome, fleet_exit_code
from syncer.engine.review import LevelDifference
from syncer.engine.settings import Selection, StoreFlags
from syncer.errors import EXIT_CHANGES, EXIT_UNSAFE, Problem
from syncer.model import DesiredState
from syncer.plan.changes import Plan
from syncer.plan.document import PlanMeta


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ValidateResult:
    """The desired state, or every problem found (the manifests' and their ``syncer.yaml``'s).

    Each store folder (a ``syncer.yaml`` makes one) is validated on its own: two stores may
    declare the same location and SKU, and policies are per store. ``stores`` has each folder's
    name and desired state; ``desired`` is the one store's, when there is one."""

    desired: DesiredState | None
    problems: tuple[Problem, ...] = ()
    stores: tuple[tuple[str, DesiredState], ...] = ()


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """``syncer plan``: ``out`` saves the plan (``{store}`` in it: one file per store folder)."""

    paths: tuple[str, ...]
    flags: StoreFlags = StoreFlags()
    selection: Selection = Selection()
    out: str | None = None
    #: URLs told the outcome of each store (``notify.py``; besides ``$SYNCER_NOTIFY``'s).
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DriftRequest:
    """``syncer drift``; ``write_manifests`` adopts live values (``adopt_unmanaged``: the file
    that gets levels no manifest names)."""

    paths: tuple[str, ...]
    flags: StoreFlags = StoreFlags()
    selection: Selection = Selection()
    write_manifests: bool = False
    adopt_unmanaged: str | None = None
    notify: tuple[str, ...] = ()
    #: A folder whose ``history.jsonl`` gets one record per store (``history.py``).
    history: str | None = None


@dataclass(frozen=True, slots=True)
class FleetResult:
    """One outcome per store folder (one store is a fleet of one), in the order given."""

    stores: tuple[StoreOutcome, ...]
    drift: bool = False

    @property
    def single(self) -> StoreOutcome | None:
        """The one store's outcome, when there is exactly one."""
        return self.stores[0] if len(self.stores) == 1 else None

    def exit_code(self, detailed: bool) -> int:
        """The worst exit code over the stores (see ``fleet.fleet_exit_code``); for one store
        with ``detailed``, 3 when its plan is unsafe."""
        one = self.single
        if (one is not None and one.error is None and detailed and not self.drift
                and one.result is not None and one.result.plan.has_changes):
            return EXIT_UNSAFE if one.result.plan.unsafe else EXIT_CHANGES
        return fleet_exit_code(self.stores, detailed, self.drift)


@dataclass(frozen=True, slots=True)
class ShowRequest:
    plan_file: str


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """``syncer apply``: one saved plan file, or manifests to plan and apply."""

    paths: tuple[str, ...]
    flags: StoreFlags = StoreFlags()
    selection: Selection = Selection()
    force: bool = False
    rebase: bool = False
    auto_approve: bool = False
    max_plan_age: timedelta = timedelta(hours=24)
    manifests: tuple[str, ...] = ()
    report_path: str | None = None
    notify: tuple[str, ...] = ()
    history: str | None = None


@dataclass
class ApplyResult:
    """What an apply did: the plan it ran (shown for manifests), the report (None when there
    was nothing to apply), where the report was written, and after a conflict, what changed
    since the reviewed plan (``None``: not compared)."""

    plan: Plan
    meta: PlanMeta
    report: ApplyReport | None = None
    report_written: str | None = None
    since_review: list[LevelDifference] | None = None
    since_review_checked: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """``syncer import``: write manifests (or the discount codes) from the live store."""

    out_dir: str
    flags: StoreFlags = StoreFlags()
    locations: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    quantities: tuple[str, ...] = ("available",)
    include_inactive: bool = True
    force: bool = False
    kind: str = "InventoryLevels"

