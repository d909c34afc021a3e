"""The mutations that carry out a plan: steps, their content-derived keys and batch limits.

Steps belong to the plan stage because the saved plan holds them; the applier runs them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from syncer.plan.changes import Adjust, Change, ChangeKind, Plan
from syncer.plan.encoding import canonical_json

#: Most changes one mutation may carry (``inventoryAdjustQuantities`` input arrays).
MAX_BATCH = 250


@dataclass(frozen=True, slots=True)
class Step:
    """One mutation the applier runs: its kind, quantity name (adjusts) and the changes it carries.

    ``step_key`` is derived from the content only, so the same plan always yields the same keys.
    """

    kind: ChangeKind
    quantity: str | None
    changes: tuple[Change, ...]
    step_key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_key": self.step_key,
            "kind": self.kind.value,
            "quantity": self.quantity,
            "changes": [c.to_dict() for c in self.changes],
        }


def _step(kind: ChangeKind, quantity: str | None, changes: tuple[Change, ...]) -> Step:
    digest = hashlib.sha256(canonical_json([c.to_dict() for c in changes])).hexdigest()[:24]
    return Step(kind, quantity, changes, f"{kind.value}/{quantity or '-'}/{digest}")


def build_steps(plan: Plan) -> tuple[Step, ...]:
    """The ordered mutations for ``plan``.

    Activations first, one step per item: an item activated at two or more locations becomes one
    ``inventoryBulkToggleActivation`` (10 points instead of 10 per location), an item activated
    at one location an ``inventoryActivate``. Then one ``inventoryAdjustQuantities`` per quantity
    name and batch of at most 250 changes, then one step per deactivation.
    """
    steps: list[Step] = []
    by_item: dict[str, list[Change]] = {}
    by_name: dict[str, list[Change]] = {}
    deactivations = []
    for c in plan.changes:
        if c.kind is ChangeKind.ACTIVATE:
            by_item.setdefault(c.level.item_id, []).append(c)
        elif c.kind is ChangeKind.ADJUST:
            by_name.setdefault(cast(Adjust, c).quantity, []).append(c)
        else:
            deactivations.append(c)
    for activations in by_item.values():
        for i in range(0, len(activations), MAX_BATCH):
            steps.append(_step(ChangeKind.ACTIVATE, None, tuple(activations[i : i + MAX_BATCH])))
    for name in sorted(by_name):
        batch = by_name[name]
        for i in range(0, len(batch), MAX_BATCH):
            steps.append(_step(ChangeKind.ADJUST, name, tuple(batch[i : i + MAX_BATCH])))
    steps.extend(_step(c.kind, None, (c,)) for c in deactivations)
    return tuple(steps)
