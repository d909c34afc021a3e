"""The store's user errors on an apply mutation, put on the change each one is about.

A user error's ``field`` is a path into the mutation's arguments: ``inventoryItemUpdates.1.
locationId`` (a bulk toggle) or ``input.changes.1.delta`` (an adjust) is about the second change
the mutation carried, so the report names that level, not the step's first one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from syncer.plan.changes import Change

#: The list argument of each mutation whose index in a user error's ``field`` is a change.
_LISTS = ("inventoryItemUpdates", "changes")


def change_at(path: Iterable[object] | None, changes: Sequence[Change]) -> Change | None:
    """The change a user error's ``field`` path names: ``inventoryItemUpdates.1`` (a bulk
    toggle) or ``input.changes.1`` (an adjust) is the second change sent; a path without an
    index names the only change of a one-change mutation, or none."""
    parts = [str(p) for p in path or ()]
    for name, index in zip(parts, parts[1:], strict=False):
        if name in _LISTS and index.isdigit():
            return changes[int(index)] if int(index) < len(changes) else None
    return changes[0] if parts and len(changes) == 1 else None


def user_error_text(error: Mapping[str, Any], change: Change | None) -> str:
    code = error.get("code")
    where = ".".join(str(p) for p in error.get("field") or ())
    if change is not None and len(where.split(".")) > 1:
        where += f" ({change.level.location} / {change.level.sku})"
    text = error.get("message") or "(no message)"
    return "".join([f"{code}: " if code else "", f"{where}: " if where else "", text])
