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
from syncer.connect import Connection, Progress, connect
from syncer.errors import ManifestError, PlanProblemError, Problem, UnsafePlanError, UsageError
from syncer.manifest.load import load_manifests
from syncer.model import DesiredState
from syncer.plan.changes import Plan
from syncer.plan.document import PlanMeta, load_plan_document, read_plan_file
from syncer.plan.planner import parse_selection
from syncer.plan.planner import plan as make_changes
from syncer.saved_plans import (
    PlanResult,
    check_saved_plan,
    new_plan_document,
    parse_duration,
    save_plan,
    write_json_atomically,
)
from syncer.shopify.reader import read_live
from syncer.shopify.stores import DEFAULT_API_VERSION

__all__ = [
    "Connection", "Hooks", "PlanResult", "Validation", "apply", "check_safe", "check_saved_plan",
    "connect", "drift", "make_plan", "new_plan_document", "parse_duration", "plan",
    "plan_for_apply", "run_plan", "save_plan", "show", "validate", "write_json_atomically",
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
    progress: Progress | None = None,
    read: str = "auto",
) -> PlanResult:
    """Load the manifests, read the live store, and plan. Never writes to the store.

    Manifests and selectors are checked before any request is sent. ``read`` is ``auto``,
    ``bulk`` or ``paged`` (how the store is read; see ``syncer.shopify.reader``).
    """
    desired = load_manifests(paths)
    selection = parse_selection(targets, excludes)
    live = read_live(store.transport, desired, prune=prune, progress=progress, read=read,
                     fetch=store.fetch)
    return PlanResult(make_changes(desired, live, prune=prune, targets=selection), desired)


def plan(
    paths: Sequence[str],
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    prune: bool = False,
    targets: Iterable[str] = (),
    excludes: Iterable[str] = (),
    out: str | os.PathLike | None = None,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> PlanResult:
    """``syncer plan``: plan the manifests against ``store``, show it, and save it to ``out``.

    A plan with errors is shown, then refused (``PlanProblemError``) and not saved.
    """
    connection = connect(store, api_version=api_version)
    result = make_plan(paths, connection, prune=prune, targets=targets, excludes=excludes,
                       progress=hooks.say, read=read)
    hooks.show_plan(result.plan)
    _refuse_errors(result.plan)
    if out:
        save_plan(result, connection, out)
        hooks.say(f"Saved to {out}; apply it with: syncer apply {out}")
    return result


def drift(
    paths: Sequence[str],
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    prune: bool = False,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> PlanResult:
    """``syncer drift``: the plan that would bring ``store`` back to the manifests, shown."""
    connection = connect(store, api_version=api_version)
    result = make_plan(paths, connection, prune=prune, progress=hooks.say, read=read)
    hooks.show_plan(result.plan)
    _refuse_errors(result.plan, "the manifests have errors against the live store (see above)")
    return result


def _refuse_errors(
    plan_: Plan, message: str = "the plan has errors (see above); fix the manifests and plan again"
) -> None:
    if plan_.errors:
        raise PlanProblemError(message, plan_.errors)


def show(path: str | os.PathLike) -> tuple[Plan, PlanMeta]:
    """``syncer show``: the plan a saved plan file holds, checked as ``apply`` checks it."""
    return read_plan_file(path)


def check_safe(plan: Plan, force: bool) -> None:
    """Refuse an unsafe plan (``UnsafePlanError``, exit 3, with its findings) unless ``force``."""
    if not plan.unsafe or force:
        return
    lines = [f"  - {f}" for f in plan.findings]
    raise UnsafePlanError(
        f"the plan is unsafe ({len(plan.findings)} finding"
        f"{'s' if len(plan.findings) != 1 else ''}):\n" + "\n".join(lines)
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
    """Run ``plan``'s steps against ``store`` (after ``check_safe``); returns the report."""
    options = options or ApplyOptions(limits=meta.limits)
    check_safe(plan, options.force)
    applier = Applier(store.transport, plan, meta, options, log=log, progress=progress,
                      clock=store.wall_clock)
    return applier.run()


def plan_for_apply(result: PlanResult, store: Connection) -> tuple[Plan, PlanMeta]:
    """The plan and metadata ``apply`` runs for a plan made in this process (not saved)."""
    return load_plan_document(new_plan_document(result, store))


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
    api_version: str = DEFAULT_API_VERSION,
    options: ApplyOptions | None = None,
    auto_approve: bool = False,
    max_plan_age: timedelta = timedelta(hours=24),
    manifests: Sequence[str] = (),
    prune: bool = False,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    report_path: str | os.PathLike | None = None,
    hooks: Hooks = QUIET,
    read: str = "auto",
) -> ApplyReport | None:
    """``syncer apply``: run a saved plan file, or plan the manifests and run that after
    ``hooks.confirm``. Returns the report, or None when there was nothing to apply.

    The store (a saved plan's own store unless ``store`` is given) stays locked until the end.
    ``options.limits`` are replaced by the plan's.
    """
    options = options or ApplyOptions()
    saved = is_plan_file(paths)
    if saved and (prune or targets or excludes):
        raise UsageError("--prune, --target and --exclude apply when planning; a saved plan "
                         "already holds its selection")
    if not saved and manifests:
        raise UsageError("--manifests checks a saved plan; pass the manifests as PATH instead")
    if saved:
        plan_, meta = read_plan_file(paths[0])
        store = store or meta.store
    connection = connect(store, api_version=api_version, lock=True, progress=hooks.say)
    try:
        if saved:
            check_saved_plan(meta, connection, max_age=max_plan_age, manifests=manifests,
                             progress=hooks.say)
            s = plan_.summary
            hooks.say(f"Applying plan {meta.plan_id} ({s.to_activate} to activate, "
                      f"{s.to_adjust} to adjust, {s.to_deactivate} to deactivate) to "
                      f"{connection.name}")
        else:
            plan_, meta = _plan_and_confirm(paths, connection, prune, targets, excludes,
                                            options.force, auto_approve, hooks, read)
        options = dataclasses.replace(options, limits=meta.limits)
        return _run(plan_, meta, connection, options, report_path, hooks)
    finally:
        connection.close()


def _plan_and_confirm(paths, connection, prune, targets, excludes, force, auto_approve, hooks,
                      read="auto"):
    """Plan the manifests, show the plan, check it is safe and ask before applying it."""
    result = make_plan(paths, connection, prune=prune, targets=targets, excludes=excludes,
                       progress=hooks.say, read=read)
    hooks.show_plan(result.plan)
    _refuse_errors(result.plan)
    if result.plan.has_changes:
        check_safe(result.plan, force)
        if not auto_approve:
            hooks.confirm(result.plan)
    return plan_for_apply(result, connection)


def _run(plan_, meta, connection, options, report_path, hooks) -> ApplyReport | None:
    if not plan_.has_changes:
        hooks.say("No changes to apply.")
        return None
    if plan_.unsafe and options.force:  # run_plan refuses it without --force
        hooks.say(f"Applying an unsafe plan ({len(plan_.findings)} finding(s)) because --force "
                  "was given.")
    with hooks.progress_bar(len(meta.steps)) as bar:
        report = run_plan(plan_, meta, connection, options, log=hooks.log, progress=bar)
    hooks.show_report(report)
    if report_path:
        write_json_atomically(report_path, report.to_dict())
        hooks.say(f"Report written to {report_path}")
    return report
