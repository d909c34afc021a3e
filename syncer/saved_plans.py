"""Saved plans on disk: write them atomically, and check a saved plan still applies here.

A saved plan is refused (``ConflictError``) when it was made for another store or API version, is
older than ``--max-plan-age``, or its manifests changed since.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncer import __version__
from syncer.connect import Connection, Progress
from syncer.errors import ConflictError, SyncerError
from syncer.manifest.load import load_manifests
from syncer.model import DesiredState
from syncer.plan.changes import Plan
from syncer.plan.document import PlanMeta, plan_document
from syncer.plan.encoding import document_json


@dataclass(frozen=True)
class PlanResult:
    """A plan together with the desired state it was made from (whose digest a saved plan keeps)."""

    plan: Plan
    desired: DesiredState


def save_plan(result: PlanResult, store: Connection, path: str | os.PathLike) -> dict:
    """Write the plan file for ``result`` to ``path`` atomically; returns the document.

    The ``plan_id`` is new for every plan, so a plan made again gets new idempotency keys.
    """
    document = new_plan_document(result, store)
    write_json_atomically(path, document)
    return document


def new_plan_document(result: PlanResult, store: Connection) -> dict:
    """The saved-plan document for ``result``, with a new random ``plan_id``."""
    return plan_document(
        result.plan,
        plan_id=str(uuid.uuid4()),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        store=store.name,
        api_version=store.api_version,
        syncer_version=__version__,
        manifest_digest=result.desired.digest,
        manifest_files=result.desired.files,
        limits=result.desired.safety,
    )


def write_json_atomically(path: str | os.PathLike, document: dict) -> None:
    """Write ``document`` as JSON to ``path`` so that a crash leaves the old file or the new one."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(document_json(document))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise SyncerError(f"cannot write {target}: {exc.strerror or exc}") from None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 3600}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``2d`` (a bare number is hours); ``ValueError`` otherwise."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 24h or 2d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _age_text(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f}h" if hours >= 1 else f"{age.total_seconds() / 60:.0f}m"


def check_saved_plan(
    meta: PlanMeta,
    store: Connection,
    *,
    max_age: timedelta = timedelta(hours=24),
    manifests: Sequence[str] = (),
    now: datetime | None = None,
    progress: Progress | None = None,
) -> None:
    """Refuse (``ConflictError``, exit 4) a plan for another store or API version, one older than
    ``max_age``, or one whose manifests changed since it was made.

    The manifests are ``manifests`` when given, else the files the plan recorded if they all
    exist here; when neither can be read the check is skipped and ``progress`` says so.
    """
    say = progress or (lambda _text: None)
    if meta.store != store.name:
        raise ConflictError(
            f"the plan was made for store {meta.store}, not {store.name}; apply it to the store "
            "it was made for, or make a new plan for this one"
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
            f"the plan is {_age_text(age)} old, older than --max-plan-age {_age_text(max_age)}: "
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
            return
        paths = recorded
    digest = load_manifests(paths).digest
    if digest != meta.manifest_digest:
        raise ConflictError(
            f"the manifests changed since the plan was made (digest {digest[:12]}, plan has "
            f"{meta.manifest_digest[:12]}); make the plan again from the current manifests"
        )
