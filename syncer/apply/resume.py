"""What a run sends after what earlier runs of its plan did (the apply journal, ``journal.py``):
values in, values out, no I/O.

For each step (``resume_step``): the changes some execution landed are done
(``earlier_executions``); an execution whose answer never came back is settled from the re-read
levels (``settle``); the changes no execution carried are sent (``fresh_attempt``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Set
from dataclasses import dataclass

from syncer.apply.attempts import Attempt
from syncer.apply.classify import Levels, at_start, at_target, derived_key, landed_or_unknown
from syncer.apply.journal import LANDED, Journal, Sent
from syncer.apply.results import Conflict, Rebase, StepResult
from syncer.plan.changes import Adjust, Change


@dataclass(frozen=True, slots=True)
class Settled:
    """An earlier execution whose answer never came back, settled: the step's changes now known
    to have landed (``landed``, indexes), those reported already applied, those unknown for good,
    or the very same attempt to send ``again``."""

    landed: tuple[int, ...] = ()
    already: tuple[Change, ...] = ()
    unknown: tuple[Conflict, ...] = ()
    again: Attempt | None = None


@dataclass(frozen=True, slots=True)
class Resumed:
    """Where a step stands after the journal: its uncertain executions settled (in order), or
    ``unreadable`` when their levels could not be re-read (none is sent); the changes known to
    have landed, in the step's order; the attempts this run sends for it."""

    settled: tuple[Settled, ...] = ()
    unreadable: bool = False
    landed: tuple[Change, ...] = ()
    attempts: tuple[Attempt, ...] = ()


def resume_step(result: StepResult, journal: Journal, live: Levels | None,
                plan_id: str) -> Resumed:
    """Resume one step from the journal and the re-read levels of its uncertain executions
    (``live``; None: they could not be read)."""
    landed, maybe = earlier_executions(journal, result.index)
    held = set(landed)
    settled: list[Settled] = []
    for sent in maybe:
        held.update(sent.changes)
        if live is not None:
            settled.append(settle(result, sent, landed, live))
            landed.update(settled[-1].landed)
    again = [s.again for s in settled if s.again is not None]
    fresh = fresh_attempt(result, held, plan_id)
    return Resumed(tuple(settled), live is None and bool(maybe),
                   tuple(result.step.changes[i] for i in sorted(landed)),
                   tuple(again + ([fresh] if fresh is not None else [])))


def uncertain_changes(result: StepResult, journal: Journal) -> list[Change]:
    """The step's changes that executions without an answer carried (their levels are re-read)."""
    _landed, maybe = earlier_executions(journal, result.index)
    return [result.step.changes[i] for s in maybe for i in s.changes]


def earlier_executions(journal: Journal, step: int) -> tuple[set[int], list[Sent]]:
    """The indexes of the step's changes an earlier execution landed, and the executions whose
    answers never came back that carried a change not known to have landed (each once)."""
    landed: set[int] = set()
    uncertain: dict[tuple[str, tuple[int, ...], tuple[int, ...] | None], Sent] = {}
    for sent, answer in journal.executions_of(step):
        if answer == LANDED:
            landed.update(sent.changes)
        elif answer is None:
            uncertain[(sent.key, sent.changes, sent.befores)] = sent
    return landed, [s for s in uncertain.values() if not set(s.changes) <= landed]


def settle(result: StepResult, sent: Sent, landed: Set[int], live: Levels) -> Settled:
    """An earlier execution whose answer never came back. If every change not known to have
    landed is at its target, it is done. If every level of it is back where it was sent from,
    sending it again could apply it twice (in a store that runs a repeated key again): each
    change is at its target or unknown for good. Otherwise the same attempt is sent again (same
    key, same values): a store that replays keys answers with the original result; one that runs
    it again is stopped by compare-and-set."""
    step = result.step
    changes = [step.changes[i] for i in sent.changes]
    if sent.befores is not None:  # a rebase: sent from the live values of that run
        changes = [dataclasses.replace(c, before=b) if isinstance(c, Adjust) else c
                   for c, b in zip(changes, sent.befores, strict=True)]
    rest = [c for i, c in zip(sent.changes, changes, strict=True) if i not in landed]
    if all(at_target(live, c) for c in rest):  # reported with the step's landed changes
        return Settled(landed=sent.changes)
    if all(at_start(live, c) for c in changes):
        already, unknown = landed_or_unknown(rest, live)
        return Settled(already=already, unknown=unknown)
    rebases = () if sent.befores is None else tuple(
        Rebase(o, c) for o, c in zip((step.changes[i] for i in sent.changes), changes, strict=True)
        if isinstance(o, Adjust) and isinstance(c, Adjust) and c.before != o.before)
    return Settled(again=Attempt(result, tuple(changes), sent.key, sent.changes,
                                 rebases=rebases, uncertain=True))


def fresh_attempt(result: StepResult, held: Set[int], plan_id: str) -> Attempt | None:
    """The attempt of the step's changes no earlier execution carried (``held``), if any: under
    the step's key when it is the whole step, else under a key derived from its changes."""
    changes = result.step.changes
    fresh = tuple(i for i in range(len(changes)) if i not in held)
    if not fresh:
        return None
    key = result.key if len(fresh) == len(changes) else derived_key(
        plan_id, result.step, [changes[i] for i in fresh])
    return Attempt(result, tuple(changes[i] for i in fresh), key, fresh)
