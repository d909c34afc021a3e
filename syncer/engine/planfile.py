"""Plan files: the one module that writes and reads saved plans, and checks that a saved plan
still applies here.

A saved plan is refused (``ConflictError``, exit 4) when it was made for another store or API
version, is older than ``--max-plan-age``, its manifests changed since, or it holds a step the
manifests do not declare (a plan file is untrusted input: a pull request from a fork can craft
one whose digests are consistent).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from syncer import __version__
from syncer.engine.connect import Connection, Progress, canonical_store, lock_path
from syncer.errors import ConflictError
from syncer.manifest.load import load_manifests
from syncer.model import DISCOUNT_GID, DesiredState, nfc
from syncer.outputs import Input, check_output, write_output
from syncer.plan.changes import Activate, Adjust, Deactivate, Plan
from syncer.plan.document import DEFAULT_REASON, PlanMeta, plan_document, read_plan_file
from syncer.plan.encoding import document_json


@dataclass(frozen=True)
class PlanResult:
    """A plan together with the desired state it was made from (whose digest a saved plan keeps)."""

    plan: Plan
    desired: DesiredState
    #: Made with ``--prune`` (recorded in a saved plan: apply then accepts its deactivations of
    #: levels no manifest names).
    prune: bool = False


def save_plan(result: PlanResult, store: Connection, path: str | os.PathLike[str], *,
              reason: str = DEFAULT_REASON, reference: str | None = None) -> dict[str, Any]:
    """Write the plan file for ``result`` to ``path`` (``write_output``: ``-`` is standard
    output); returns the document.

    The ``plan_id`` is new for every plan, so a plan made again gets new idempotency keys.
    """
    document = new_plan_document(result, store, reason=reason, reference=reference,
                                 shop=store.shop())
    write_output(path, document_json(document))
    return document


def read_plan(path: str | os.PathLike[str]) -> tuple[Plan, PlanMeta]:
    """The plan and metadata of the saved plan file at ``path``, checked (read once per run)."""
    return read_plan_file(path)


def is_plan_file(paths: Sequence[str]) -> bool:
    """Whether ``apply``'s arguments name one saved plan (else they are manifests)."""
    if len(paths) != 1:
        return False
    path = paths[0]
    return path.endswith(".json") or (os.path.isfile(path) and not path.endswith((".yaml", ".yml")))


def new_plan_document(result: PlanResult, store: Connection, *, reason: str = DEFAULT_REASON,
                      reference: str | None = None, shop: str | None = None) -> dict[str, Any]:
    """The saved-plan document for ``result``, with a new random ``plan_id`` (``shop``: the
    store's ``myshopifyDomain``, which apply checks)."""
    plan_id = str(uuid.uuid4())
    if reference and "{plan_id}" in reference:  # a syncer.yaml reference pattern
        reference = reference.replace("{plan_id}", plan_id)
    return plan_document(
        result.plan,
        plan_id=plan_id,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        store=store.name,
        api_version=store.api_version,
        syncer_version=__version__,
        manifest_digest=result.desired.digest,
        manifest_files=result.desired.files,
        limits=result.desired.safety,
        reason=reason,
        reference=reference,
        shop=shop,
        prune=result.prune,
    )


def check_reason(meta: PlanMeta, reason: str | None, reference: str | None) -> None:
    """Refuse (``ConflictError``, exit 4 as every other plan-not-for-here refusal) an apply
    asking for another reason or reference than the plan's (a plan made for another pull
    request, say).

    Both are parameters of every adjustment's idempotency key: a rerun with others would get
    ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH`` for every change that landed, so they are chosen once,
    at ``syncer plan``. Giving the plan's own values again (or none) is fine.
    """
    asked = [("--reason", reason, meta.reason), ("--reference", reference, meta.reference)]
    for flag, value, planned in asked:
        if value is not None and value != planned:
            recorded = "none (the default)" if planned is None else planned
            raise ConflictError(
                f"{flag} {value} differs from the plan's {flag.lstrip('-')}, {recorded}: a "
                f"saved plan is applied with the {flag.lstrip('-')} it was made with, so that "
                f"resuming it never changes what was recorded; drop {flag}, or make a new plan "
                f"with `syncer plan {flag} {value} -o plan.json`"
            )


def check_plan_output(out: str | os.PathLike[str], *, store: str | None = None,
                      manifests: Sequence[str] = ()) -> None:
    """Refuse (``UsageError``) a ``plan -o`` path that would replace the store file or a
    manifest, or whose folder does not exist (see ``check_output``)."""
    inputs = store_files(store) + [("a manifest", m) for m in manifests]
    check_output("-o", out, inputs, example="plan.json")


def store_files(store: str | os.PathLike[str] | None) -> list[Input]:
    """The files of ``store`` that no output may replace: a local store file and its lock."""
    if not store or not Path(store).is_file():
        return []
    return [("the store file", store), ("the store's lock file", lock_path(store))]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 3600}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``2d`` (a bare number is hours); ``ValueError`` otherwise."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 24h or 2d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def age_text(age: timedelta) -> str:
    """A duration as people write it, never rounded to zero.

    >>> [age_text(timedelta(seconds=s)) for s in (30, 5400, 172800)]
    ['30s', '1h 30m', '2d']
    """
    seconds = max(0, round(age.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2]) or "0s"


def check_saved_plan(
    meta: PlanMeta,
    store: Connection,
    *,
    max_age: timedelta = timedelta(hours=24),
    manifests: Sequence[str] = (),
    now: datetime | None = None,
    progress: Progress | None = None,
    plan: Plan | None = None,
) -> DesiredState | None:
    """Refuse (``ConflictError``, exit 4) a plan for another store or API version, one older than
    ``max_age``, one whose manifests changed since it was made, or (given ``plan``) one with a
    step those manifests do not declare. Returns the manifests' desired state.

    The manifests are ``manifests`` when given, else the files the plan recorded if they all
    exist here; when neither can be read the check is skipped, ``progress`` says so, and None
    is returned.
    """
    say = progress or (lambda _text: None)
    if canonical_store(meta.store) != store.name:
        raise ConflictError(
            f"the plan was made for store {meta.store}, not {store.name}; apply it to the store "
            "it was made for, or make a new plan for this one"
        )
    if meta.shop is not None and store.shop() != meta.shop:
        raise ConflictError(
            f"{store.name} is the shop {store.shop()}, but the plan was made for the shop "
            f"{meta.shop}; make a new plan for this shop"
        )
    if meta.api_version != store.api_version:
        raise ConflictError(
            f"the plan was made with API version {meta.api_version}, not {store.api_version}; "
            f"pass --api-version {meta.api_version} or make the plan again"
        )
    now = now or datetime.now(UTC)
    try:
        created = datetime.fromisoformat(meta.created_at.replace("Z", "+00:00"))
    except ValueError:
        raise ConflictError(f"the plan's created_at {meta.created_at!r} is not a time") from None
    age = now - created
    if age > max_age:
        raise ConflictError(
            f"the plan is {age_text(age)} old, older than --max-plan-age {age_text(max_age)}: "
            "Shopify keeps idempotency keys for about 24 hours, so a plan this old cannot be "
            "resumed safely; make the plan again (or raise --max-plan-age)"
        )
    paths = list(manifests)
    if not paths:
        recorded = list(meta.manifest_files)
        missing = [f for f in recorded if not Path(f).is_file()]
        if not recorded or missing:
            say("Manifests not checked against the plan (recorded files not found here: "
                f"{', '.join(missing[:3]) or 'none recorded'}); pass --manifests to check them")
            return None
        paths = recorded
    desired = load_manifests(paths)
    if desired.digest != meta.manifest_digest:
        raise ConflictError(
            f"the manifests changed since the plan was made ({_what_changed(meta, desired)}; "
            f"digest {desired.digest[:12]}, plan has {meta.manifest_digest[:12]}); make the plan "
            "again from the current manifests"
        )
    if plan is not None:
        check_declared(plan, desired, meta)
    return desired


def check_declared(plan: Plan, desired: DesiredState, meta: PlanMeta) -> None:
    """Refuse (``ConflictError``) a plan with a change the manifests do not declare: an adjust
    whose target is not the declared value, an activation of a level not declared active, a
    deactivation of a level declared active, or of an undeclared level unless the plan was made
    with ``--prune`` (or the manifests deactivate unmanaged levels) at one of their locations;
    a discount change the manifests do not declare (its code or gid, to that state)."""
    declared = {(nfc(level.location), nfc(level.item)): level for level in desired.levels}
    locations = {nfc(level.location) for level in desired.levels}
    prune = meta.prune or desired.policy.unmanaged == "deactivate"
    for change in plan.changes:
        ref = change.level
        names = [nfc(n) for n in (ref.location, ref.location_id)]
        items = [nfc(n) for n in (ref.sku, ref.item_id)]
        level = next((declared[(loc, item)] for loc in names for item in items
                      if (loc, item) in declared), None)
        what = f"{change.kind.value} {ref.location} / {ref.sku}"
        if isinstance(change, Deactivate):
            ok = (level is not None and level.active is False) or (
                level is None and prune and any(n in locations for n in names))
        elif isinstance(change, Activate):
            ok = level is not None and level.active is True
        elif isinstance(change, Adjust):
            ok = level is not None and level.quantities.get(change.quantity) == change.after
            what += f" {change.quantity} to {change.after}"
        else:  # pragma: no cover - every change kind is above
            ok = False
        if not ok:
            _undeclared(what)
    codes = {d.key: d for d in desired.discounts}
    for discount in plan.discounts:
        name = discount.ref
        by_id = name.startswith(DISCOUNT_GID)
        wanted = codes.get(name if by_id else name.casefold())
        if (wanted is None or wanted.active != discount.active
                or (by_id and name != discount.discount_id)):
            _undeclared(f"{discount.verb} discount {name}")


def _undeclared(what: str) -> NoReturn:
    raise ConflictError(
        f"the plan holds a step the manifests do not declare ({what}); a plan file is "
        "applied only with the manifests it was made from: make the plan again from "
        "them (a plan from an untrusted source is refused)")


def _what_changed(meta: PlanMeta, desired: DesiredState) -> str:
    """The files added or removed since the plan, else the files one of which was edited (a
    plan records one digest of them all, not one per file)."""
    recorded = {os.path.abspath(f): f for f in meta.manifest_files}
    now = {os.path.abspath(f): f for f in desired.files}
    added = [now[f] for f in sorted(now.keys() - recorded.keys())]
    removed = [recorded[f] for f in sorted(recorded.keys() - now.keys())]
    parts = ([f"added: {', '.join(added)}"] if added else []) + (
        [f"removed: {', '.join(removed)}"] if removed else [])
    if parts:
        return "; ".join(parts)
    return f"edited: {desired.files[0]}" if len(desired.files) == 1 else (
        f"one or more of these files edited: {', '.join(desired.files)}")
