"""``syncer apply``: a saved plan file, or manifests planned and applied (after the caller shows
the plan and, on a terminal, asks); and what follows a conflict.

A saved plan is read once; it runs against its own store and API version unless a flag names
others (which are then refused if they are not the plan's), is checked against the manifests
it was made from (digest, and every step declared by them), and its steps run with
compare-and-set and the apply journal in the store (``syncer.apply``). After a conflict, the
result says what changed since the reviewed plan (a fresh plan of the same manifests, compared
level by level and quantity by quantity).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import syncer.engine.history as history
from syncer.apply.applier import Applier, ApplyOptions, ApplyReport
from syncer.apply.discounts import DiscountResult, apply_discounts
from syncer.engine.connect import Connection, connect
from syncer.engine.notify import apply_message, notify_urls, send
from syncer.engine.planfile import (
    PlanResult,
    check_reason,
    check_saved_plan,
    is_plan_file,
    new_plan_document,
    read_plan,
    store_files,
)
from syncer.engine.planning import Progress, make_plan
from syncer.engine.requests import ApplyRequest, ApplyResult
from syncer.engine.review import LevelDifference, compare_plans
from syncer.engine.settings import config_for, one_store
from syncer.errors import (
    EXIT_CONFLICT,
    PlanProblemError,
    RefusedError,
    SyncerError,
    UnsafePlanError,
    UsageError,
    plural,
)
from syncer.outputs import STDOUT, Input, check_output, write_output
from syncer.plan.changes import Plan
from syncer.plan.document import DEFAULT_REASON, PlanMeta, load_plan_document
from syncer.plan.encoding import document_json
from syncer.plan.origin import PlanOrigin
from syncer.progress import StepTicks, silent
from syncer.shopify.scopes import missing_scopes
from syncer.shopify.stores import DEFAULT_API_VERSION

_E = TypeVar("_E", bound=SyncerError)

log = logging.getLogger("syncer.apply")


@dataclasses.dataclass
class Prepared:
    """Manifests planned for ``apply`` and not run yet: the caller shows ``plan`` (and asks)
    before ``apply(request, prepared)`` runs it on the same connection."""

    plan: Plan
    meta: PlanMeta
    connection: Connection
    options: ApplyOptions
    #: Where the apply record goes (``--history``, else the store folder's ``syncer.yaml``),
    #: and the URLs told the outcome (``--notify``, ``$SYNCER_NOTIFY``, its ``notify:``).
    history: str | None = None
    urls: tuple[str, ...] = ()

    def close(self) -> None:
        self.connection.close()


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
    log_step: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ApplyReport:
    """Run ``plan``'s steps against ``store`` (after ``check_safe``); returns the report.

    Every run of the same plan (the same ``plan_id``) sees what earlier runs sent and what the
    store answered: the apply journal is kept in the store (``syncer.apply.journal``)."""
    options = options or ApplyOptions(limits=meta.limits)
    check_safe(plan, options.force)
    applier = Applier(store.transport, plan, meta, options, log=log_step or log.info,
                      progress=progress, clock=store.wall_clock)
    report = applier.run()
    report.discounts = [DiscountResult(c) for c in plan.discounts]
    # Conflicts leave the rest of the plan applied; an error or Ctrl-C stops the run.
    if report.error is None and not report.interrupted:
        calls, cost = store.transport.calls, store.transport.cost_points
        apply_discounts(store.transport, report, log_step or log.info)
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


def prepare(request: ApplyRequest, progress: Progress | None = None) -> Prepared:
    """Plan the manifests of an ``apply`` from manifests (not a saved plan): the caller shows
    the plan, asks (unless ``auto_approve``), then calls ``apply(request, prepared)``.

    A plan with errors is refused (``PlanProblemError``), an unsafe one without ``--force``
    (``UnsafePlanError``), both with the plan on the error's ``plan`` for the caller to show."""
    if request.manifests:
        raise UsageError("--manifests checks a saved plan; pass the manifests as PATH instead")
    settings = one_store(request.paths, request.flags)
    folder = request.history or settings.history
    if folder:  # refused before anything is read, not after the apply
        history.check_folder(folder, history.history_source(request.history,
                                                            settings.config_file))
    urls = notify_urls(request.notify, os.environ, settings.notify)
    options = ApplyOptions(reason=settings.reason, reference=settings.reference,
                           rebase=request.rebase, force=request.force)
    inputs: list[Input] = [("a manifest", p) for p in settings.paths]
    inputs += store_files(settings.store)
    if request.report_path:
        _check_report_path(request.report_path, inputs)
    connection = connect(settings.store, api_version=settings.api_version, lock=True,
                         progress=progress, credentials=settings.credentials)
    try:
        result = make_plan(settings.paths, connection, selection=request.selection,
                           progress=progress, read=settings.read)
        if result.plan.errors:
            raise _with_plan(PlanProblemError(
                "the plan has errors (see above); fix the manifests and plan again",
                result.plan.errors), result.plan)
        if request.report_path:  # the manifests found in the folders given
            _check_report_path(request.report_path,
                               [("a manifest", f) for f in result.desired.files])
        if result.plan.has_changes:
            try:
                check_safe(result.plan, request.force)
            except UnsafePlanError as exc:
                raise _with_plan(exc, result.plan) from None
        plan, meta = plan_for_apply(result, connection, options)
    except BaseException:
        connection.close()
        raise
    return Prepared(plan, meta, connection, dataclasses.replace(options, limits=meta.limits),
                    folder, urls)


def apply(request: ApplyRequest, prepared: Prepared | None = None,
          progress: Progress | None = None) -> ApplyResult:
    """``syncer apply``: run a saved plan file (``request.paths`` is one), or the plan
    ``prepare`` made of the manifests. The store stays locked until the end."""
    say = progress or silent
    notify_urls(request.notify, os.environ)  # a bad URL is refused before anything runs
    if request.history:
        history.check_folder(request.history)
    if prepared is not None:
        try:
            return _run(prepared.plan, prepared.meta, prepared.connection, prepared.options,
                        request, say, prepared.history, prepared.urls)
        finally:
            prepared.close()
    if not is_plan_file(request.paths):
        raise UsageError("apply from manifests: call prepare() first, show the plan, then "
                         "apply(request, prepared)")
    if request.selection.prune or request.selection.targets or request.selection.excludes:
        raise UsageError("--prune, --target and --exclude apply when planning; a saved plan "
                         "already holds its selection")
    path = request.paths[0]
    plan, meta = read_plan(path)
    flags = request.flags
    check_reason(meta, flags.reason, flags.reference)
    # A saved plan carries its store and API version: the environment's and syncer.yaml's
    # defaults do not apply, and a flag naming others is refused by check_saved_plan.
    store = (flags.store if flags.store_is_flag else None) or meta.store
    inputs: list[Input] = [("the plan", path),
                           *[("a manifest", m) for m in (*request.manifests,
                                                         *meta.manifest_files)]]
    inputs += store_files(store)
    if request.report_path:
        _check_report_path(request.report_path, inputs)
    config = config_for([*request.manifests, *meta.manifest_files])  # the plan's store folder
    folder = request.history or config.history
    if folder:  # refused before the store is reached, not after the apply
        history.check_folder(folder, history.history_source(request.history, config.file))
    urls = notify_urls(request.notify, os.environ, config.notify)
    connection = connect(store, api_version=flags.api_version or meta.api_version
                         or DEFAULT_API_VERSION, lock=True, progress=say,
                         credentials=dict(config.credentials) or None)
    try:
        check_saved_plan(meta, connection, max_age=request.max_plan_age,
                         manifests=request.manifests, progress=say, plan=plan)
        s = plan.summary
        partial = "partial plan " if plan.partial else "plan "
        codes = (f", {plural(len(plan.discounts), 'discount code')}" if plan.discounts else "")
        inventory = (f"{s.to_activate:,} to activate, {s.to_adjust:,} to adjust, "
                     f"{s.to_deactivate:,} to deactivate")
        what = f"{inventory}{codes}" if plan.changes or not plan.discounts else codes[2:]
        # The shop the plan was made for (apply refused another above), by its names.
        recorded = plan.origin or PlanOrigin(connection.name, connection.api_version)
        target = PlanOrigin(connection.name, connection.api_version, meta.shop,
                            recorded.shop_name)
        say(f"Applying {partial}{meta.plan_id} ({what}) to {target.text()}")
        options = ApplyOptions(reason=flags.reason, reference=flags.reference,
                               rebase=request.rebase, force=request.force, limits=meta.limits)
        result = _run(plan, meta, connection, options, request, say, folder, urls)
        if result.report is not None and result.report.exit_code == EXIT_CONFLICT:
            landed = [c for r in result.report.results for c in (*r.applied, *r.already)]
            manifests = list(request.manifests or meta.manifest_files)
            result.since_review = _since_review(plan, manifests, connection, landed, say)
            result.since_review_checked = True
        return result
    finally:
        connection.close()


def _since_review(reviewed: Plan, manifests: list[str], connection: Connection,
                  landed: list[Any], say: Progress) -> list[LevelDifference] | None:
    """Plan ``manifests`` again and compare with the reviewed plan; ``None`` when the manifests
    are not here."""
    if not manifests or not all(os.path.exists(path) for path in manifests):
        return None
    fresh = make_plan(manifests, connection, progress=say).plan
    return compare_plans(reviewed, fresh, landed)


def _run(plan: Plan, meta: PlanMeta, connection: Connection, options: ApplyOptions,
         request: ApplyRequest, say: Progress, folder: str | None,
         urls: tuple[str, ...]) -> ApplyResult:
    result = ApplyResult(plan, meta)
    if not plan.has_changes:
        result.notes.append("No changes to apply.")
        if request.report_path:  # a report of nothing applied, so that a CI job always finds one
            _write_report(request.report_path, ApplyReport(meta.plan_id, meta.store, []), result)
        return result
    _refuse_missing_scopes(connection, plan)
    if plan.unsafe and options.force:  # run_plan refuses it without --force
        say(f"Applying an unsafe plan ({plural(len(plan.findings), 'finding')}) because "
            "--force was given.")
    result.report = run_plan(plan, meta, connection, options,
                             progress=StepTicks(say, len(meta.steps)))
    if request.report_path:
        _write_report(request.report_path, result.report, result)
    report = result.report
    if folder:
        history.append(folder, history.apply_record(
            plan, meta.plan_id, options.reference or meta.reference, connection.name,
            meta.shop, report.counts(), report.exit_code))
    if urls:
        send(urls, apply_message(report.counts(), connection.name, meta.shop,
                                 plan.origin.shop_name if plan.origin else None,
                                 report.exit_code, os.environ))
    return result


def _refuse_missing_scopes(connection: Connection, plan: Plan) -> None:
    """Refuse, before the first write, a token whose app lacks a scope ``apply`` needs (a
    read-only app's token, say): the store would refuse every write field one by one."""
    granted = connection.granted_scopes()
    if granted is None:
        return
    missing = missing_scopes(set(granted), "apply", discounts=bool(plan.discounts))
    if missing:
        raise RefusedError(
            f"the app's token lacks the access scope{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} that apply needs (granted: {', '.join(granted)}); nothing "
            "was applied. Apply with the credentials of an app that has them (a write app in a "
            "protected environment), or add the scopes to this app and release it")


def _check_report_path(report_path: str, inputs: list[Input]) -> None:
    check_output("--report", report_path, inputs, example="report.json")


def _write_report(report_path: str, report: ApplyReport, result: ApplyResult) -> None:
    write_output(report_path, document_json(report.to_dict()))
    if str(report_path) != STDOUT:
        result.report_written = report_path


def _with_plan(exc: _E, plan: Plan) -> _E:
    exc.plan = plan
    return exc
