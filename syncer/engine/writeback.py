"""The GitOps loop's write-back: ``syncer drift --write-manifests`` adopts live values.

Each drifted value (beyond the tolerance: the planner already leaves tolerated drift out) is set
to what the store holds, in the file and at the spot that declares it; nothing else in the file
changes, so a bot's pull request diff is exactly the drift. A declared level the store does not
have is removed. A level that exists live but in no manifest (seen with ``--prune`` or
``policy.unmanaged: deactivate``) is only listed, unless ``adopt_unmanaged`` names the file to
add it to.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from syncer.engine.planfile import PlanResult
from syncer.errors import SyncerError, plural
from syncer.manifest.edit import LevelAdd, ValueEdit, edit_manifest
from syncer.manifest.write import render_manifest, schema_reference
from syncer.model import DesiredLevel, DesiredState, nfc
from syncer.outputs import write_all_or_none
from syncer.plan.changes import Activate, Adjust, Deactivate, LevelRef


@dataclass
class _FileEdits:
    values: list[ValueEdit] = field(default_factory=list)
    remove: list[tuple[str, str]] = field(default_factory=list)
    add: list[LevelAdd] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DriftWrite:
    """What ``write_drift`` changed: files rewritten, values adopted, unmanaged levels."""

    files: tuple[str, ...]
    values: int
    removed: int
    unmanaged: tuple[LevelRef, ...]
    adopted: int
    #: The files whose text changed (and were written).
    written: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [f"adopted {plural(self.values, 'live value')}"]
        if self.removed:
            parts.append(f"removed {plural(self.removed, 'level')} the store does not have")
        if self.adopted:
            parts.append(f"added {plural(self.adopted, 'unmanaged level')}")
        return f"Wrote {plural(len(self.files), 'manifest file')}: " + ", ".join(parts)


def write_drift(
    result: PlanResult,
    *,
    adopt_unmanaged: str | os.PathLike[str] | None = None,
) -> DriftWrite:
    """Rewrite the manifests behind ``result`` so that they declare what the store holds."""
    if result.plan.errors:
        raise SyncerError("not writing manifests: the plan has errors (see above)")
    find = _finder(result.desired)
    edits: dict[str, _FileEdits] = {}
    removed: set[tuple[str, str]] = set()
    unmanaged: list[Deactivate] = []
    values = 0
    for change in result.plan.changes:
        if isinstance(change, Deactivate) and change.unmanaged:
            unmanaged.append(change)
            continue
        declared = find(change.level)
        if declared is None:
            continue
        target = edits.setdefault(declared.source.file, _FileEdits())
        key = (declared.location, declared.item)
        if isinstance(change, Activate) and not change.reactivation:
            target.remove.append(key)
            removed.add(key)
        elif key in removed:
            continue
        elif isinstance(change, Adjust):
            target.values.append(ValueEdit(*key, change.quantity, change.before))
            values += 1
        else:  # reactivation (live inactive) or deactivation (live active)
            target.values.append(ValueEdit(*key, "active", isinstance(change, Deactivate)))
            values += 1
    if adopt_unmanaged is not None and unmanaged:
        target = edits.setdefault(str(adopt_unmanaged), _FileEdits())
        for change in unmanaged:  # live and active: adopted with its observed `available`
            available = change.quantities.get("available", 0)
            target.add.append(LevelAdd(change.level.location, change.level.sku,
                                       {"active": True, "available": available}))
    # All files or none (a full disk must not leave one manifest cut short and another not).
    rewritten = [(file, text) for file, change in sorted(edits.items())
                 if (text := _rewrite(Path(file), change)) is not None]
    written = tuple(str(file) for file in write_all_or_none(rewritten))
    adopted = len(unmanaged) if adopt_unmanaged is not None else 0
    return DriftWrite(tuple(sorted(edits)), values, len(removed),
                      () if adopted else tuple(c.level for c in unmanaged), adopted, written)


def _finder(desired: DesiredState) -> Callable[[LevelRef], DesiredLevel | None]:
    """The declared level a change is about (manifests name levels by name or by gid, and names
    compare in NFC: a level typed in NFD is found too)."""
    by_key = {(level.location, level.item): level for level in desired.levels}
    by_nfc = {(nfc(level.location), nfc(level.item)): level for level in desired.levels}

    def find(ref: LevelRef) -> DesiredLevel | None:
        for location in (ref.location, ref.location_id):
            for item in (ref.sku, ref.item_id):
                found = by_key.get((location, item)) or by_nfc.get((nfc(location), nfc(item)))
                if found is not None:
                    return found
        return None

    return find


def _rewrite(path: Path, change: _FileEdits) -> str | None:
    """The new text of the manifest ``path`` with ``change`` made, or None when it is the same
    (nothing is written here: ``write_drift`` writes all files or none)."""
    try:
        # Bytes, decoded as they are: line endings (CRLF) and a byte order mark stay as written.
        text = path.read_bytes().decode("utf-8") if path.exists() else None
        if text is None:
            text = render_manifest(change.add[0].location, [], schema_reference(path.parent))
        new = edit_manifest(text, change.values, remove=change.remove, add=change.add,
                            file=str(path))
        if new == text:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        return new
    except OSError as exc:
        raise SyncerError(f"cannot write {path}: {exc.strerror or exc}") from None
