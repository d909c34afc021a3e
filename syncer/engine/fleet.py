"""Settings per store folder, and running one command over a fleet of store folders.

Each setting comes from the first of: the flag, the environment (``SYNCER_STORE``,
``SYNCER_API_VERSION``, ``SYNCER_REASON``, ``SYNCER_REFERENCE``, ``SYNCER_READ``), the
``syncer.yaml`` beside the manifests, the built-in default. ``syncer plan stores/*`` with one
``syncer.yaml`` per folder plans each folder against its own store, in parallel.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from syncer.engine import PlanResult, connect, make_plan
from syncer.errors import EXIT_CHANGES, EXIT_ERROR, SyncerError, UsageError, quoted
from syncer.manifest.config import StoreConfig, StoreGroup, group_paths
from syncer.plan.changes import Plan
from syncer.plan.render import escape_markdown
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV

ENV = {
    "store": STORE_ENV,
    "api_version": "SYNCER_API_VERSION",
    "reason": "SYNCER_REASON",
    "reference": "SYNCER_REFERENCE",
    "read": "SYNCER_READ",
}
DEFAULTS = {"api_version": DEFAULT_API_VERSION, "reason": "correction", "read": "auto"}
READ_MODES = ("auto", "bulk", "paged", "scan")
#: Store folders planned at once (each mostly waits on its store).
MAX_WORKERS = 8


@dataclass(frozen=True, slots=True)
class Settings:
    """What one store folder runs with: its manifest paths and resolved settings."""

    name: str
    paths: tuple[str, ...]
    store: str | None
    api_version: str
    reason: str
    reference: str | None
    read: str
    config_file: str | None = None


def resolve_settings(
    paths: Sequence[str],
    flags: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Settings]:
    """One ``Settings`` per ``syncer.yaml`` among ``paths`` (paths without one share a group)."""
    return [_settings(group, flags or {}, os.environ if env is None else env)
            for group in group_paths(paths)]


def settings_for_files(files: Sequence[str], flags: Mapping[str, str | None],
                       env: Mapping[str, str] | None = None) -> Settings:
    """Settings for a saved plan: from the ``syncer.yaml`` beside its recorded manifests."""
    present = [f for f in files if os.path.isfile(f)][:1]
    groups = resolve_settings(present, flags, env) if present else []
    if groups:
        return groups[0]
    return _settings(StoreGroup(StoreConfig()), flags, os.environ if env is None else env)


def _settings(group: StoreGroup, flags: Mapping, env: Mapping) -> Settings:
    def pick(name: str) -> str | None:
        for value in (flags.get(name), env.get(ENV[name]), getattr(group.config, name)):
            if value:
                return value
        return DEFAULTS.get(name)

    read = pick("read")
    if read not in READ_MODES:
        raise UsageError(f"{ENV['read']}={quoted(read)}: the read mode is one of "
                         f"{', '.join(READ_MODES)}")
    return Settings(group.name, tuple(group.paths), pick("store"), pick("api_version"),
                    pick("reason"), pick("reference"), read, group.config.file)


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """One store folder's plan, or the error that stopped it."""

    settings: Settings
    result: PlanResult | None = None
    error: SyncerError | None = None

    def exit_code(self, detailed: bool, drift: bool = False) -> int:
        """As the single-store command would exit (drift: drift wins over errors)."""
        if self.error is not None:
            return self.error.exit_code
        plan = self.result.plan
        if drift and plan.has_changes:
            return EXIT_CHANGES
        if plan.errors:
            return EXIT_ERROR
        return EXIT_CHANGES if detailed and plan.has_changes else 0


def plan_each(
    stores: Sequence[Settings],
    *,
    progress: Callable[[str], None] | None = None,
    after: Callable[[PlanResult], None] | None = None,
    **plan_options,
) -> list[StoreOutcome]:
    """Plan every store folder against its own store, in parallel; outcomes in order.

    ``progress`` lines are prefixed with the folder; ``after`` runs on each error-free plan (for
    ``drift --write-manifests``). One store's error does not stop the others.
    """
    say = progress or (lambda _text: None)

    def job(settings: Settings) -> StoreOutcome:
        try:
            store = connect(settings.store, api_version=settings.api_version)
            result = make_plan(settings.paths, store, read=settings.read,
                               progress=lambda text: say(f"[{settings.name}] {text}"),
                               **plan_options)
            if after is not None and not result.plan.errors:
                after(result)
            return StoreOutcome(settings, result)
        except SyncerError as exc:
            return StoreOutcome(settings, error=exc)

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(stores)))) as pool:
        return list(pool.map(job, stores))


def fleet_exit_code(outcomes: Sequence[StoreOutcome], detailed: bool, drift: bool = False) -> int:
    """The worst exit code: any failure first (the highest), else 2 for changes, else 0."""
    codes = [outcome.exit_code(detailed, drift) for outcome in outcomes]
    failed = [code for code in codes if code not in (0, EXIT_CHANGES)]
    return max(failed) if failed else max(codes, default=0)


def render_fleet(outcomes: Sequence[StoreOutcome], render: Callable[[Plan], str], fmt: str,
                 detailed: bool, drift: bool = False) -> str:
    """Every store's rendered plan under its own heading (JSON: ``{"stores": [...]}``)."""
    if fmt == "json":
        entries = [{"name": o.settings.name, "store": o.settings.store,
                    "exit_code": o.exit_code(detailed, drift),
                    "error": None if o.error is None else str(o.error),
                    "result": None if o.result is None else json.loads(render(o.result.plan))}
                   for o in outcomes]
        return json.dumps({"stores": entries}, indent=2, sort_keys=True) + "\n"
    parts = []
    for o in outcomes:
        title = f"{o.settings.name} ({o.settings.store})"
        head = f"## {escape_markdown(title)}\n\n" if fmt == "markdown" else f"=== {title} ===\n"
        body = render(o.result.plan) if o.result is not None else f"Error: {o.error}\n"
        parts.append(head + body)
    return "\n".join(parts)
