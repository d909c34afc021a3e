"""The apply journal: what every run of a plan sent and what the store answered, kept in the
store itself, so that every run of the plan sees it, on any machine, with or without files.

Where it lives: app-owned metafields on the shop, in a namespace of the plan's own
(``$app:syncer-<plan_id>``), one metafield per apply request (key ``<run>-<n>``). A request's
record is written by a ``metafieldsSet`` field placed *after* its inventory fields in the same
request. Shopify runs a request's mutation fields in order, so a record exists exactly when the
request ran: a request that never reached the store, or was refused whole (THROTTLED, HTTP 5xx
before it ran), leaves no record, and nothing of it ran.

What a record holds: the attempts the request carried (idempotency key, step, which of the
step's changes, and for a rebase the live values it was sent from), and the answers this run
had received by then to its earlier requests, each naming the execution it answers (record
number and position): ``landed`` or ``not_applied`` (a stale compare-and-set is definite:
nothing in that mutation applied). A request the transport sent again after a lost answer ran
once or twice under one record, so only ``landed`` is recorded for it. A run ends with a
record of its last answers (``<run>-end``). So a later run knows, for every change, one of:

* landed (some execution carrying it was answered ``landed``): already applied, never sent
  again;
* definitely not applied, or never sent: sent normally; a stale answer is a real conflict, and
  ``--rebase`` may recompute it;
* *uncertain*: an execution carrying it ran, and its answer never came back. It is never
  rebased. The level is re-read: at the target it is done; where every level of that attempt
  is back at the value it was sent from, its outcome is unknown for good (sending it again
  could apply it twice in a store that runs a repeated key again); otherwise the very same
  attempt is sent again (same key, same values): a store that replays keys answers with the
  original result, and one that runs it again is stopped by compare-and-set.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncer.errors import StoreError

VERSION = 1
LANDED = "landed"
NOT_APPLIED = "not_applied"
#: Records larger than this are split (JSON metafields hold 128 KB from 2026-04).
MAX_RECORD_BYTES = 96 * 1024


def namespace(plan_id: str) -> str:
    """The app-owned metafield namespace of one plan's journal."""
    return f"$app:syncer-{plan_id}"


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt as recorded: its key, its step (index in the plan's steps), the indexes of
    the step's changes it carried, and for a rebase the values it was sent from."""

    key: str
    step: int
    changes: tuple[int, ...]
    befores: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if list(self.changes) != sorted(self.changes):
            raise ValueError("an attempt's changes are kept in the step's order")

    def to_json(self, whole: int) -> dict[str, Any]:
        data: dict[str, Any] = {"k": self.key, "s": self.step}
        if self.changes != tuple(range(whole)):
            data["c"] = _ranges(self.changes)
        if self.befores is not None:
            data["b"] = list(self.befores)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], sizes: Sequence[int]) -> Sent:
        step = data["s"]
        if not isinstance(step, int) or not 0 <= step < len(sizes):
            raise ValueError(f"step {step!r} is not one of the plan's")
        changes = _unranges(data["c"]) if "c" in data else tuple(range(sizes[step]))
        if any(not 0 <= i < sizes[step] for i in changes):
            raise ValueError("a change index is outside its step")
        befores = data.get("b")
        if befores is not None:
            befores = tuple(int(b) for b in befores)
            if len(befores) != len(changes):
                raise ValueError("a rebase records one value per change")
        return cls(str(data["k"]), step, changes, befores)


#: One execution of an attempt: (run, record number, position in the record).
Execution = tuple[str, int, int]


@dataclass
class Journal:
    """What the records of one plan say, from every run of it."""

    sent: dict[Execution, Sent] = field(default_factory=dict)
    answers: dict[Execution, str] = field(default_factory=dict)
    runs: set[str] = field(default_factory=set)

    @classmethod
    def from_values(cls, values: Iterable[str], sizes: Sequence[int]) -> Journal:
        """Parse the metafield values; ``sizes``: the number of changes of each plan step.

        Raises ``StoreError`` on a record it cannot read: a run that cannot tell what an earlier
        run sent must not guess that it sent nothing.
        """
        journal = cls()
        for value in values:
            try:
                data = json.loads(value)
                if data.get("v") != VERSION:
                    raise ValueError(f"version {data.get('v')!r}")
                run = str(data["run"])
                journal.runs.add(run)
                n = int(data["n"])
                for i, raw in enumerate(data.get("sent", [])):
                    journal.sent[(run, n, i)] = Sent.from_json(raw, sizes)
                for m, i, answer in data.get("answers", []):
                    if answer not in (LANDED, NOT_APPLIED):
                        raise ValueError(f"answer {answer!r}")
                    journal.answers[(run, int(m), int(i))] = answer
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise StoreError(
                    "the apply journal this plan keeps in the store has a record syncer cannot "
                    f"read ({exc}); it was not written by this version of syncer. Make a new "
                    "plan (a new plan has a journal of its own)") from None
        return journal

    def executions_of(self, step: int) -> list[tuple[Sent, str | None]]:
        """Every execution of the step's attempts, with its answer (None: never came back)."""
        return [(s, self.answers.get(e)) for e, s in self.sent.items() if s.step == step]


class JournalWriter:
    """The records of one run: one per request, then the closing one."""

    def __init__(self, shop_id: str, plan_id: str, sizes: Sequence[int]) -> None:
        self.shop_id = shop_id
        self.namespace = namespace(plan_id)
        self.run = secrets.token_hex(4)
        self.sizes = sizes
        self._n = 0
        self._answers: list[tuple[int, int, str]] = []
        #: Attempts sent whose record the store has not confirmed (put in the closing record,
        #: with the executions they were).
        self._unconfirmed: list[tuple[int, int, Sent]] = []

    @property
    def next_record(self) -> int:
        """The number of the next request's record (an execution is ``(it, position)``)."""
        return self._n

    def answer(self, execution: tuple[int, int], answer: str) -> None:
        self._answers.append((*execution, answer))

    def record(self, sent: Sequence[Sent]) -> tuple[list[dict[str, str]], int]:
        """The ``metafieldsSet`` input of the next request's record, and its size in bytes."""
        value = self._value(self._n, sent, self._answers)
        return [self._metafield(f"{self.run}-{self._n}", value)], len(value.encode())

    def recorded(self, sent: Sequence[Sent], confirmed: bool) -> None:
        """The request ran; ``confirmed``: its record's field answered without error."""
        if confirmed:
            self._answers = []
        else:
            self._unconfirmed += [(self._n, i, s) for i, s in enumerate(sent)]
        self._n += 1

    def lost(self) -> None:
        """The request failed without an answer: its record exists exactly if it ran, so its
        attempts stay out of the closing record (which would say they ran), and the answers it
        carried go into the closing record again."""
        self._n += 1

    def closing(self) -> list[dict[str, str]] | None:
        """The closing record (answers since the last record), or None when there are none."""
        if not self._answers and not self._unconfirmed:
            return None
        values = [self._metafield(f"{self.run}-end", self._value(-1, [], self._answers))]
        by_record: dict[int, list[Sent]] = {}
        for n, _i, sent in self._unconfirmed:  # their records again, under keys of their own
            by_record.setdefault(n, []).append(sent)
        values += [self._metafield(f"{self.run}-{n}r", self._value(n, sent, []))
                   for n, sent in by_record.items()]
        return values

    def closed(self) -> None:
        self._answers, self._unconfirmed = [], []

    def _value(self, n: int, sent: Sequence[Sent], answers: Sequence[tuple[int, int, str]]) -> str:
        data = {"v": VERSION, "run": self.run, "n": n,
                "sent": [s.to_json(self.sizes[s.step]) for s in sent],
                "answers": [list(a) for a in answers]}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    def _metafield(self, key: str, value: str) -> dict[str, str]:
        return {"ownerId": self.shop_id, "namespace": self.namespace, "key": key,
                "type": "json", "value": value}


def _ranges(indexes: Sequence[int]) -> str:
    """``0-3,5,7-9``: the indexes (sorted) as ranges, compact for a large step.

    >>> _ranges([0, 1, 2, 3, 5, 7, 8, 9])
    '0-3,5,7-9'
    """
    parts: list[str] = []
    run: list[int] = []
    for i in sorted(indexes):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [i]
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(parts)


def _unranges(text: str) -> tuple[int, ...]:
    """The inverse of ``_ranges``.

    >>> _unranges("0-3,5")
    (0, 1, 2, 3, 5)
    """
    found: list[int] = []
    for part in str(text).split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        found += range(int(first), int(last or first) + 1)
    return tuple(found)
