"""Issue 12 item 4: ``syncer emulator --state FILE`` holds FILE's lock while it serves it, and a
file-store apply on FILE is refused naming the emulator's pid (it would lose writes otherwise).

The emulator imports nothing from syncer, so the lock convention (``FILE.lock``, ``flock``, one
JSON line naming the holder) is implemented twice: these tests hold one side and try the other.
"""

import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from reliability_helpers import ROOT, cli_env

from syncer import engine
from syncer.cli import cli
from syncer.emulator.statelock import StateLock, StateLocked
from syncer.errors import StoreError

STATE = {"shop": "lock-test.myshopify.com",
         "locations": [{"id": "gid://shopify/Location/1", "name": "East"}],
         "items": [{"id": "gid://shopify/InventoryItem/1", "sku": "SKU-1"}],
         "levels": [{"id": 1, "item": "gid://shopify/InventoryItem/1",
                     "location": "gid://shopify/Location/1", "active": True,
                     "quantities": {"available": 3}}]}


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(STATE))
    return path


def test_an_apply_is_refused_while_the_emulator_holds_the_file(store):
    lock = StateLock(store)
    lock.note(url="http://127.0.0.1:8787")
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            engine.connect(str(store), lock=True, lock_timeout=30)
        assert time.monotonic() - started < 5  # refused at once, not after the timeout
        message = str(caught.value)
        assert f"is being served by syncer emulator (pid {os.getpid()})" in message
        # the advice works for a saved plan made against the file too: --store URL alone
        # would be refused as another store
        assert message.endswith(
            f"stop the emulator (kill {os.getpid()}) and run this again, or plan and apply "
            "through the emulator with --store http://127.0.0.1:8787 (a plan made against the "
            "file applies only to the file)")
    finally:
        lock.release()
    engine.connect(str(store), lock=True, lock_timeout=1).close()


def test_the_emulator_refuses_a_file_an_apply_holds(store):
    held = engine.connect(str(store), lock=True)
    try:
        with pytest.raises(StateLocked, match=rf"locked by syncer apply \(pid {os.getpid()}\)"):
            StateLock(store)
        result = CliRunner().invoke(cli, ["emulator", "--state", str(store)])
        assert result.exit_code == 1
        assert f"locked by syncer apply (pid {os.getpid()})" in result.output
    finally:
        held.close()
    StateLock(store).release()


def test_a_served_state_file_refuses_an_apply_by_another_process(store, tmp_path):
    """End to end: `syncer emulator --state FILE` in one process, `syncer plan`/`apply --store
    FILE` in another; the apply names the emulator's pid, and the file is not written."""
    server = subprocess.Popen(
        [sys.executable, "-m", "syncer", "emulator", "--state", str(store)], cwd=ROOT,
        env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stderr.readline()
        assert "listening on" in banner, banner
        manifest = tmp_path / "inventory.yaml"
        manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n"
                            "  East:\n    SKU-1: {active: true, available: 9}\n")
        before = store.read_bytes()
        result = subprocess.run(
            [sys.executable, "-m", "syncer", "apply", str(manifest), "--store", str(store),
             "--auto-approve"], cwd=ROOT, env=cli_env(), capture_output=True, text=True,
            timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"is being served by syncer emulator (pid {server.pid})" in result.stderr
        assert store.read_bytes() == before
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
