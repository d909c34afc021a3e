"""``syncer.yaml``: per-store settings beside the manifests (``schemas/config.schema.json``).

A folder of manifests may hold a ``syncer.yaml`` naming its store, API version, the ``reason``
and ``reference`` recorded on every change, the read mode, the environment variables holding
its credentials and notification URLs, and its history folder, so that ``syncer plan stores/us``
needs no flags. The file is not a manifest: folder walks skip it. Flags and environment
variables override it (the engine resolves the order).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from syncer.errors import ManifestError, Problem, Source
from syncer.manifest.files import CONFIG_NAME, decode_manifest, read_manifest
from syncer.manifest.schema import check_schema
from syncer.manifest.yamlmarks import parse_yaml

SCHEMA = "config.schema.json"
SETTINGS = ("store", "api_version", "reason", "reference", "read", "history")


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """The settings one ``syncer.yaml`` gives (``None``: not set), and the file."""

    file: str | None = None
    store: str | None = None
    api_version: str | None = None
    reason: str | None = None
    reference: str | None = None
    read: str | None = None
    #: The folder whose ``history.jsonl`` keeps this store's drift and apply records.
    history: str | None = None
    #: Which environment variables hold the store's credentials (role -> variable name).
    credentials: tuple[tuple[str, str], ...] = ()
    #: Which environment variables hold URLs told each outcome (``notify``).
    notify: tuple[str, ...] = ()


@dataclass
class StoreGroup:
    """Manifest paths that share one ``syncer.yaml`` (or none), in the order given."""

    config: StoreConfig
    paths: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The folder of the config, or the paths when there is none."""
        return os.path.dirname(self.config.file) or "." if self.config.file else " ".join(
            self.paths)


def config_file_for(path: str | os.PathLike[str]) -> str | None:
    """The ``syncer.yaml`` beside ``path`` (in it, for a folder), if there is one."""
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    candidate = folder / CONFIG_NAME
    return os.path.normpath(candidate) if candidate.is_file() else None


def load_config(file: str) -> StoreConfig:
    """Read and check one ``syncer.yaml``; ``ManifestError`` lists every problem at its line."""
    data, problem = read_manifest(file)
    text = None
    if problem is None:
        text, problem = decode_manifest(cast(bytes, data), file)  # bytes when no problem
    if problem is not None:
        raise ManifestError([problem])
    parsed = parse_yaml(cast(str, text), file)  # text when no problem
    document = {} if parsed.document is None and not parsed.problems else parsed.document
    problems = list(parsed.problems)
    if not problems:
        if not isinstance(document, dict):
            problems.append(Problem(Source(file, 1, 1), "syncer.yaml is a mapping of settings"))
        else:
            problems += check_schema(parsed, file, SCHEMA)
    if problems:
        raise ManifestError(problems)
    settings = cast("dict[str, Any]", document)  # a mapping (checked above)
    values = {name: settings.get(name) for name in SETTINGS}
    store = values["store"]
    if store and is_local_path(store):  # a state file is relative to the config
        values["store"] = os.path.normpath(os.path.join(os.path.dirname(file), store))
    if values["history"]:  # so is the history folder
        values["history"] = os.path.normpath(os.path.join(os.path.dirname(file),
                                                          values["history"]))
    names = settings.get("credentials") or {}
    return StoreConfig(file, **values, credentials=tuple(sorted(names.items())),
                       notify=tuple(settings.get("notify") or ()))


def is_local_path(store: str) -> bool:
    """Whether a store value names a local state file (not a URL, not SHOP.myshopify.com)."""
    return "://" not in store and not store.endswith(".myshopify.com")


def group_paths(paths: Iterable[str | os.PathLike[str]]) -> list[StoreGroup]:
    """Paths grouped by the ``syncer.yaml`` beside each (loaded and checked), in first-seen order.

    Raises one ``ManifestError`` listing the problems of every config file.
    """
    groups: dict[str | None, StoreGroup] = {}
    problems: list[Problem] = []
    for path in paths:
        file = config_file_for(path)
        if file not in groups:
            try:
                config = load_config(file) if file else StoreConfig()
            except ManifestError as exc:
                problems += exc.problems
                config = StoreConfig(file)
            groups[file] = StoreGroup(config)
        groups[file].paths.append(str(path))
    if problems:
        raise ManifestError(problems)
    return list(groups.values())
