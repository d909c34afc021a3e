"""syncer installs as users install a CLI: the built wheel, alone in a clean venv, runs the
quickstart, and serves and plans over HTTP with client credentials.

The wheel is built from this tree (hatchling from the test environment, ``--no-build-isolation``)
into conftest's ``wheelhouse`` with its dependencies at the same pinned versions as the tests'.
The commands run outside the repository, so nothing is imported from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import pip_for

ROOT = Path(__file__).resolve().parent.parent
SECRET = "shpss_WheelTestSecret0123456789abcdef"


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600,
                          **kwargs)


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheelhouse):
    """``(venv bin folder, wheel path)``: the wheel built from this tree, installed alone (with
    its dependencies, from conftest's ``wheelhouse``) in a venv made from the base interpreter."""
    (wheel,) = wheelhouse.glob("shopify_syncer-*.whl")
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    made = _run([Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    done = _run([*pip_for(venv / "bin" / "python"), "install", "-q", "--no-index",
                 "--find-links", wheelhouse, "-c", ROOT / "constraints.txt", wheel])
    assert done.returncode == 0, done.stderr
    return venv / "bin", wheel


@pytest.mark.slow(seconds=15)
def test_the_wheel_is_shopify_syncer_with_the_syncer_command_and_its_data(installed):
    bin_dir, wheel = installed
    assert wheel.name.startswith("shopify_syncer-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("syncer/schemas/manifest.schema.json", "syncer/emulator/state.schema.json",
                   "syncer/emulator/schema.graphql", "syncer/shopify/sdl/admin-2026-04.graphql",
                   "syncer/shopify/sdl/admin-2026-07.graphql",
                   "syncer/shopify/sdl/admin-2026-10.graphql"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "\nName: shopify-syncer\n" in text
    assert "Requires-Dist: gql[requests]<5,>=4.4" in text
    where = _run([bin_dir / "python", "-c", "import syncer; print(syncer.__file__)"],
                 cwd=bin_dir)
    assert "site-packages" in where.stdout, where.stdout


@pytest.mark.slow(seconds=20)
def test_the_installed_wheel_runs_the_quickstart(installed, tmp_path):
    bin_dir, _ = installed
    shutil.copytree(ROOT / "examples" / "quickstart", tmp_path / "quickstart")
    shutil.copy(tmp_path / "quickstart" / "store.json", tmp_path / "store.json")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHOPIFY_", "SYNCER_", "PYTHON"))}
    env["SYNCER_STORE"] = str(tmp_path / "store.json")
    syncer = bin_dir / "syncer"

    def run(*args):
        return _run([syncer, *args], cwd=tmp_path, env=env)

    validated = run("validate", "quickstart")
    assert (validated.returncode, validated.stdout) == (0, "1 file, 1 location, 5 levels: valid\n")
    plan = run("plan", "quickstart", "-o", "plan.json")
    assert plan.returncode == 0, plan.stderr
    assert "Plan: 2 to activate, 3 to adjust (+40/-2 units), 1 to deactivate." in plan.stdout
    applied = run("apply", "plan.json")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("Applied: 2 activated, 3 adjusted (+40/-2 units), "
                                     "1 deactivated")
    again = run("plan", "quickstart", "--detailed-exitcode")
    assert again.returncode == 0, again.stderr
    assert "No changes. The store matches the manifests." in again.stdout


@pytest.mark.slow(seconds=15)
def test_the_installed_wheel_serves_and_plans_over_http_with_client_credentials(installed,
                                                                                 tmp_path):
    bin_dir, _ = installed
    state = json.loads((ROOT / "examples" / "quickstart" / "store.json").read_text())
    state["apps"] = [{"client_id": "cid", "client_secret": SECRET,
                      "scopes": ["read_inventory", "read_locations"]}]
    (tmp_path / "store.json").write_text(json.dumps(state))
    shutil.copy(ROOT / "examples" / "quickstart" / "inventory.yaml", tmp_path)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHOPIFY_", "SYNCER_", "PYTHON"))}
    server = subprocess.Popen([bin_dir / "syncer", "emulator", "--state", "store.json"],
                              cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()  # printed once it listens
        assert line.startswith("Shopify emulator listening on "), line
        url = line.split(" on ", 1)[1].split()[0]
        plan = _run([bin_dir / "syncer", "plan", "inventory.yaml", "--store", url], cwd=tmp_path,
                    env={**env, "SHOPIFY_CLIENT_ID": "cid", "SHOPIFY_CLIENT_SECRET": SECRET})
        assert plan.returncode == 0, plan.stderr
        assert "Plan: 2 to activate, 3 to adjust" in plan.stdout
        assert SECRET not in plan.stdout + plan.stderr
    finally:
        server.terminate()
        server.communicate(timeout=30)
