"""What the applier sends: its options, one attempt (a step or the rest of one, with its key),
the order of phases, and the store's error codes it acts on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from syncer.apply.results import Rebase, StepResult
from syncer.model import SafetyLimits
from syncer.plan.changes import Change, ChangeKind
from syncer.shopify import documents

STALE = "CHANGE_FROM_QUANTITY_STALE"
CONCURRENT = "IDEMPOTENCY_CONCURRENT_REQUEST"
MISMATCH = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
#: The key's earlier attempt failed, so nothing landed under it (the enum is in every version;
#: 2026-10 is known to answer it for inventorySetQuantities). Classified like a stale answer.
PREVIOUS_FAILED = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
#: Resubmissions of one step after stale CAS before its changes count as conflicts.
MAX_RESUBMITS = 3
#: Waits for another process that holds the same idempotency key.
MAX_CONCURRENT_WAITS = 5

@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """How to apply: the adjust reason and reference, rebase on conflicts, and limits for it."""

    #: Reason and reference of every quantity change; None: the plan's (``PlanMeta``).
    reason: str | None = None
    reference: str | None = None
    rebase: bool = False
    force: bool = False
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    #: Mutation fields per request; the most the 1000-point limit allows (less the apply
    #: journal's field) unless told fewer.
    fields_per_request: int = documents.MAX_FIELDS_PER_REQUEST - 1


@dataclass(slots=True)
class Attempt:
    """One mutation field to send: a step (or the rest of one) with its key."""

    result: StepResult
    changes: tuple[Change, ...]
    key: str
    #: Which of the step's changes it carries (their indexes in ``result.step.changes``).
    indexes: tuple[int, ...]
    resubmits: int = 0
    waits: int = 0
    #: Changes of this attempt rebased onto live values (sent under a rebase key).
    rebases: tuple[Rebase, ...] = ()
    #: Sent again exactly as an earlier run sent it, whose answer never came back: a stale
    #: answer now says nothing of that earlier execution.
    uncertain: bool = False
    #: This execution in the apply journal: (record number, position), once sent.
    execution: tuple[int, int] = (-1, -1)

    @property
    def field_kind(self) -> str:
        kind = self.result.step.kind
        if kind is ChangeKind.ACTIVATE:
            return "bulk_toggle" if len(self.changes) > 1 else "activate"
        return str(kind.value)


# Activations and adjusts share requests (fields run in order, so a level is activated before
# its first adjust); deactivations go last, in requests of their own, so none runs after a
# conflict or failure in the same request.
PHASES = ((ChangeKind.ACTIVATE, ChangeKind.ADJUST), (ChangeKind.DEACTIVATE,))

Log = Callable[[str], None]
Progress = Callable[[int, int], None]  # (steps finished, units moved so far)
