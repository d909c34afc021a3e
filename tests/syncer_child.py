"""``syncer ARGS`` in a child process, for the tests that start dozens of them and kill them.

The crash and concurrency tests run ``syncer apply`` as a real process: SIGKILL at chosen
points, two processes racing for a state file's lock. A new interpreter for each run spends
0.3 s of CPU starting and importing syncer before it does anything, and those tests start
about fifty. Here each run is forked from a server process that has imported syncer already
(multiprocessing's ``forkserver``): the same command-line code, in a process of its own, with
its own pid, exit code and signals, started in milliseconds. ``SyncerProcess`` has the part of
``subprocess.Popen`` those tests use. The other tests that run syncer as a process start the
real entry point (``tests/test_gitops_loop.py``, ``tests/test_state_lock.py``,
``tests/test_ci_files.py``).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from multiprocessing.connection import wait
from pathlib import Path

_CONTEXT = multiprocessing.get_context("forkserver")
# What the server imports once, before it forks each run (this module: the child's entry).
_CONTEXT.set_forkserver_preload([__name__, "syncer.cli", "syncer.engine"])


def _main(args: list[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """The child: ``syncer ARGS`` in ``cwd`` with exactly ``env``, output to ``out``/``err``."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    from syncer.cli import cli

    cli.main(args=args, prog_name="syncer")  # exits with syncer's exit code


class SyncerProcess:
    """``syncer ARGS`` running in its own process; ``pid``, ``poll``, ``wait``, ``communicate``
    and ``returncode`` as ``subprocess.Popen`` has them (text output; -9 after SIGKILL)."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike):
        self.args = ["syncer", *map(str, args)]
        self._files = Path(tempfile.mkdtemp(prefix="syncer-child-"))
        self._out, self._err = self._files / "stdout", self._files / "stderr"
        self._output: tuple[str, str] | None = None
        # exitcode reads the status from a pipe once; the crash tests' kill hook polls from
        # the emulator's server thread while the test waits in its own.
        self._lock = threading.Lock()
        self._process = _CONTEXT.Process(
            target=_main, args=(self.args[1:], dict(env), os.fspath(cwd), str(self._out),
                                str(self._err)))
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        with self._lock:
            return self._process.exitcode

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        wait([self._process.sentinel], timeout)
        code = self.returncode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the end, then its stdout and stderr."""
        self.wait(timeout)
        if self._output is None:
            self._output = (self._out.read_text(encoding="utf-8"),
                            self._err.read_text(encoding="utf-8"))
            for path in (self._out, self._err):
                path.unlink()
            self._files.rmdir()
        return self._output
