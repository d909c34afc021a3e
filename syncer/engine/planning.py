"""The workflows that read and never write the store: validate, plan, drift (and its write-back
into the manifests) and show.

``plan`` and ``drift`` run over every store folder among their paths (a ``syncer.yaml`` makes a
folder one store; one store is a fleet of one) and return a ``FleetResult``: each store's plan
or error, where its plan was saved, what drift wrote back. Nothing here prints: progress goes
to the ``progress`` callable, and the caller renders the result.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing

import syncer.engine.history as history
from syncer.engine.connect import Connection, connect
from syncer.engine.fleet import StoreOutcome, run_each
from syncer.engine.notify import fleet_urls, notify_fleet
from syncer.engine.planfile import (
    PlanResult,
    check_plan_output,
    read_plan,
    save_plan,
    store_files,
)
from syncer.engine.requests import (
    DriftRequest,
    FleetResult,
    PlanRequest,
    ShowRequest,
    ValidateRequest,
    ValidateResult,
)
from syncer.engine.settings import Selection, Settings, config_problems, resolve_settings
from syncer.engine.writeback import write_drift
from syncer.errors import ManifestError, PlanProblemError, Problem, SyncerError, UsageError, plural
from syncer.manifest.config import StoreConfig, StoreGroup, config_file_for
from syncer.manifest.load import load_manifests
from syncer.model import DesiredState, LiveState
from syncer.outputs import STDOUT, refuse_inputs
from syncer.plan.changes import Plan
from syncer.plan.document import PlanMeta
from syncer.plan.notices import PlanProblem, PlanWarning
from syncer.plan.origin import PlanOrigin
from syncer.plan.planner import parse_selection
from syncer.plan.planner import plan as make_changes
from syncer.plan.selection import SELECTION_ERRORS
from syncer.progress import silent
from syncer.shopify.discounts import read_discounts
from syncer.shopify.reader import read_live

Progress = Callable[[str], None]
#: In ``plan -o``, replaced by each store folder's name (one plan file per store).
STORE_FIELD = "{store}"
NO_SELECTION = Selection()


def validate(request: ValidateRequest) -> ValidateResult:
    """Check manifests (and their ``syncer.yaml``) without contacting the store, each store
    folder on its own."""
    problems = list(config_problems(request.paths))
    groups = group_paths_quietly(request.paths)
    stores: list[tuple[str, DesiredState]] = []
    for name, paths in groups:
        try:
            stores.append((name, load_manifests(paths)))
        except ManifestError as exc:
            problems += exc.problems
    if problems:
        return ValidateResult(None, tuple(problems))
    return ValidateResult(stores[0][1] if len(stores) == 1 else None, (), tuple(stores))


def group_paths_quietly(paths: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The paths grouped by store folder (``syncer.yaml``), ignoring config errors (reported
    on their own): ``(name, paths)`` in the order given."""
    groups: dict[str | None, StoreGroup] = {}
    for path in paths:
        file = config_file_for(path)
        groups.setdefault(file, StoreGroup(StoreConfig(file))).paths.append(path)
    return [(group.name, group.paths) for group in groups.values()]


def make_plan(
    paths: Iterable[str],
    store: Connection,
    *,
    selection: Selection = NO_SELECTION,
    progress: Progress | None = None,
    read: str = "auto",
    report_only: bool = False,
) -> PlanResult:
    """Load the manifests, read the live store, and plan. Never writes to the store.

    Manifests and selectors are checked before any request is sent. ``read`` is ``auto`` (one
    bulk query for large manifests), ``bulk``, ``paged`` or ``scan`` (page through every level
    of the manifests' locations). With ``report_only`` (drift: a plan never applied) every
    difference is listed, also deactivations Shopify would refuse, and a manifest problem does
    not hide drift elsewhere: the levels that could be read are compared and the problems become
    errors of the plan. Unmanaged levels are then not looked for (a level declared in a broken
    file would look unmanaged); a warning says so.
    """
    problems: tuple[Problem, ...] = ()
    try:
        desired = load_manifests(paths)
    except ManifestError as exc:
        if not report_only or exc.readable is None:
            raise
        desired, problems = exc.readable, exc.problems
    chosen = parse_selection(selection.targets, selection.excludes)
    prune = selection.prune
    unmanaged = prune or desired.policy.unmanaged == "deactivate"
    if problems:
        policy = dataclasses.replace(desired.policy, unmanaged="ignore")
        desired, prune = dataclasses.replace(desired, policy=policy), False
    read_all = read == "scan"
    if desired.levels:
        live = read_live(store.transport, desired, prune=prune or read_all, progress=progress,
                         read="paged" if read_all else read, fetch=store.fetch)
    else:  # discount codes only: no location to read
        live = LiveState.build([], [], [])
    if desired.discounts:
        if progress:
            progress(f"Reading {plural(len(desired.discounts), 'discount code')} ...")
        live = dataclasses.replace(live, discounts=read_discounts(store.transport,
                                                                  desired.discounts))
    found = make_changes(desired, live, prune=prune, targets=chosen, report_only=report_only)
    if problems:
        found = _with_manifest_problems(found, problems, unmanaged)
    shop, name = store.remember_shop(live.shop) if live.shop else store.shop_names()
    found = found.with_origin(PlanOrigin(store.name, store.api_version, shop, name))
    return PlanResult(found, desired, selection.prune)


def _with_manifest_problems(found: Plan, problems: Sequence[Problem], unmanaged: bool) -> Plan:
    errors = tuple(PlanProblem("manifest", p.message, source=p.source) for p in problems)
    warnings = (PlanWarning("unmanaged_not_checked", "unmanaged levels were not looked for: "
                            "fix the manifest errors first"),) if unmanaged else ()
    return Plan(found.changes, found.errors + errors, found.warnings + warnings, (),
                found.managed_levels, found.discounts, unit_costs=found.unit_costs)


def plan(request: PlanRequest, progress: Progress | None = None) -> FleetResult:
    """``syncer plan``: plan every store folder among the paths against its own store, and save
    each plan (``request.out``; ``{store}`` in it names one file per store folder).

    A plan with errors is kept with its error (``PlanProblemError``) and not saved.
    """
    stores = resolve_settings(request.paths, request.flags)
    out = request.out
    if out and len(stores) > 1 and STORE_FIELD not in out:
        raise UsageError(f"-o {out} would hold {len(stores)} stores' plans: put {STORE_FIELD} "
                         f"in it for one file per store folder, e.g. -o 'plans/{STORE_FIELD}"
                         ".json', or plan each store folder on its own")
    if out == STDOUT and len(stores) > 1:
        raise UsageError("-o - writes one plan to standard output: plan one store folder")

    def work(settings: Settings, say: Progress) -> StoreOutcome:
        path = out.replace(STORE_FIELD, store_name(settings)) if out else None
        if path:
            check_plan_output(path, store=settings.store, manifests=settings.paths)
        with closing(connect(settings.store, api_version=settings.api_version,
                             credentials=settings.credentials)) as connection:
            result = make_plan(settings.paths, connection, selection=request.selection,
                               progress=say, read=settings.read)
            if result.plan.errors:
                return StoreOutcome(settings, result, _refusal(result.plan))
            if path:
                check_plan_output(path, manifests=result.desired.files)
                save_plan(result, connection, path, reason=settings.reason,
                          reference=settings.reference)
        return StoreOutcome(settings, result, saved_to=path)

    urls = fleet_urls(request.notify, os.environ, stores)
    result = FleetResult(_each_store(stores, progress, work))
    notify_fleet(urls, "plan", result.stores, os.environ)
    return result


def drift(request: DriftRequest, progress: Progress | None = None) -> FleetResult:
    """``syncer drift``: every difference between each store and its manifests; with
    ``write_manifests``, the live values adopted into the manifests (all files or none).

    Errors (in the manifests or against the store) are the outcome's error when there is no
    drift; beside drift they are a note (drift wins).
    """
    if request.adopt_unmanaged and not request.write_manifests:
        raise UsageError("--adopt-unmanaged needs --write-manifests")
    stores = resolve_settings(request.paths, request.flags)
    if request.adopt_unmanaged:
        if len(stores) > 1:
            raise UsageError("--adopt-unmanaged names one file: use it with one store folder")
        refuse_inputs("--adopt-unmanaged", request.adopt_unmanaged, store_files(stores[0].store),
                      "name a manifest file (new or existing)")

    def work(settings: Settings, say: Progress) -> StoreOutcome:
        with closing(connect(settings.store, api_version=settings.api_version,
                             credentials=settings.credentials)) as connection:
            result = make_plan(settings.paths, connection, selection=request.selection,
                               progress=say, read=settings.read, report_only=True)
        found = result.plan
        message = ("the manifests have errors against the live store (see above)"
                   if _to_fix(found) == "the manifests" else
                   f"the plan has errors (see above); fix {_to_fix(found)}")
        if found.has_changes and found.errors:
            return StoreOutcome(settings, result, notes=(
                f"Error: {message}; drift was checked where they could be read",))
        if found.errors:
            return StoreOutcome(settings, result, PlanProblemError(message, found.errors))
        written = None
        if request.write_manifests:
            written = write_drift(result, adopt_unmanaged=request.adopt_unmanaged)
        return StoreOutcome(settings, result, written=written)

    urls = fleet_urls(request.notify, os.environ, stores)
    # --history, else each store folder's syncer.yaml history: checked before anything is read
    kept = {s.name: history.check_folder(folder, history.history_source(request.history,
                                                                         s.config_file))
            for s in stores if (folder := request.history or s.history)}
    result = FleetResult(_each_store(stores, progress, work), drift=True)
    for outcome in result.stores:
        kept_in = kept.get(outcome.settings.name)
        if kept_in is not None and outcome.result is not None:
            history.append(kept_in, history.drift_record(
                outcome.result.plan, str(outcome.settings.store), outcome.exit_code(True, True)))
    notify_fleet(urls, "drift", result.stores, os.environ)
    return result


def _each_store(stores: Sequence[Settings], progress: Progress | None,
                work: Callable[[Settings, Progress], StoreOutcome]) -> tuple[StoreOutcome, ...]:
    """``work`` for every store folder, in parallel, its progress lines prefixed with the folder
    in a fleet. One store's error is raised; in a fleet it is that store's outcome, and the
    others go on."""
    def job(settings: Settings) -> StoreOutcome:
        try:
            return work(settings, _for_store(progress, settings, len(stores)))
        except SyncerError as exc:
            if len(stores) == 1:
                raise
            return StoreOutcome(settings, error=exc)

    return tuple(run_each(stores, job))


def show(request: ShowRequest) -> tuple[Plan, PlanMeta]:
    """``syncer show``: the plan a saved plan file holds, checked as ``apply`` checks it."""
    return read_plan(request.plan_file)


def store_name(settings: Settings) -> str:
    """A store folder's name in ``-o 'plans/{store}.json'``: its folder's last part."""
    if settings.config_file:
        return os.path.basename(os.path.dirname(os.path.abspath(settings.config_file)))
    return "store"


def _for_store(progress: Progress | None, settings: Settings, stores: int) -> Progress:
    say = progress or silent
    if stores == 1:
        return say
    return lambda text: say(f"[{settings.name}] {text}")


def _refusal(found: Plan) -> PlanProblemError:
    return PlanProblemError(
        f"the plan has errors (see above); fix {_to_fix(found)} and plan again", found.errors)


def _to_fix(found: Plan) -> str:
    """What the errors ask to fix: the manifests, or the --target/--exclude selectors when the
    selection is what failed (a typo in a flag is not the manifests' fault)."""
    selectors = sum(1 for e in found.errors if e.code in SELECTION_ERRORS)
    if not selectors:
        return "the manifests"
    if selectors == len(found.errors):
        return "the --target/--exclude selectors"
    return "the manifests and the --target/--exclude selectors"
