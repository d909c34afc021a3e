"""The small manager: connect to a store, then load -> read -> plan; save plans to files.

No click and no printing here: the CLI passes a ``progress`` callable and renders the results.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncer import __version__
from syncer.apply.applier import Applier, ApplyOptions, ApplyReport
from syncer.emulator import Emulator, StateError
from syncer.emulator.handler import wall_time
from syncer.errors import ConflictError, StoreError, SyncerError, UnsafePlanError, UsageError
from syncer.manifest.load import load_manifests
from syncer.model import DesiredState
from syncer.plan.changes import Plan, document_json
from syncer.plan.document import PlanMeta, load_plan_document, plan_document
from syncer.plan.planner import parse_selection
from syncer.plan.planner import plan as make_changes
from syncer.shopify.bulk import Fetch, http_fetch, local_fetch
from syncer.shopify.reader import read_live
from syncer.shopify.transport import (
    DEFAULT_API_VERSION,
    STORE_ENV,
    TOKEN_ENV,
    HttpTransport,
    LocalTransport,
    Transport,
    check_api_version,
    parse_store,
)

Progress = Callable[[str], None]


@dataclass
class Store:
    """A connected store: its transport and the name recorded in plan files."""

    name: str
    kind: str  # "file" | "http" | "shopify"
    api_version: str
    transport: Transport
    emulator: Emulator | None = None
    lock: object | None = None
    fetch: Fetch | None = None  # downloads bulk results (None: the store cannot serve them)

    def wall_clock(self) -> float:
        """Seconds since the epoch as the store sees them (the emulator's clock when local)."""
        return wall_time(self.emulator.clock) if self.emulator is not None else time.time()

    def close(self) -> None:
        """Release the store file's lock, if held."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def connect(
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    env: Mapping[str, str] | None = None,
    lock: bool = False,
    lock_timeout: float = 300.0,
    progress: Progress | None = None,
) -> Store:
    """Connect to ``store`` (or ``$SYNCER_STORE``): a local state file, an emulator URL or a shop.

    A local state file is served in process by the embedded emulator (no socket, no token needed);
    ``http://127.0.0.1:PORT`` is a running ``syncer emulator``; ``SHOP.myshopify.com`` is a real
    store reached with ``$SHOPIFY_ACCESS_TOKEN``.

    With ``lock``, a local state file is locked (``FILE.lock``, held until ``Store.close`` or
    exit) before it is read, so two applies to one file take turns instead of losing writes.
    """
    env = os.environ if env is None else env
    value = store or env.get(STORE_ENV)
    if not value:
        raise UsageError(
            f"no store given: pass --store FILE|http://127.0.0.1:PORT|SHOP.myshopify.com "
            f"or set {STORE_ENV}"
        )
    check_api_version(api_version)
    spec = parse_store(value)
    if spec.kind != "file":
        transport = HttpTransport.for_store(spec, api_version=api_version, env=env)
        return Store(spec.address, spec.kind, api_version, transport, fetch=http_fetch)
    held = _lock_file(spec.address, lock_timeout, progress) if lock else None
    try:
        emulator = Emulator.load(spec.address)
    except StateError as exc:
        if held is not None:
            held.close()
        raise StoreError(str(exc)) from None
    token = env.get(TOKEN_ENV) or emulator.store.access_token
    transport = LocalTransport(
        emulator.handle,
        api_version=api_version,
        token=token,
        sleep=emulator.clock.sleep,
        clock=emulator.clock.now,
    )
    return Store(str(Path(spec.address).resolve()), "file", api_version, transport, emulator,
                 held, fetch=local_fetch(emulator.bulk.open))


def _lock_file(path: str, timeout: float, progress: Progress | None):
    """An open lock file on ``path + '.lock'`` holding an exclusive ``flock``."""
    lock_path = f"{path}.lock"
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 (held open until Store.close)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise StoreError(
                    f"{path} is locked by another syncer apply (waited {timeout:.0f}s); "
                    f"try again when it has finished"
                ) from None
            if not told and progress is not None:
                progress(f"Waiting for another syncer apply to release {path} ...")
                told = True
            time.sleep(0.05)


@dataclass(frozen=True)
class PlanResult:
    """A plan together with the desired state it was made from."""

    plan: Plan
    desired: DesiredState


def make_plan(
    paths: Iterable[str],
    store: Store,
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


def save_plan(result: PlanResult, store: Store, path: str | os.PathLike) -> dict:
    """Write the plan file for ``result`` to ``path`` atomically; returns the document.

    The ``plan_id`` is new for every plan, so a plan made again gets new idempotency keys.
    """
    document = new_plan_document(result, store)
    write_json_atomically(path, document)
    return document


def new_plan_document(result: PlanResult, store: Store) -> dict:
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
    store: Store,
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


def check_safe(plan: Plan, force: bool) -> None:
    """Refuse an unsafe plan (``UnsafePlanError``, exit 3) unless ``force``."""
    if not plan.unsafe or force:
        return
    lines = [f"  - {f}" for f in plan.findings]
    raise UnsafePlanError(
        f"the plan is unsafe ({len(plan.findings)} finding"
        f"{'s' if len(plan.findings) != 1 else ''}):\n" + "\n".join(lines)
        + "\npass --force to apply it anyway"
    )


def apply(
    plan: Plan,
    meta: PlanMeta,
    store: Store,
    options: ApplyOptions | None = None,
    *,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ApplyReport:
    """Run ``plan``'s steps against ``store`` (after ``check_safe``); returns the report."""
    options = options or ApplyOptions(limits=meta.limits)
    check_safe(plan, options.force)
    applier = Applier(store.transport, plan, meta, options, log=log, progress=progress,
                      clock=store.wall_clock)
    return applier.run()


def plan_for_apply(result: PlanResult, store: Store) -> tuple[Plan, PlanMeta]:
    """The plan and metadata ``apply`` runs for a plan made in this process (not saved)."""
    return load_plan_document(new_plan_document(result, store))
