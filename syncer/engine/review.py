"""What changed since review: the reviewed plan beside a fresh plan, level by level.

When ``apply`` of a saved plan meets a conflict (the store moved since the plan), the operator
decides between ``--rebase`` and a new plan. The engine plans the same manifests again; this
module lets deepdiff compare the two plans' changes level by level and quantity by quantity
(``threshold_to_diff_deeper=0``: deepdiff never replaces the whole comparison by one "the root
changed" when few levels overlap), so every level whose planned change differs (a moved
``before``, a new or vanished change) is shown with both versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from syncer.plan.changes import Activate, Adjust, Change, Plan


@dataclass(frozen=True, slots=True)
class LevelDifference:
    """One level whose planned change is not the same in both plans ("" when none planned)."""

    level: str
    reviewed: str
    fresh: str


def compare_plans(reviewed: Plan, fresh: Plan, landed: Iterable[Change] = ()) -> list[
        LevelDifference]:
    """The levels whose changes differ between ``reviewed`` and ``fresh``, in level order.

    ``landed`` are reviewed changes the apply made before it stopped: a fresh plan no longer
    has them, and they are not news, so they are left out of the comparison.
    """
    done = {_identity(change) for change in landed}
    old = _by_level([c for c in reviewed.changes if _identity(c) not in done])
    new = _by_level(fresh.changes)
    # imported here: deepdiff pulls in numpy when that is installed, 0.1 s on every command
    from deepdiff import DeepDiff

    # Level by level and quantity by quantity, at any overlap: with the default threshold
    # deepdiff reports the root as one change when under a third of the keys overlap, and
    # affected_root_keys is then empty.
    diff = DeepDiff(old, new, ignore_order=False, threshold_to_diff_deeper=0, view="tree")
    levels = sorted({str(item.path(output_format="list")[0])
                     for items in diff.values() for item in items})
    return [LevelDifference(level, _describe(old.get(level)), _describe(new.get(level)))
            for level in levels]


def _identity(change: Change) -> tuple[Any, ...]:
    return (change.level.key, change.kind, getattr(change, "quantity", None))


def _by_level(changes: Sequence[Change]) -> dict[str, dict[str, Any]]:
    """``{"Location / SKU": {"activate": ..., "available": [before, after], ...}}``."""
    levels: dict[str, dict[str, Any]] = {}
    for change in changes:
        entry = levels.setdefault(f"{change.level.location} / {change.level.sku}", {})
        if isinstance(change, Adjust):
            entry[change.quantity] = [change.before, change.after]
        elif isinstance(change, Activate):
            entry["activate"] = "reactivate" if change.reactivation else "activate"
        else:
            entry["deactivate"] = "deactivate"
    return levels


def _describe(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "no change"
    parts = []
    for name, value in entry.items():
        if isinstance(value, list):
            before, after = value
            parts.append(f"{name} {before} -> {after} ({after - before:+d})")
        else:
            parts.append(value)
    return ", ".join(parts)


def render_since_review(differences: list[LevelDifference] | None, plan_id: str) -> str:
    """Text for the operator, ending with the two ways forward."""
    if differences is None:
        return ("What changed since review: the plan's manifests are not here; pass "
                "--manifests to compare the reviewed plan with a fresh one.\n")
    if not differences:
        return ("What changed since review: a fresh plan has the same changes; the store moved "
                "and moved back. Run the plan again to finish.\n")
    width = max(len(d.level) for d in differences)
    lines = [f"What changed since review (reviewed plan {plan_id} vs a fresh plan now):"]
    for d in differences:
        lines.append(f"  {d.level:<{width}}  reviewed: {d.reviewed}")
        lines.append(f"  {'':<{width}}  now:      {d.fresh}")
    lines.append(f"{len(differences)} level{'s differ' if len(differences) != 1 else ' differs'}. "
                 "Apply with --rebase to keep the reviewed targets, or make and review a new "
                 "plan.")
    return "\n".join(lines) + "\n"
