"""The saved plan (``syncer plan -o plan.json``, DESIGN.md section 4): build it and load it back.

The document is plain JSON data described by ``schemas/plan.schema.json``. Loading it checks the
format version, then the document against that schema (an error names the field by its JSON
path), then what the schema cannot say: the fingerprint of the changes, the steps they make and a
digest of the whole document, so a plan edited by hand is refused instead of applied.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from syncer.errors import PlanFileError, plural, quoted
from syncer.model import Money, SafetyLimits
from syncer.plan.changes import Plan, change_from_dict
from syncer.plan.discounts import DiscountChange
from syncer.plan.encoding import canonical_json
from syncer.plan.notices import Finding, PlanWarning
from syncer.plan.origin import PlanOrigin
from syncer.plan.schema import saved_plan_keys, schema_problem
from syncer.plan.steps import Step, build_steps
from syncer.plan.value import money_from

FORMAT_VERSION = 1
DEFAULT_REASON = "correction"


@dataclass(frozen=True, slots=True)
class PlanMeta:
    """Everything in a saved plan that is not the plan itself."""

    plan_id: str
    created_at: str
    store: str
    api_version: str
    syncer_version: str
    manifest_digest: str
    manifest_files: tuple[str, ...]
    steps: tuple[Step, ...]
    #: The manifests' safety limits, so ``apply --rebase`` can check a rebased plan.
    limits: SafetyLimits = SafetyLimits()
    #: The reason and reference document recorded on every quantity change (``plan --reason``,
    #: ``--reference``); they are part of the idempotency keys' parameters, so they belong to
    #: the plan. ``reference`` None means ``gid://syncer/Plan/<plan_id>``.
    reason: str = DEFAULT_REASON
    reference: str | None = None
    #: The shop's ``myshopifyDomain`` when the plan was made (None: unknown).
    shop: str | None = None
    #: Made with ``--prune``: its deactivations of undeclared levels are part of what was asked.
    prune: bool = False

    def idempotency_key(self, step: Step) -> str:
        """``uuid5(plan_id, step_key)``: replayed by a rerun of this plan, new for a new plan."""
        return idempotency_key(self.plan_id, step)


def idempotency_key(plan_id: str, step: Step) -> str:
    """The idempotency key of ``step`` in the plan ``plan_id`` (a UUID string)."""
    return str(uuid5(UUID(plan_id), step.step_key))


def _digest(document: Mapping[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "document_digest"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def plan_document(
    plan: Plan,
    *,
    plan_id: str,
    created_at: str,
    store: str,
    api_version: str,
    syncer_version: str,
    manifest_digest: str,
    manifest_files: tuple[str, ...] | list[str],
    limits: SafetyLimits | None = None,
    reason: str = DEFAULT_REASON,
    reference: str | None = None,
    shop: str | None = None,
    prune: bool = False,
) -> dict[str, Any]:
    """The saved-plan document for ``plan``; a plan with errors cannot be saved.

    ``plan_id`` must be a UUID string (random, chosen by the caller: this module has no
    randomness or clock); ``created_at`` an ISO 8601 timestamp.
    """
    if plan.errors:
        raise PlanFileError(
            f"the plan has {plural(len(plan.errors), 'error')} and cannot be saved; fix them and "
            "plan again"
        )
    try:
        UUID(plan_id)
    except (ValueError, TypeError, AttributeError):
        raise PlanFileError(f"plan_id {quoted(plan_id)} is not a UUID") from None
    data = plan.to_dict()
    index = {id(c): i for i, c in enumerate(plan.changes)}
    steps = [
        {
            "step_key": s.step_key,
            "idempotency_key": idempotency_key(plan_id, s),
            "kind": s.kind.value,
            "quantity": s.quantity,
            "changes": [index[id(c)] for c in s.changes],
        }
        for s in build_steps(plan)
    ]
    document = {
        "format_version": FORMAT_VERSION,
        "syncer_version": syncer_version,
        "api_version": api_version,
        "store": store,
        "shop": shop,
        **({"shop_name": plan.origin.shop_name}
           if plan.origin is not None and plan.origin.shop_name else {}),
        **({"prune": True} if prune else {}),
        "reason": reason,
        "reference": reference,
        "plan_id": plan_id,
        "created_at": created_at,
        "manifest": {"digest": manifest_digest, "files": list(manifest_files)},
        "fingerprint": data["fingerprint"],
        "summary": data["summary"],
        "managed_levels": data["managed_levels"],
        "unsafe": data["unsafe"],
        "changes": data["changes"],
        "steps": steps,
        "errors": [],
        "warnings": data["warnings"],
        "findings": data["findings"],
        "value": data["value"],
        "unit_costs": data["unit_costs"],
        "safety": _limits_dict(limits or SafetyLimits()),
    }
    if plan.discounts:  # applied after the steps, each re-read just before its write
        document["discounts"] = data["discounts"]
    document["document_digest"] = _digest(document)
    return document


def _limits_dict(limits: SafetyLimits) -> dict[str, Any]:
    data = {name: getattr(limits, name) for name in SafetyLimits.__dataclass_fields__}
    data["protected"] = list(limits.protected)
    data["max_value_changed"] = ({c: str(a) for c, a in limits.max_value_changed}
                                 if limits.max_value_changed else None)
    return data


def _limits_from(data: Mapping[str, Any] | None) -> SafetyLimits:
    # The schema admits only SafetyLimits' fields, with their types; a plan saved before a
    # limit existed gets its default.
    if data is None:
        return SafetyLimits()
    values = data.get("max_value_changed") or {}
    return SafetyLimits(**{**data, "protected": tuple(data.get("protected", ())),
                           "max_value_changed": tuple((c, Decimal(a))
                                                      for c, a in sorted(values.items()))})


def load_plan_document(document: Mapping[str, Any]) -> tuple[Plan, PlanMeta]:
    """The plan and metadata of a saved-plan document, after checking it was not altered."""
    if not isinstance(document, Mapping):
        raise PlanFileError("a plan file must hold a JSON object")
    version = document.get("format_version")
    if not isinstance(version, int):
        raise PlanFileError("this is not a syncer plan file (no format_version)")
    if version > FORMAT_VERSION:
        raise PlanFileError(
            f"the plan file has format_version {version}, newer than this syncer reads "
            f"({FORMAT_VERSION}); upgrade syncer or make the plan again with this version"
        )
    if version < 1:
        raise PlanFileError(f"unknown plan format_version {version}")
    missing = [k for k in saved_plan_keys() if k not in document]
    if missing:
        raise PlanFileError(f"the plan file lacks {', '.join(missing)}; make the plan again")
    if document["errors"]:
        raise PlanFileError("the plan file records errors; fix them and plan again")
    problem = schema_problem(document)
    if problem:
        raise PlanFileError(f"the plan file is malformed ({problem}); make the plan again")
    try:
        plan = Plan(
            changes=tuple(change_from_dict(c) for c in document["changes"]),
            warnings=tuple(PlanWarning.from_dict(n) for n in document["warnings"]),
            findings=tuple(Finding.from_dict(n) for n in document["findings"]),
            managed_levels=int(document["managed_levels"]),
            discounts=tuple(DiscountChange.from_dict(c) for c in document.get("discounts", ())),
            origin=PlanOrigin(str(document["store"]), str(document["api_version"]),
                              document.get("shop"), document.get("shop_name")),
            unit_costs=_unit_costs(document.get("unit_costs", {})),
        )
        manifest = document["manifest"]
        meta = PlanMeta(
            plan_id=str(UUID(document["plan_id"])),
            created_at=document["created_at"],
            store=document["store"],
            api_version=document["api_version"],
            syncer_version=document["syncer_version"],
            manifest_digest=manifest["digest"],
            manifest_files=tuple(manifest["files"]),
            steps=build_steps(plan),
            limits=_limits_from(document.get("safety")),
            reason=document.get("reason", DEFAULT_REASON),
            reference=document.get("reference"),
            shop=document.get("shop"),
            prune=document.get("prune") is True,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"the plan file is malformed ({_what_is_wrong(exc)}); make the plan "
                            "again") from None
    if plan.fingerprint != document["fingerprint"]:
        raise PlanFileError(
            f"the plan's changes do not match its fingerprint {document['fingerprint'][:12]} "
            f"(recomputed {plan.fingerprint[:12]}): the file was edited; make the plan again"
        )
    recorded = [(s.get("step_key"), s.get("idempotency_key")) for s in document["steps"]]
    if recorded != [(s.step_key, meta.idempotency_key(s)) for s in meta.steps]:
        raise PlanFileError("the plan file's steps do not match its changes; make the plan again")
    if _digest(document) != document["document_digest"]:
        raise PlanFileError("the plan file was edited after it was saved; make the plan again")
    return plan, meta


def _unit_costs(data: Mapping[str, Any]) -> dict[str, Money]:
    costs = {}
    for item_id, raw in data.items():
        cost = money_from(raw)
        if cost is None:
            raise ValueError(f"unit_costs {item_id} is not an amount and a currencyCode")
        costs[item_id] = cost
    return costs


def _what_is_wrong(exc: Exception) -> str:
    """A plain sentence for what a malformed plan document lacks, never the exception's repr."""
    if isinstance(exc, KeyError):
        return f"it has no field {quoted(exc.args[0] if exc.args else '?')}"
    return str(exc) or "a field has the wrong type"


def read_plan_file(path: str | os.PathLike[str]) -> tuple[Plan, PlanMeta]:
    """Read and check the saved plan at ``path``; ``PlanFileError`` naming the file otherwise."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan file: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError(f"{path}: not a plan file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(raw.rstrip()) else ""
        raise PlanFileError(
            f"{path}: not valid JSON{hint}: line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "make the plan again"
        ) from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a plan file (JSON nested too deeply)") from None
    try:
        return load_plan_document(document)
    except PlanFileError as exc:
        raise PlanFileError(f"{path}: {exc}") from None
