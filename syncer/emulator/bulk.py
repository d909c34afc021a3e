"""Bulk query operations: ``bulkOperationRunQuery``, ``bulkOperation``, ``bulkOperationCancel``.

An operation's result is written when it is created (a snapshot, to a temporary file), then its
status follows the emulator's clock: ``CREATED`` for ``startup_seconds``, ``RUNNING`` while
``objectCount`` grows at ``rows_per_second``, then ``COMPLETED`` with ``url`` (served by the
emulator: ``GET /_emulator/bulk/N.jsonl``, no token needed, as Shopify's signed URLs need none).
At most ``max_running`` operations run at once (5 from API 2026-01 on); one more is refused with
``LIMIT_REACHED``. Faults, drawn from their own ``random.Random(seed)`` so they never shift the
request faults: ``fail`` (the operation stops part-way, ``FAILED`` with an ``errorCode``) and
``drop`` (a download is cut off half-way). Costs are the ordinary ones: the run mutation 10
points, a ``bulkOperation`` poll 1; the bulk query itself is not charged.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql import GraphQLError

from syncer.emulator.bulkquery import fast_lines, generic_lines
from syncer.emulator.bulkrules import BulkQueryError, check
from syncer.emulator.connections import connection, search

PATH_PREFIX = "/_emulator/bulk/"
ERROR_CODES = ("INTERNAL_SERVER_ERROR", "TIMEOUT")
CHUNK = 1 << 16
GID = "gid://shopify/BulkOperation/"
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # one encoder for every line


@dataclass(frozen=True)
class BulkSettings:
    """How bulk operations run: speed, concurrency limit and faults (rates from 0 to 1)."""

    rows_per_second: float = 2000.0
    startup_seconds: float = 1.0
    max_running: int = 5
    fail: float = 0.0
    drop: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.rows_per_second > 0 or self.startup_seconds < 0 or self.max_running < 1:
            raise ValueError("rows_per_second must be > 0, startup_seconds >= 0, "
                             "max_running >= 1")
        if not (0 <= self.fail <= 1 and 0 <= self.drop <= 1):
            raise ValueError("fail and drop are rates from 0 to 1")


@dataclass
class _View:
    status: str
    objects: int
    finished: float | None


class Operation:
    """One bulk query: its result file and its timeline on the emulator's clock."""

    def __init__(self, number: int, query: str, created: float, created_wall: float,
                 lines: Iterator[dict], settings: BulkSettings, failure: tuple | None,
                 instant: bool = False) -> None:
        self.number, self.query = number, query
        self.created, self.created_wall = created, created_wall
        # ``instant`` timing: no start-up, and the export takes no time (it is done when the
        # operation is created, as the file is written then anyway).
        self.rate = math.inf if instant else settings.rows_per_second
        self.start = created if instant else created + settings.startup_seconds
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the operation)
        weakref.finalize(self, self.file.close)
        self.total = self.roots = 0
        batch: list[str] = []
        for obj in lines:
            batch.append(_ENCODE(obj))
            self.roots += "__parentId" not in obj
            if len(batch) == 4096:
                self._write(batch)
        self._write(batch)
        self.file.flush()
        self.size = self.file.tell()
        self.error_code, fraction = failure or (None, 1.0)
        self.limit = math.floor(self.total * fraction) if self.error_code else self.total
        self.canceled: float | None = None

    def _write(self, lines: list[str]) -> None:
        if lines:
            self.file.write(("\n".join(lines) + "\n").encode())
            self.total += len(lines)
            lines.clear()

    @property
    def gid(self) -> str:
        return f"{GID}{self.number}"

    def view(self, now: float) -> _View:
        end = self.start + self.limit / self.rate
        stop = min(end, self.canceled) if self.canceled is not None else end
        at = min(now, stop)
        done = self.limit if at >= end else \
            max(0, min(self.limit, math.floor((at - self.start) * self.rate)))
        if now < self.start and (self.canceled is None or now < self.canceled):
            return _View("CREATED", 0, None)
        if self.canceled is not None and self.canceled < end:
            settled = now >= self.canceled + 1.0
            return _View("CANCELED" if settled else "CANCELING", done,
                         self.canceled + 1.0 if settled else None)
        if now < end:
            return _View("RUNNING", done, None)
        return _View("FAILED" if self.error_code else "COMPLETED", self.limit, end)

    def chunks(self, cut: bool) -> Iterator[bytes]:
        """The file in chunks; ``cut`` stops half-way with ``ConnectionResetError``."""
        stop = self.size // 2 if cut else self.size
        sent = 0
        while sent < stop:
            data = os.pread(self.file.fileno(), min(CHUNK, stop - sent), sent)
            if not data:
                raise OSError("the bulk result file is shorter than written")
            sent += len(data)
            yield data
        if cut:
            raise ConnectionResetError("emulator fault: the bulk result download was cut off")


class Bulk:
    """The shop's bulk operations (in memory only; not saved in the state file)."""

    def __init__(self, clock, wall: Callable[[], float], settings: BulkSettings | None = None,
                 instant: bool = False):
        self.clock, self.wall = clock, wall
        # The emulator's ``instant`` timing: operations complete when created, whatever the
        # settings' speed (``configure`` does not change it).
        self.instant = instant
        self.base_url = "http://emulator.invalid"
        self.operations: dict[int, Operation] = {}
        self.downloads = 0
        self.configure(settings or BulkSettings())
        self._lock = threading.Lock()

    def configure(self, settings: BulkSettings) -> None:
        """Use ``settings`` from now on (a fresh fault rng from its seed)."""
        self.settings = settings
        self._rng = random.Random(settings.seed)

    def running(self) -> list[Operation]:
        now = self.clock.now()
        return [op for op in self.operations.values()
                if op.view(now).status in ("CREATED", "RUNNING", "CANCELING")]

    def run_query(self, schema, store, query: str, now_iso: str) -> dict:
        """``bulkOperationRunQuery``'s payload source."""
        busy = self.running()
        if len(busy) >= self.settings.max_running:
            return _refused(f"A maximum of {self.settings.max_running} bulk query operations can "
                            "run at the same time; wait for one to finish or cancel one.",
                            "LIMIT_REACHED", None)
        failure = None
        if self._rng.random() < self.settings.fail:
            failure = (self._rng.choice(ERROR_CODES), self._rng.uniform(0.1, 0.9))
        number = len(self.operations) + 1
        try:
            document = check(schema, query)
            lines = fast_lines(schema, document, store)
            if lines is None:
                lines = generic_lines(schema, document, store, now_iso)
            op = Operation(number, query, self.clock.now(), self.wall(), lines,
                           self.settings, failure, self.instant)
        except BulkQueryError as exc:
            return _refused(str(exc), "INVALID", ["query"])
        except GraphQLError as exc:
            return _refused(f"Invalid bulk query: {exc.message}", "INVALID", ["query"])
        self.operations[number] = op
        return {"bulkOperation": op, "userErrors": []}

    def cancel(self, gid: str) -> dict:
        """``bulkOperationCancel``'s payload source."""
        op = self.get(gid)
        if op is None:
            return {"bulkOperation": None,
                    "userErrors": [_error("Bulk operation does not exist", ["id"])]}
        status = op.view(self.clock.now()).status
        if status not in ("CREATED", "RUNNING"):
            return {"bulkOperation": op, "userErrors": [_error(
                f"A bulk operation cannot be canceled when it is {status.lower()}", ["id"])]}
        op.canceled = self.clock.now()
        return {"bulkOperation": op, "userErrors": []}

    def get(self, gid: object) -> Operation | None:
        if not isinstance(gid, str) or not gid.startswith(GID) or not gid[len(GID):].isdigit():
            return None
        return self.operations.get(int(gid[len(GID):]))

    def url(self, op: Operation) -> str:
        return f"{self.base_url}{PATH_PREFIX}{op.number}.jsonl"

    def open(self, path: str) -> tuple[int, Iterator[bytes]] | None:
        """``(size, chunks)`` of a completed operation's result at ``path``, or None (404).

        The chunks may stop half-way with ``ConnectionResetError`` (the ``drop`` fault).
        """
        name = path.split("?", 1)[0]
        if not name.startswith(PATH_PREFIX) or not name.endswith(".jsonl"):
            return None
        number = name[len(PATH_PREFIX):-len(".jsonl")]
        op = self.operations.get(int(number)) if number.isdigit() else None
        if op is None or op.view(self.clock.now()).status != "COMPLETED":
            return None
        with self._lock:
            self.downloads += 1
            cut = self._rng.random() < self.settings.drop
        return op.size, op.chunks(cut)


def _error(message: str, field: list | None, code: str | None = None) -> dict:
    return {"field": field, "message": message, "code": code}


def _refused(message: str, code: str, field: list | None) -> dict:
    return {"bulkOperation": None, "userErrors": [_error(message, field, code)]}


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _view(op: Operation, info) -> _View:
    return op.view(info.context.bulk.clock.now())


def _wall(op: Operation, at: float | None) -> float | None:
    return None if at is None else op.created_wall + (at - op.created)


def _bulk(info) -> Bulk:
    return info.context.bulk


def _operations(info, query: str | None, args: dict) -> dict:
    """``bulkOperations``: the app's operations, newest first, filtered by ``status:`` (as the
    status reads now, any case), ``operation_type:`` (every operation here is a query) and
    ``id:`` terms of the search syntax."""
    bulk = _bulk(info)
    now = bulk.clock.now()
    fields = {"status": lambda op, v: op.view(now).status.lower() == v.lower(),
              "operation_type": lambda op, v: v.lower() == "query",
              "id": lambda op, v: v in (str(op.number), op.gid)}
    newest = sorted(bulk.operations.values(), key=lambda op: -op.number)
    return connection(search(newest, query, fields), lambda op: op.number, args)


RESOLVERS = {
    ("QueryRoot", "bulkOperation"): lambda _, info, id: _bulk(info).get(id),
    ("QueryRoot", "bulkOperations"): lambda _, info, query=None, sortKey="CREATED_AT", **args:
        _operations(info, query, args),
    ("Mutation", "bulkOperationRunQuery"): lambda _, info, query, groupObjects=False:
        _bulk(info).run_query(info.schema, info.context.store, query, info.context.now_iso),
    ("Mutation", "bulkOperationCancel"): lambda _, info, id: _bulk(info).cancel(id),
    ("BulkOperation", "id"): lambda op, info: op.gid,
    ("BulkOperation", "status"): lambda op, info: _view(op, info).status,
    ("BulkOperation", "errorCode"): lambda op, info:
        op.error_code if _view(op, info).status == "FAILED" else None,
    ("BulkOperation", "createdAt"): lambda op, info: _iso(op.created_wall),
    ("BulkOperation", "completedAt"): lambda op, info: _iso(_wall(op, _view(op, info).finished)),
    ("BulkOperation", "objectCount"): lambda op, info: str(_view(op, info).objects),
    ("BulkOperation", "rootObjectCount"): lambda op, info: str(
        op.roots if _view(op, info).status == "COMPLETED" else 0),
    ("BulkOperation", "fileSize"): lambda op, info:
        str(op.size) if _view(op, info).status == "COMPLETED" else None,
    ("BulkOperation", "url"): lambda op, info:
        _bulk(info).url(op) if _view(op, info).status == "COMPLETED" else None,
    ("BulkOperation", "partialDataUrl"): lambda op, info: None,
    ("BulkOperation", "query"): lambda op, info: op.query,
    ("BulkOperation", "type"): lambda op, info: "QUERY",
}
