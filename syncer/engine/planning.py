"""The workflows: validate, plan, drift, show and apply, as library functions.

Each returns data or raises a typed ``SyncerError``; none prints. What needs people (a line on
stderr, showing a plan, asking before applying, a progress bar) is a callable in ``Hooks`` that
the caller supplies, as octoDNS's ``Manager.sync`` leaves output to its caller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from syncer.apply.applier import Applier, ApplyOptions, ApplyReport
from syncer.apply.discounts import DiscountResult, apply_discounts
from syncer.connect import Connection, Progress, connect
from syncer.errors import (
    ManifestError,
    PlanProblemError,
    Problem,
    UnsafePlanError,
    UsageError,
    plural,
)
from syncer.manifest.load import load_manifests
from syncer.model import DesiredState, LiveState
from syncer.outputs import STDOUT, Input, check_output, write_output
from syncer.plan.changes import Plan
from syncer.plan.document import DEFAULT_REASON, PlanMeta, load_plan_document, read_plan_file
from syncer.plan.encoding import document_json
from syncer.plan.notices import PlanProblem, PlanWarning
from syncer.plan.planner import parse_selection
from syncer.plan.planner import plan as make_changes
from syncer.plan.selection import SELECTION_ERRORS
from syncer.saved_plans import (
    PlanResult,
    check_plan_output,
    check_reason,
    check_saved_plan,
    new_plan_document,
    parse_duration,
    save_plan,
    store_files,
)
from syncer.shopify.discounts import read_discounts
from syncer.shopify.reader import read_live
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV

__all__ = [
    "Connection", "Hooks", "PlanResult", "Validation", "apply", "check_safe", "check_saved_plan",
    "connect", "drift", "make_plan", "new_plan_document", "parse_duration", "plan",
    "plan_for_apply", "run_plan", "save_plan", "show", "validate",
]

StepProgress = Callable[[int, int], None]


def _ignore(_value) -> None:
    return None


def _refuse_unconfirmed(_plan: Plan) -> None:
    raise UsageError(
        "not asking for confirmation without a terminal: pass --auto-approve, or save the "
        "plan with `syncer plan -o plan.json` and apply the file"
    )


def _no_progress_bar(_steps: int) -> contextlib.AbstractContextManager[StepProgress | None]:
    return contextlib.nullcontext(None)


@dataclass(frozen=True)
class Hooks:
    """The callables the engine calls for people; quiet and non-interactive by default.

    ``say`` gets a line of news (the CLI prints it on stderr); ``show_plan`` a plan just made,
    before it is checked; ``show_report`` the report of an apply, before it is written to a file;
    ``confirm`` a plan about to be applied without ``auto_approve`` (it raises to refuse);
    ``log`` every apply step (verbose); ``progress_bar(steps)`` a context manager giving a
    ``(steps_done, units_moved)`` callable or None.
    """

    say: Progress = _ignore
    show_plan: Callable[[Plan], None] = _ignore
    show_report: Callable[[ApplyReport], None] = _ignore
    confirm: Callable[[Plan], None] = _refuse_unconfirmed
    log: Callable[[str], None] | None = None
    progress_bar: Callable[[int], contextlib.AbstractContextManager[StepProgress | None]] = (
        _no_progress_bar
    )


QUIET = Hooks()


@dataclass(frozen=True)
class Validation:
    """The outcome of ``validate``: the desired state, or every problem found (never both)."""

    desired: DesiredState | None
    problems: tuple[Problem, ...] = ()


def validate(paths: Iterable[str]) -> Validation:
    """Check manifests without contacting the store; problems are returned, not raised."""
    try:
        return Validation(load_manifests(paths))
    except ManifestError as exc:
        return Validation(None, exc.problems)


def make_plan(
    paths: Iterable[str],
    store: Connection,
    *,
    prune: bool = False,
    targets: Iterable[str] = (),
    excludes: Iterable[str] = (),
    read_all: bool = False,
    progress: Progress | None = None,
    read: str = "auto",
    report_only: bool = False,
) -> PlanResult:
    """Load the manifests, read the live store, and plan. Never writes to the store.

    Manifests and selectors are checked before any request is sent. ``read_all`` pages through
    every level of the manifests' locations (``read: scan``) instead of choosing by cost; ``read``
    is ``auto`` (one bulk query for large manifests), ``bulk``, ``paged`` or ``scan``. With
    ``report_only`` (drift: a plan never applied) every difference is listed, also deactivations
    Shopify would refuse, and a manifest problem does not hide drift elsewhere: the levels that
    could be read are compared and the problems become errors of the plan. Unmanaged levels are
    then not looked for (a level declared in a broken file would look unmanaged); a warning says
    so.
    """
    problems: tuple[Problem, ...] = ()
    try:
        desired = load_manifests(paths)
    except ManifestError as exc:
        if not report_only or exc.readable is None:
            raise
        desired, problems = exc.readable, exc.problems
    selection = parse_selection(targets, excludes)
    unmanaged = prune or desired.policy.unmanaged == "deactivate"
    if problems:
        policy = dataclasses.replace(desired.policy, unmanaged="ignore")
        desired, prune = dataclasses.replace(desired, policy=policy), False
    if read == "scan":
        read_all, read = True, "paged"
    if desired.levels:
        live = read_live(store.transport, desired, prune=prune or read_all, progress=progress,
                         read=read, fetch=store.fetch)
    else:  # discount codes only: no location to read
        live = LiveState.build([], [], [])
    if desired.discounts:
        if progress:
            progress(f"Reading {plural(len(desired.discounts), 'discount code')} ...")
        live = dataclasses.replace(live, discounts=read_discounts(store.transport,
                                                                  desired.discounts))
    found = make_changes(desired, live, prune=prune, targets=selection, report_only=report_only)
    if problems:
        found = _with_manifest_problems(found, problems, unmanaged)
    return PlanResult(found, desired)


def _with_manifest_problems(found: Plan, problems: Sequence[Problem], unmanaged: bool) -> Plan:
    errors = tuple(PlanProblem("manifest", p.message, source=p.source) for p in problems)
    warnings = (PlanWarning("unmanaged_not_checked", "unmanaged levels were not looked for: "
                            "fix the manifest errors first"),) if unmanaged else ()
    return Plan(found.changes, found.errors + errors, found.warnings + warnings, (),
                found.managed_levels, found.discounts)


def plan(
    paths: Sequence[str],
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    prune: bool = False,
    targets: Iterable[str] = (),
    excludes: Iterable[str] = (),
    out: str | os.PathLike | None = None,
    reason: str = DEFAULT_REASON,
    reference: str | None = None,
    read_all: bool = False,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> PlanResult:
    """``syncer plan``: plan the manifests against ``store``, show it, and save it to ``out``
    with the ``reason`` and ``reference`` its adjustments will record.

    A plan with errors is shown, then refused (``PlanProblemError``) and not saved.
    """
    if out:
        check_plan_output(out, store=store or os.environ.get(STORE_ENV), manifests=paths)
    connection = connect(store, api_version=api_version)
    result = make_plan(paths, connection, prune=prune, targets=targets, excludes=excludes,
                       read_all=read_all, progress=hooks.say, read=read)
    hooks.show_plan(result.plan)
    _refuse_errors(result.plan)
    if out:
        check_plan_output(out, manifests=result.desired.files)
        save_plan(result, connection, out, reason=reason, reference=reference)
        if str(out) == STDOUT:
            hooks.say("Plan written to standard output; save it to a file to apply it")
        elif result.plan.unsafe:
            hooks.say(f"Saved to {out}; the plan is unsafe (see above), so apply it only with "
                      f"--force: syncer apply {out} --force")
        else:
            hooks.say(f"Saved to {out}; apply it with: syncer apply {out}")
    return result


def drift(
    paths: Sequence[str],
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    prune: bool = False,
    targets: Iterable[str] = (),
    excludes: Iterable[str] = (),
    read_all: bool = False,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> PlanResult:
    """``syncer drift``: every difference between ``store`` and the manifests, shown.

    Errors (in the manifests or against the store) are refused (``PlanProblemError``) when there
    is no drift; beside drift they are shown and said, and the result returned (drift wins).
    """
    connection = connect(store, api_version=api_version)
    result = make_plan(paths, connection, prune=prune, targets=targets, excludes=excludes,
                       read_all=read_all, progress=hooks.say, report_only=True, read=read)
    hooks.show_plan(result.plan)
    message = ("the manifests have errors against the live store (see above)"
               if _to_fix(result.plan) == "the manifests" else
               f"the plan has errors (see above); fix {_to_fix(result.plan)}")
    if result.plan.has_changes and result.plan.errors:
        hooks.say(f"Error: {message}; drift was checked where they could be read")
    elif not result.plan.has_changes:
        _refuse_errors(result.plan, message)
    return result


def _refuse_errors(plan_: Plan, message: str | None = None) -> None:
    if plan_.errors:
        raise PlanProblemError(
            message or f"the plan has errors (see above); fix {_to_fix(plan_)} and plan again",
            plan_.errors)


def _to_fix(plan_: Plan) -> str:
    """What the errors ask to fix: the manifests, or the --target/--exclude selectors when the
    selection is what failed (a typo in a flag is not the manifests' fault)."""
    selectors = sum(1 for e in plan_.errors if e.code in SELECTION_ERRORS)
    if not selectors:
        return "the manifests"
    if selectors == len(plan_.errors):
        return "the --target/--exclude selectors"
    return "the manifests and the --target/--exclude selectors"


def show(path: str | os.PathLike) -> tuple[Plan, PlanMeta]:
    """``syncer show``: the plan a saved plan file holds, checked as ``apply`` checks it."""
    return read_plan_file(path)


def check_safe(plan: Plan, force: bool) -> None:
    """Refuse an unsafe plan (``UnsafePlanError``, exit 3, with its findings) unless ``force``."""
    if not plan.unsafe or force:
        return
    lines = [f"  - {f}" for f in plan.findings]
    raise UnsafePlanError(
        f"the plan is unsafe ({plural(len(plan.findings), 'finding')}):\n" + "\n".join(lines)
        + "\npass --force to apply it anyway",
        plan.findings,
    )


def run_plan(
    plan: Plan,
    meta: PlanMeta,
    store: Connection,
    options: ApplyOptions | None = None,
    *,
    log: Callable[[str], None] | None = None,
    progress: StepProgress | None = None,
) -> ApplyReport:
    """Run ``plan``'s steps against ``store`` (after ``check_safe``); returns the report.

    Every run of the same plan (the same ``plan_id``) sees what earlier runs sent and what the
    store answered: the apply journal is kept in the store (``syncer.apply.journal``)."""
    options = options or ApplyOptions(limits=meta.limits)
    check_safe(plan, options.force)
    applier = Applier(store.transport, plan, meta, options, log=log, progress=progress,
                      clock=store.wall_clock)
    report = applier.run()
    report.discounts = [DiscountResult(c) for c in plan.discounts]
    # Conflicts leave the rest of the plan applied; an error or Ctrl-C stops the run.
    if report.error is None and not report.interrupted:
        calls, cost = store.transport.calls, store.transport.cost_points
        apply_discounts(store.transport, report, log)
        report.calls += store.transport.calls - calls
        report.cost_points += store.transport.cost_points - cost
    return report


def plan_for_apply(result: PlanResult, store: Connection, options: ApplyOptions | None = None,
                   ) -> tuple[Plan, PlanMeta]:
    """The plan and metadata ``apply`` runs for a plan made in this process (not saved), with
    the reason and reference of ``options``."""
    options = options or ApplyOptions()
    return load_plan_document(new_plan_document(
        result, store, reason=options.reason or DEFAULT_REASON, reference=options.reference))


def is_plan_file(paths: Sequence[str]) -> bool:
    """Whether ``apply``'s arguments name one saved plan (else they are manifests)."""
    if len(paths) != 1:
        return False
    path = paths[0]
    return path.endswith(".json") or (os.path.isfile(path) and not path.endswith((".yaml", ".yml")))


def apply(
    paths: Sequence[str],
    store: str | None = None,
    *,
    api_version: str | None = None,
    options: ApplyOptions | None = None,
    auto_approve: bool = False,
    max_plan_age: timedelta = timedelta(hours=24),
    manifests: Sequence[str] = (),
    prune: bool = False,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    report_path: str | os.PathLike | None = None,
    read_all: bool = False,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> ApplyReport | None:
    """``syncer apply``: run a saved plan file, or plan the manifests and run that after
    ``hooks.confirm``. Returns the report, or None when there was nothing to apply.

    The store (a saved plan's own store unless ``store`` is given) stays locked until the end.
    ``api_version`` defaults to a saved plan's own, else ``DEFAULT_API_VERSION``.
    ``options.limits`` are replaced by the plan's.
    """
    options = options or ApplyOptions()
    saved = is_plan_file(paths)
    if saved and (prune or targets or excludes):
        raise UsageError("--prune, --target and --exclude apply when planning; a saved plan "
                         "already holds its selection")
    if not saved and manifests:
        raise UsageError("--manifests checks a saved plan; pass the manifests as PATH instead")
    if not saved and not auto_approve and hooks.confirm is _refuse_unconfirmed:
        _refuse_unconfirmed(None)  # before the store is read: nobody could say yes
    if saved:
        plan_, meta = read_plan_file(paths[0])
        check_reason(meta, options.reason, options.reference)
        store = store or meta.store
        api_version = api_version or meta.api_version
        inputs = [("the plan", paths[0]),
                  *[("a manifest", m) for m in (*manifests, *meta.manifest_files)]]
    else:
        inputs = [("a manifest", p) for p in paths]
    inputs += store_files(store or os.environ.get(STORE_ENV))
    if report_path:
        _check_report_path(report_path, inputs)
    connection = connect(store, api_version=api_version or DEFAULT_API_VERSION, lock=True,
                         progress=hooks.say)
    try:
        if saved:
            check_saved_plan(meta, connection, max_age=max_plan_age, manifests=manifests,
                             progress=hooks.say)
            s = plan_.summary
            partial = "partial plan " if plan_.partial else "plan "
            what = [] if plan_.without_levels else [
                f"{s.to_activate:,} to activate", f"{s.to_adjust:,} to adjust",
                f"{s.to_deactivate:,} to deactivate"]
            if plan_.discounts:
                what.append(plural(len(plan_.discounts), "discount code"))
            hooks.say(f"Applying {partial}{meta.plan_id} ({', '.join(what)}) to "
                      f"{connection.name}")
        else:
            plan_, meta = _plan_and_confirm(paths, connection, prune, targets, excludes,
                                            options, auto_approve, hooks, read_all, read,
                                            report_path)
        options = dataclasses.replace(options, limits=meta.limits)
        return _run(plan_, meta, connection, options, report_path, hooks)
    finally:
        connection.close()


def _plan_and_confirm(paths, connection, prune, targets, excludes, options, auto_approve,
                      hooks, read_all=False, read="auto", report_path=None):
    """Plan the manifests, show the plan, check it is safe and ask before applying it."""
    result = make_plan(paths, connection, prune=prune, targets=targets, excludes=excludes,
                       read_all=read_all, progress=hooks.say, read=read)
    hooks.show_plan(result.plan)
    _refuse_errors(result.plan)
    if report_path:  # the manifests found in the folders given
        _check_report_path(report_path, [("a manifest", f) for f in result.desired.files])
    if result.plan.has_changes:
        check_safe(result.plan, options.force)
        if not auto_approve:
            hooks.confirm(result.plan)
    return plan_for_apply(result, connection, options)


def _check_report_path(report_path: str | os.PathLike, inputs: Sequence[Input]) -> None:
    check_output("--report", report_path, inputs, example="report.json")


def _run(plan_, meta, connection, options, report_path, hooks) -> ApplyReport | None:
    if not plan_.has_changes:
        hooks.say("No changes to apply.")
        if report_path:  # a report of nothing applied, so that a CI job always finds one
            _write_report(report_path, ApplyReport(meta.plan_id, meta.store, []), hooks)
        return None
    if plan_.unsafe and options.force:  # run_plan refuses it without --force
        hooks.say(f"Applying an unsafe plan ({plural(len(plan_.findings), 'finding')}) because "
                  "--force was given.")
    with hooks.progress_bar(len(meta.steps)) as bar:
        report = run_plan(plan_, meta, connection, options, log=hooks.log, progress=bar)
    hooks.show_report(report)
    if report_path:
        _write_report(report_path, report, hooks)
    return report


def _write_report(report_path: str | os.PathLike, report: ApplyReport, hooks: Hooks) -> None:
    write_output(report_path, document_json(report.to_dict()))
    if str(report_path) != STDOUT:
        hooks.say(f"Report written to {report_path}")
