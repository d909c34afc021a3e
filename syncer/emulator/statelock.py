"""The state file's lock, held by ``syncer emulator`` for as long as it serves the file.

Convention (shared with syncer's ``connect.py``, which implements it on its side: the emulator
imports nothing from syncer and syncer does not borrow this for its own lock): the lock is an
exclusive ``flock`` on ``FILE.lock`` next to the state file, and its holder writes one JSON line
into that file, ``{"pid": 1234, "holder": "syncer emulator", "url": "http://..."}``, so that a
process that finds the file locked can say who holds it. The lock ends with the process.
"""

from __future__ import annotations

import json
import os
from typing import IO

LOCK_SUFFIX = ".lock"
HOLDER = "syncer emulator"


class StateLocked(Exception):
    """The state file is locked by another process; ``holder`` is what it wrote (may be {})."""

    def __init__(self, path: str, holder: dict) -> None:
        self.path = path
        self.holder = holder
        who = holder.get("holder") or "another process"
        pid = holder.get("pid")
        super().__init__(
            f"{path} is locked by {who}" + (f" (pid {pid})" if pid else "")
            + "; serve it when that process has finished, or stop it first"
        )


def read_holder(handle: IO[str]) -> dict:
    """What the lock's holder wrote into the lock file ({} if nothing readable)."""
    try:
        handle.seek(0)
        data = json.loads(handle.readline() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class StateLock:
    """An exclusive lock on ``path + '.lock'``; ``StateLocked`` at once if another holds it."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        from filelock import lock_descriptor  # portable flock (fcntl is Unix only)

        self._handle: IO[str] | None = open(self.path + LOCK_SUFFIX, "a+")  # noqa: SIM115
        try:
            if not lock_descriptor(self._handle.fileno(), blocking=False):
                raise BlockingIOError
        except BlockingIOError:
            holder = read_holder(self._handle)
            self._handle.close()
            raise StateLocked(self.path, holder) from None
        self.note()

    def note(self, **extra: str) -> None:
        """Write the holder line (pid, ``syncer emulator`` and ``extra``, e.g. the URL)."""
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps({"pid": os.getpid(), "holder": HOLDER, **extra}) + "\n")
        self._handle.flush()

    def release(self) -> None:
        """Unlock (closing the lock file releases the ``flock``)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
