"""Settings per store folder: the store, API version, reason, reference and read mode.

Each setting comes from the first of: the flag, the environment (``SYNCER_STORE``,
``SYNCER_API_VERSION``, ``SYNCER_REASON``, ``SYNCER_REFERENCE``, ``SYNCER_READ``), the
``syncer.yaml`` beside the manifests, the built-in default. A folder with a ``syncer.yaml`` is
one store; paths without one share a group.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncer.errors import ManifestError, Problem, UsageError, quoted
from syncer.manifest.config import StoreConfig, StoreGroup, group_paths
from syncer.plan.document import DEFAULT_REASON
from syncer.shopify.stores import DEFAULT_API_VERSION, STORE_ENV

log = logging.getLogger(__name__)

ENV = {
    "store": STORE_ENV,
    "api_version": "SYNCER_API_VERSION",
    "reason": "SYNCER_REASON",
    "reference": "SYNCER_REFERENCE",
    "read": "SYNCER_READ",
}
DEFAULTS = {"api_version": DEFAULT_API_VERSION, "reason": DEFAULT_REASON, "read": "auto"}
READ_MODES = ("auto", "bulk", "paged", "scan")


@dataclass(frozen=True, slots=True)
class StoreFlags:
    """The store settings a caller gives (``None``: not given; the engine resolves the rest)."""

    store: str | None = None
    api_version: str | None = None
    reason: str | None = None
    reference: str | None = None
    read: str | None = None
    #: Whether ``store`` was given as a flag (not taken from ``$SYNCER_STORE``): a saved plan
    #: is applied to its own store unless a flag names another.
    store_is_flag: bool = True


@dataclass(frozen=True, slots=True)
class Selection:
    """Which levels and discount codes a plan covers: ``prune`` unmanaged levels, ``targets``
    and ``excludes`` (selector strings: ``location=NAME``, ``sku=GLOB``, ``code=GLOB``)."""

    prune: bool = False
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


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
    #: Which environment variables hold the credentials (``syncer.yaml``'s ``credentials``;
    #: None: the defaults, SHOPIFY_ACCESS_TOKEN else SHOPIFY_CLIENT_ID/SECRET).
    credentials: Mapping[str, str] | None = None
    #: ``syncer.yaml``'s history folder (``--history`` overrides it) and the environment
    #: variables holding URLs to notify (besides ``--notify`` and ``$SYNCER_NOTIFY``).
    history: str | None = None
    notify: tuple[str, ...] = ()


def resolve_settings(paths: Sequence[str], flags: StoreFlags = StoreFlags(),
                     env: Mapping[str, str] | None = None) -> list[Settings]:
    """One ``Settings`` per ``syncer.yaml`` among ``paths`` (paths without one share a group)."""
    return [_settings(group, flags, os.environ if env is None else env)
            for group in group_paths(paths)]


def one_store(paths: Sequence[str], flags: StoreFlags = StoreFlags()) -> Settings:
    """The settings of ``paths``, which must belong to one store."""
    stores = resolve_settings(paths, flags) if paths else []
    if len(stores) > 1:
        raise UsageError(f"these paths belong to {len(stores)} stores (syncer.yaml files: "
                         f"{', '.join(s.config_file or '-' for s in stores)}); give one store's")
    return stores[0] if stores else _settings(StoreGroup(StoreConfig()), flags, os.environ)


def config_for(manifests: Sequence[str]) -> StoreConfig:
    """The ``syncer.yaml`` beside the first of ``manifests`` that is here (a saved plan's store
    folder); an empty one when there is none."""
    for path in manifests:
        if os.path.exists(path):
            groups = group_paths([path])
            return groups[0].config if groups else StoreConfig()
    return StoreConfig()


def config_problems(paths: Sequence[str]) -> tuple[Problem, ...]:
    """Problems of the ``syncer.yaml`` files beside ``paths`` (for ``validate``)."""
    try:
        resolve_settings(paths, env={})
    except ManifestError as exc:
        return exc.problems
    return ()


def _settings(group: StoreGroup, flags: StoreFlags, env: Mapping[str, str]) -> Settings:
    def pick(name: str) -> str | None:
        for value in (getattr(flags, name), env.get(ENV[name]), getattr(group.config, name)):
            if value:
                return str(value)
        return DEFAULTS.get(name)

    read = pick("read") or "auto"
    if read not in READ_MODES:
        raise UsageError(f"{ENV['read']}={quoted(read)}: the read mode is one of "
                         f"{', '.join(READ_MODES)}")
    named, env_store = group.config.store, env.get(ENV["store"])
    from_env = env_store and (not flags.store or (flags.store == env_store
                                                   and not flags.store_is_flag))
    if named and from_env and os.path.abspath(named) != os.path.abspath(str(env_store)):
        # Logged, not returned: it must show with --quiet and before an error that stops the
        # command (the syncer logger prints warnings on stderr).
        log.warning(f"Warning: {ENV['store']}={env_store} overrides store: {named} in "
                    f"{group.config.file}; unset {ENV['store']} to use the folder's store")
    return Settings(group.name, tuple(group.paths), pick("store"),
                    pick("api_version") or DEFAULT_API_VERSION, pick("reason") or DEFAULT_REASON,
                    pick("reference"), read, group.config.file,
                    dict(group.config.credentials) or None, group.config.history,
                    group.config.notify)
