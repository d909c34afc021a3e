"""The engine: the one door to every workflow, as octoDNS's ``Manager`` is.

Each workflow takes one typed request (``requests.py``), resolves its settings itself (flags,
environment, ``syncer.yaml``: ``settings.py``), and returns one result for the caller to render;
errors are ``SyncerError``. Nothing here prints: progress lines go to the ``progress`` callable
a caller passes (the CLI's prints them on stderr), and the apply's step log goes to the
``syncer.apply`` logger.

* ``validate(ValidateRequest) -> ValidateResult``
* ``plan(PlanRequest, progress) -> FleetResult`` (one store is a fleet of one)
* ``drift(DriftRequest, progress) -> FleetResult`` (and the write-back into the manifests)
* ``show(ShowRequest) -> (Plan, PlanMeta)``
* ``apply(ApplyRequest, prepared, progress) -> ApplyResult``; for manifests, ``prepare`` first
  (the caller shows the plan and asks before it runs)
* ``import_(ImportRequest, progress) -> ImportResult``
* ``doctor(DoctorRequest) -> DoctorResult``: is a store ready, and what to do if not
* ``report(folder, out) -> ReportResult``: the drift history (``--history``) as an HTML page
* ``serve_emulator(EmulatorRequest, say)``

The constants a command line's help texts name come from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from syncer.apply.applier import ApplyOptions
from syncer.engine.applying import Prepared, apply, check_safe, plan_for_apply, prepare, run_plan
from syncer.engine.connect import Connection, connect
from syncer.engine.doctor import DoctorRequest, DoctorResult, doctor
from syncer.engine.fleet import StoreOutcome, render_fleet
from syncer.engine.importing import ImportResult, import_, parse_quantities
from syncer.engine.planfile import (
    PlanResult,
    is_plan_file,
    new_plan_document,
    parse_duration,
    save_plan,
)
from syncer.engine.planning import STORE_FIELD, drift, make_plan, plan, show, validate
from syncer.engine.report import ReportResult, report
from syncer.engine.requests import (
    ApplyRequest,
    ApplyResult,
    DriftRequest,
    FleetResult,
    ImportRequest,
    PlanRequest,
    ShowRequest,
    ValidateRequest,
    ValidateResult,
)
from syncer.engine.review import render_since_review
from syncer.engine.settings import READ_MODES, Selection, StoreFlags
from syncer.plan.document import DEFAULT_REASON
from syncer.shopify.reader import BULK_MIN_LEVELS
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV, TOKEN_ENV
from syncer.shopify.variables import ADJUST_REASONS

if TYPE_CHECKING:
    from syncer.engine.emulating import EmulatorRequest


def serve_emulator(request: EmulatorRequest, say: Callable[[str], None]) -> None:
    """``syncer emulator``: serve a state file until stopped (``emulating.py``; imported only
    here, so that no other command pays for loading the emulator)."""
    from syncer.engine import emulating

    emulating.serve_emulator(request, say)


def emulator_request(**fields: Any) -> EmulatorRequest:
    """An ``EmulatorRequest`` (``emulating.py``, loaded only for ``syncer emulator``)."""
    from syncer.engine.emulating import EmulatorRequest

    return EmulatorRequest(**fields)


__all__ = [
    "ADJUST_REASONS", "ApplyOptions", "ApplyRequest", "ApplyResult", "BULK_MIN_LEVELS",
    "Connection", "DEFAULT_API_VERSION", "DEFAULT_REASON", "DoctorRequest", "DoctorResult",
    "DriftRequest", "FleetResult", "ImportRequest", "ImportResult", "PlanRequest", "PlanResult",
    "Prepared", "READ_MODES", "ReportResult", "STORE_ENV", "STORE_FIELD", "Selection",
    "ShowRequest", "StoreFlags", "StoreOutcome", "TOKEN_ENV", "ValidateRequest", "ValidateResult",
    "apply", "check_safe", "connect", "doctor", "drift", "emulator_request", "import_",
    "is_plan_file", "make_plan", "new_plan_document", "parse_duration", "parse_quantities", "plan",
    "plan_for_apply", "prepare", "render_fleet", "render_since_review", "report", "run_plan",
    "save_plan", "serve_emulator", "show", "validate",
]
