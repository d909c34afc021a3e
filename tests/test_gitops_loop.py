"""The GitOps loop end to end, as the three CI jobs run it, in a temporary git repository.

import -> commit on main -> branch, change a manifest -> (pull request job) validate, plan with
--detailed-exitcode -o plan.json, markdown comment -> merge -> (main job) apply the reviewed plan
with --reference -> sales in the store -> (nightly job) drift --write-manifests -> commit -> the
manifests plan to no changes again. Every step runs the real `syncer` entry point.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import simulated_clock

ROOT = Path(__file__).resolve().parent.parent
SYNCER = str(Path(sys.executable).parent / "syncer")
PR_URL = "https://github.com/acme/stock/pull/7"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def syncer(repo: Path, *args: str, expect: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "SHOPIFY_"))}
    result = subprocess.run([SYNCER, *args], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == expect, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout


def sell(store: Path, item: str, location: str, units: int) -> None:
    state = json.loads(store.read_text(encoding="utf-8"))
    (level,) = [lv for lv in state["levels"] if lv["item"] == item and lv["location"] == location]
    level["quantities"]["available"] -= units
    store.write_text(json.dumps(state), encoding="utf-8")


@pytest.mark.slow(seconds=6)
def test_the_three_jobs_end_to_end(tmp_path):
    shop = tmp_path / "shop" / "store.json"  # the store (what Shopify holds)
    shop.parent.mkdir()
    shutil.copy(ROOT / "examples/quickstart/store.json", shop)
    simulated_clock(shop)  # the applies' whole-second starts take no real time
    repo = tmp_path / "repo"
    (repo / "stores/us").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "stores/us/syncer.yaml").write_text(f"store: {shop}\nreason: correction\n",
                                                encoding="utf-8")

    # start from the live store: import, and the imported manifests plan to no changes
    syncer(repo, "import", "-o", "stores/us", "--quantities", "available,damaged", expect=0)
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", expect=0)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import the store")

    # a pull request changes one level
    git(repo, "checkout", "-q", "-b", "restock")
    manifest = repo / "stores/us/warehouse-east.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "    TSHIRT-RED-M: {active: true, available: 40, damaged: 2}\n" in text
    manifest.write_text(text.replace("TSHIRT-RED-M: {active: true, available: 40",
                                     "TSHIRT-RED-M: {active: true, available: 55"),
                        encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Restock red shirts")

    # pull request job: validate, plan with the detailed exit code, comment, keep plan.json
    syncer(repo, "validate", "stores/us", expect=0)
    comment = syncer(repo, "plan", "stores/us", "--detailed-exitcode", "--format", "markdown",
                     "-o", "plan.json", "--reference", PR_URL, expect=2).stdout
    assert comment.startswith("### syncer plan")
    assert "| ~ | TSHIRT-RED-M | available 40 → 55 (+15) |" in comment
    reviewed = json.loads((repo / "plan.json").read_text(encoding="utf-8"))
    assert [c["sku"] for c in reviewed["changes"]] == ["TSHIRT-RED-M"]
    assert reviewed["reference"] == PR_URL
    (tmp_path / "artifact").mkdir()
    shutil.move(repo / "plan.json", tmp_path / "artifact/plan.json")  # uploaded, not committed

    # merge; main job: apply exactly the reviewed plan, recorded against the pull request
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "restock", "-m", "Merge #7")
    shutil.copy(tmp_path / "artifact/plan.json", repo / "plan.json")  # downloaded
    report = syncer(repo, "apply", "plan.json", "--reference", PR_URL, "--report",
                    "report.json", expect=0)
    assert report.stdout.startswith("Applied: 0 activated, 1 adjusted (+15/-0 units)")
    assert json.loads((repo / "report.json").read_text())["plan_id"] == reviewed["plan_id"]
    assert PR_URL in shop.read_text(encoding="utf-8")
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", expect=0)
    # the same reviewed plan again (a re-run job) applies nothing twice; another PR's is refused
    syncer(repo, "apply", "plan.json", "--reference", PR_URL, expect=0)
    syncer(repo, "apply", "plan.json", "--reference", PR_URL.replace("7", "8"), expect=4)
    (repo / "plan.json").unlink()
    assert not (repo / "plan.json.sent").exists()  # the apply journal is in the store
    (repo / "report.json").unlink()

    # the store moves: sales
    sell(shop, "gid://shopify/InventoryItem/1", "gid://shopify/Location/1", 5)  # RED-M 55 -> 50
    sell(shop, "gid://shopify/InventoryItem/5", "gid://shopify/Location/2", 1)  # CAP-BLUE 3 -> 2

    # nightly job: drift exits 2, writes only the drifted values, a commit for the bot's PR
    drift = syncer(repo, "drift", "stores/us", "--detailed-exitcode", "--format", "markdown",
                   "--write-manifests", expect=2)
    assert "### syncer drift" in drift.stdout
    git(repo, "checkout", "-q", "-b", "syncer/drift")
    diff = git(repo, "diff", "-U0", "--no-color")
    changed = sorted(line for line in diff.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---")))
    assert changed == [
        "+    CAP-BLUE: {active: true, available: 2, damaged: 0}",
        "+    TSHIRT-RED-M: {active: true, available: 50, damaged: 2}",
        "-    CAP-BLUE: {active: true, available: 3, damaged: 0}",
        "-    TSHIRT-RED-M: {active: true, available: 55, damaged: 2}",
    ]
    git(repo, "commit", "-q", "-am", "Adopt live inventory drift in stores/us")
    syncer(repo, "drift", "stores/us", "--detailed-exitcode", expect=0)
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", expect=0)
    assert git(repo, "status", "--porcelain") == ""
