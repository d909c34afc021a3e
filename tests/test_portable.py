"""syncer runs where merchants' teams run it: nothing Unix-only is imported at module level.

``fcntl`` exists only on Unix; importing it at module level stopped ``syncer --help`` on Windows.
Each check runs in a fresh interpreter where ``fcntl`` cannot be imported (``sys.modules``
holds None for it, which makes ``import fcntl`` raise ImportError).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WITHOUT_FCNTL = """
import sys
sys.modules["fcntl"] = None
import pkgutil, importlib, syncer
from click.testing import CliRunner
import syncer.cli
result = CliRunner().invoke(syncer.cli.cli, ["--help"])
assert result.exit_code == 0 and "Usage: " in result.output, result.output
failed = []
for module in pkgutil.walk_packages(syncer.__path__, "syncer."):
    if module.name == "syncer.__main__":  # runs the command line
        continue
    try:
        importlib.import_module(module.name)
    except ImportError as exc:
        failed.append(f"{module.name}: {exc}")
print("\\n".join(failed) or "ok")
"""


def test_every_module_imports_without_fcntl():
    result = subprocess.run([sys.executable, "-c", WITHOUT_FCNTL], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_state_file_locks_are_portable(tmp_path):
    """The locks of connect.py and the emulator are filelock's, which also works on Windows;
    they still exclude each other (both lock FILE.lock)."""
    from syncer.emulator.statelock import StateLock, StateLocked
    from syncer.engine.connect import _lock_file

    state = tmp_path / "store.json"
    state.write_text("{}")
    held = _lock_file(str(state), 0, None)
    try:
        try:
            StateLock(state)
        except StateLocked as exc:
            assert exc.holder == {"pid": __import__("os").getpid(), "holder": "syncer apply"}
        else:
            raise AssertionError("the emulator locked a file an apply holds")
    finally:
        held.close()
    StateLock(state).release()
