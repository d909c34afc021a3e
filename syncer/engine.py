"""The small manager: connect to a store, then load -> read -> plan; save plans to files.

No click and no printing here: the CLI passes a ``progress`` callable and renders the results.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syncer import __version__
from syncer.changes import Plan
from syncer.emulator import Emulator, StateError
from syncer.errors import StoreError, SyncerError, UsageError
from syncer.manifest import load_manifests
from syncer.model import DesiredState
from syncer.planfile import plan_document
from syncer.planner import parse_selection
from syncer.planner import plan as make_changes
from syncer.reader import read_live
from syncer.transport import (
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


def connect(
    store: str | None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    env: Mapping[str, str] | None = None,
) -> Store:
    """Connect to ``store`` (or ``$SYNCER_STORE``): a local state file, an emulator URL or a shop.

    A local state file is served in process by the embedded emulator (no socket, no token needed);
    ``http://127.0.0.1:PORT`` is a running ``syncer emulator``; ``SHOP.myshopify.com`` is a real
    store reached with ``$SHOPIFY_ACCESS_TOKEN``.
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
        return Store(spec.address, spec.kind, api_version, transport)
    try:
        emulator = Emulator.load(spec.address)
    except StateError as exc:
        raise StoreError(str(exc)) from None
    token = env.get(TOKEN_ENV) or emulator.store.access_token
    transport = LocalTransport(
        emulator.handle,
        api_version=api_version,
        token=token,
        sleep=emulator.clock.sleep,
        clock=emulator.clock.now,
    )
    return Store(str(Path(spec.address).resolve()), "file", api_version, transport, emulator)


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
) -> PlanResult:
    """Load the manifests, read the live store, and plan. Never writes to the store.

    Manifests and selectors are checked before any request is sent.
    """
    desired = load_manifests(paths)
    selection = parse_selection(targets, excludes)
    live = read_live(store.transport, desired, prune=prune, progress=progress)
    return PlanResult(make_changes(desired, live, prune=prune, targets=selection), desired)


def save_plan(result: PlanResult, store: Store, path: str | os.PathLike) -> dict:
    """Write the plan file for ``result`` to ``path`` atomically; returns the document.

    The ``plan_id`` is new for every plan, so a plan made again gets new idempotency keys.
    """
    document = plan_document(
        result.plan,
        plan_id=str(uuid.uuid4()),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        store=store.name,
        api_version=store.api_version,
        syncer_version=__version__,
        manifest_digest=result.desired.digest,
        manifest_files=result.desired.files,
    )
    write_json_atomically(path, document)
    return document


def write_json_atomically(path: str | os.PathLike, document: dict) -> None:
    """Write ``document`` as JSON to ``path`` so that a crash leaves the old file or the new one."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(document, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise SyncerError(f"cannot write {target}: {exc.strerror or exc}") from None
