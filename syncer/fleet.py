"""Settings per store folder, and running one command over a fleet of store folders.

Each setting comes from the first of: the flag, the environment (``SYNCER_STORE``,
``SYNCER_API_VERSION``, ``SYNCER_REASON``, ``SYNCER_REFERENCE``, ``SYNCER_READ``), the
``syncer.yaml`` beside the manifests, the built-in default. ``syncer plan stores/*`` with one
``syncer.yaml`` per folder plans each folder against its own store, in parallel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from syncer.errors import UsageError
from syncer.manifest.config import StoreConfig, StoreGroup, group_paths
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV

ENV = {
    "store": STORE_ENV,
    "api_version": "SYNCER_API_VERSION",
    "reason": "SYNCER_REASON",
    "reference": "SYNCER_REFERENCE",
    "read": "SYNCER_READ",
}
DEFAULTS = {"api_version": DEFAULT_API_VERSION, "reason": "correction", "read": "auto"}
READ_MODES = ("auto", "scan")
#: Store folders planned at once (each mostly waits on its store).
MAX_WORKERS = 8

T = TypeVar("T")


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

    def reference_for(self, plan_id: str) -> str | None:
        """The reference with ``{plan_id}`` filled in (``None``: syncer's default)."""
        return self.reference.replace("{plan_id}", plan_id) if self.reference else None


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
        raise UsageError(f"{ENV['read']}={read!r}: the read mode is one of {', '.join(READ_MODES)}")
    return Settings(group.name, tuple(group.paths), pick("store"), pick("api_version"),
                    pick("reason"), pick("reference"), read, group.config.file)


def run_each(settings: Sequence[Settings], job: Callable[[Settings], T]) -> list[T | Exception]:
    """``job`` for every store folder, in parallel; results (or the exception) in order."""

    def guarded(item: Settings):
        try:
            return job(item)
        except Exception as exc:  # noqa: BLE001 (each store's failure is reported on its own)
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(settings)))) as pool:
        return list(pool.map(guarded, settings))
