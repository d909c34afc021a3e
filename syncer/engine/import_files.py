"""What ``syncer import`` writes besides the manifests' text: the file names, the
``syncer.yaml`` naming the store, the schema copy, and the all-or-none write that never replaces
a file without ``--force`` nor the store's own file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from syncer.engine.connect import Connection, lock_path
from syncer.errors import SyncerError
from syncer.manifest.config import is_local_path
from syncer.manifest.write import file_stem, yaml_key
from syncer.model import Location
from syncer.outputs import refuse_inputs, write_all_or_none

#: The manifest schema, copied beside imported manifests for their schema comment.
SCHEMA_COPY = "manifest.schema.json"


def store_config(out_dir: str | os.PathLike[str], store: str,
                 api_version: str | None) -> str:
    """``syncer.yaml`` naming ``store`` for the folder ``out_dir``: a state file by its path
    relative to the folder (never an absolute path of this machine), else as given; the API
    version when one was asked for. Never a credential."""
    if is_local_path(store):
        store = os.path.relpath(os.path.abspath(store), os.path.abspath(out_dir))
    lines = ["# The store this folder's manifests are planned against (syncer import wrote it).",
             "# Credentials come from the environment (SHOPIFY_CLIENT_ID and",
             "# SHOPIFY_CLIENT_SECRET, or SHOPIFY_ACCESS_TOKEN), never from this file.",
             f"store: {yaml_key(store)}"]
    if api_version:
        lines.append(f"api_version: {yaml_key(api_version)}")
    return "\n".join(lines) + "\n"


def refuse_existing(paths: Iterable[Path]) -> None:
    existing = [str(path) for path in paths if path.exists()]
    if existing:
        raise SyncerError(
            f"{', '.join(existing[:3])}{' ...' if len(existing) > 3 else ''} already "
            f"exist{'s' if len(existing) == 1 else ''}; nothing was read or written: pass "
            "--force to replace, or import into an empty directory"
        )


#: File stems a location's manifest may not take: ``syncer.yaml`` is the folder's settings
#: (plan skips it: a location named "syncer" would be silently not planned) and
#: ``discounts.yaml`` is where ``import --kind DiscountCodes`` writes.
RESERVED = ("syncer", "discounts")


def file_names(out: Path, locations: Sequence[Location]) -> dict[str, Path]:
    """One ``<name>.yaml`` per location; the location number tells same-named files apart (and
    a name that would take a reserved file: ``syncer-3.yaml``)."""
    stems = {loc.id: file_stem(loc.name) or "location" for loc in locations}
    taken: dict[str, int] = dict.fromkeys(RESERVED, 1)
    for stem in stems.values():
        taken[stem] = taken.get(stem, 0) + 1
    return {
        loc_id: out / (f"{stem}.yaml" if taken[stem] == 1
                       else f"{stem}-{loc_id.rsplit('/', 1)[-1]}.yaml")
        for loc_id, stem in stems.items()
    }


def write_files(store: Connection, texts: Sequence[tuple[Path, str]]) -> tuple[Path, ...]:
    """Write every file atomically, all or none; never over ``store``'s own file (``--force``
    only replaces manifests)."""
    try:
        for folder in {path.parent for path, _text in texts}:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncerError(f"cannot create {exc.filename}: {exc.strerror or exc}") from None
    local = [("the store file", store.name), ("the store's lock file", lock_path(store.name))]
    for path, _text in texts:
        refuse_inputs("-o", path, local if store.kind == "file" else [],
                      "import into another folder")
    write_all_or_none(texts)
    return tuple(path for path, _text in texts)
