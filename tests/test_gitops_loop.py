"""The GitOps loop end to end, as the CI jobs run it, in a temporary git repository.

import -> commit on main -> branch, change a manifest -> (pull request job) validate, plan with
--detailed-exitcode -o plan.json, markdown comment -> merge -> (main job) apply the reviewed plan
with --reference -> sales in the store -> (nightly job) drift --write-manifests -> commit -> the
manifests plan to no changes again. Then the ways out of a failure (examples/ci): a conflict
recovered by a fresh plan (the recover workflow) or by apply --rebase, an apply killed half way
and its job re-run on a fresh runner with nothing but the plan file, a drift run with nothing
to commit, and a fleet planned store by store. Every step runs `syncer` as a process of its own
(forked from one that imported syncer; the fleet's plan starts the installed entry point).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import simulated_clock
from reliability_helpers import HttpEmulator
from syncer_child import SyncerProcess

from syncer.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
SYNCER = str(Path(sys.executable).parent / "syncer")
PR_URL = "https://github.com/acme/stock/pull/7"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def syncer(repo: Path, *args: str, expect: int) -> subprocess.CompletedProcess:
    """``syncer ARGS`` as a process of its own, forked from one that imported syncer already
    (tests/syncer_child.py: 0.3 s of start-up less for each of the loop's fifty runs); the fleet
    job below starts the installed entry point itself."""
    child = SyncerProcess(args, env=_env(), cwd=repo)
    stdout, stderr = child.communicate(timeout=120)
    result = subprocess.CompletedProcess([SYNCER, *args], child.returncode, stdout, stderr)
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

    # start from the live store: import, and the imported manifests plan to no changes
    repo = _store_repo(tmp_path, str(shop))
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", expect=0)

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
    assert "| ~ | Warehouse East | TSHIRT-RED-M | available 40 → 55 (+15) |" in comment
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


def _store_repo(tmp_path: Path, store: str) -> Path:
    """A manifests repository whose main holds stores/us imported from ``store``."""
    repo = tmp_path / "repo"
    (repo / "stores/us").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "stores/us/syncer.yaml").write_text(f"store: {store}\nreason: correction\n",
                                                encoding="utf-8")
    syncer(repo, "import", "-o", "stores/us", "--quantities", "available,damaged", expect=0)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import the store")
    return repo


def _merge_restock(repo: Path, edits: dict[str, tuple[str, str]]) -> None:
    """A pull request editing manifest lines ({file: (old, new)}), planned as the pull request
    job plans it (plan.json kept aside as the artifact), then merged into main."""
    git(repo, "checkout", "-q", "-b", "restock")
    for name, (old, new) in edits.items():
        path = repo / "stores/us" / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Restock")
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", "-o", "plan.json", "--reference",
           PR_URL, expect=2)
    shutil.move(repo / "plan.json", repo.parent / "plan.json")  # the artifact
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "restock", "-m", "Merge #7")


RED_M = ("TSHIRT-RED-M: {active: true, available: 40", "TSHIRT-RED-M: {active: true, available: 55")


@pytest.mark.parametrize("way_out", ["recover", "rebase"])
def test_a_conflict_and_the_way_out(tmp_path, way_out):
    shop = tmp_path / "shop" / "store.json"
    shop.parent.mkdir()
    shutil.copy(ROOT / "examples/quickstart/store.json", shop)
    simulated_clock(shop)
    repo = _store_repo(tmp_path, str(shop))
    _merge_restock(repo, {"warehouse-east.yaml": RED_M})
    sell(shop, "gid://shopify/InventoryItem/1", "gid://shopify/Location/1", 5)  # 40 -> 35
    shutil.copy(tmp_path / "plan.json", repo / "plan.json")
    conflict = syncer(repo, "apply", "plan.json", "--reference", PR_URL, expect=4)
    assert "TSHIRT-RED-M" in conflict.stdout + conflict.stderr
    if way_out == "rebase":  # the same reviewed plan, towards the same target from the live value
        syncer(repo, "apply", "plan.json", "--reference", PR_URL, "--rebase", expect=0)
    else:  # syncer-recover.yml: a fresh plan from main, posted, then applied once approved
        recover = workflow_job("syncer-recover.yml", "replan")
        command = step_with(recover, "Plan from main against the live store")["command"]
        assert command.startswith("plan stores/${{ inputs.store }} --detailed-exitcode")
        assert step_run(recover, "Make the plans folder") == "mkdir -p plans"
        (repo / "plans").mkdir()
        fresh = syncer(repo, "plan", "stores/us", "--detailed-exitcode", "--format", "markdown",
                       "-o", "plans/us.json", "--reference", PR_URL, expect=2).stdout
        assert "| ~ | Warehouse East | TSHIRT-RED-M | available 35 → 55 (+20) |" in fresh
        saved = json.loads((repo / "plans/us.json").read_text(encoding="utf-8"))
        posted = re.findall(r"<!-- syncer-fingerprint: ([0-9a-f]{64}) -->", fresh)
        assert posted == [saved["fingerprint"]]  # what the apply job checks before applying
        syncer(repo, "apply", "plans/us.json", "--reference", PR_URL, expect=0)
    syncer(repo, "plan", "stores/us", "--detailed-exitcode", expect=0)
    assert _level(shop, "gid://shopify/InventoryItem/1", "gid://shopify/Location/1") == 55


class _KillAfterFirstWrite:
    """The emulator, which SIGKILLs ``victim`` once the first mutation it runs has committed
    (before its answer is sent): an apply job killed half way, as a runner that goes away."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.victim: SyncerProcess | None = None

    def __getattr__(self, name):
        return getattr(self.emulator, name)

    def respond(self, body, headers, *args):
        answer = self.emulator.respond(body, headers, *args)
        if self.victim is not None and str(body.get("query", "")).lstrip().startswith(
                "mutation"):
            os.kill(self.victim.pid, signal.SIGKILL)
            self.victim = None
        return answer


@pytest.mark.slow(seconds=4)
def test_a_killed_apply_rerun_on_a_fresh_runner_finishes_with_nothing_but_the_plan(tmp_path):
    state = json.loads((ROOT / "examples/quickstart/store.json").read_text(encoding="utf-8"))
    state["clock"] = "2026-01-01T00:00:00Z"
    with HttpEmulator(Emulator.from_state(state)) as http:
        repo = _store_repo(tmp_path, http.url)
        _merge_restock(repo, {
            "warehouse-east.yaml": RED_M,
            "retail-soho.yaml": ("CAP-BLUE: {active: true, available: 3",
                                 "CAP-BLUE: {active: true, available: 9"),
        })
        killer = http.switch.emulator = _KillAfterFirstWrite(http.switch.emulator)
        # the first runner: the plan downloaded, the apply killed after its first write landed
        first = tmp_path / "runner-1"
        git(tmp_path, "clone", "-q", str(repo), str(first))
        shutil.copy(tmp_path / "plan.json", first / "plan.json")
        killer.victim = SyncerProcess(["apply", "plan.json", "--reference", PR_URL],
                                      cwd=first, env=_env())
        assert killer.victim.wait(timeout=60) == -signal.SIGKILL
        assert git(first, "status", "--porcelain") == "?? plan.json\n"  # no journal beside it
        # the job re-run: a fresh runner, the same plan file and nothing else
        second = tmp_path / "runner-2"
        git(tmp_path, "clone", "-q", str(repo), str(second))
        shutil.copy(tmp_path / "plan.json", second / "plan.json")
        rerun = syncer(second, "apply", "plan.json", "--reference", PR_URL, expect=0)
        assert "already applied" in rerun.stdout + rerun.stderr
        syncer(second, "plan", "stores/us", "--detailed-exitcode", expect=0)
        live = {(lv["item"], lv["location"]): lv["quantities"]["available"]
                for lv in http.switch.emulator.emulator.state()["levels"]}
        assert live[("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")] == 55
        assert live[("gid://shopify/InventoryItem/5", "gid://shopify/Location/2")] == 9


def test_a_drift_run_with_nothing_to_commit_passes_and_opens_no_pull_request(tmp_path):
    shop = tmp_path / "shop" / "store.json"
    shop.parent.mkdir()
    shutil.copy(ROOT / "examples/quickstart/store.json", shop)
    repo = _store_repo(tmp_path, str(shop))
    # a level no manifest manages, under policy.unmanaged: deactivate -> drift, but nothing the
    # manifests can adopt by editing a value
    manifest = repo / "stores/us/retail-soho.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("kind: InventoryLevels\n",
                        "kind: InventoryLevels\npolicy:\n  unmanaged: deactivate\n")
    manifest.write_text(text.replace("    CAP-BLUE: {active: true, available: 3, damaged: 0}\n",
                                     ""), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Stop managing CAP-BLUE at Retail Soho")
    drift = workflow_job("syncer-drift.yml", "drift")
    command = step_with(drift, "Drift")["command"]
    assert command == ("drift ${{ env.STORE_DIR }} --format markdown --write-manifests "
                       "--history ${{ runner.temp }}/history")
    runner = tmp_path / "runner"

    def args(text: str) -> list[str]:  # the action splits its command on whitespace
        return (text.replace("${{ env.STORE_DIR }}", "stores/us")
                .replace("${{ runner.temp }}", str(runner)).split())

    report = syncer(repo, *args(command), expect=2).stdout
    assert "CAP-BLUE" in report and git(repo, "status", "--porcelain") == ""
    # the history the drift appended to, drawn as the workflow publishes it
    syncer(repo, *args(step_with(drift, "Draw the drift history")["command"]), expect=0)
    assert "CAP-BLUE" in (runner / "drift.html").read_text(encoding="utf-8")
    assert len((runner / "history" / "history.jsonl").read_text().splitlines()) == 1
    # the workflow's next step: the report to the summary, no pull request, no failure
    out, summary = tmp_path / "out", tmp_path / "summary"
    (tmp_path / "report.md").write_text(report, encoding="utf-8")
    step = next(s for s in drift["steps"] if s.get("id") == "files")
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, capture_output=True,
                            text=True, env={**os.environ, "GITHUB_OUTPUT": str(out),
                                            "GITHUB_STEP_SUMMARY": str(summary),
                                            "STORE_DIR": "stores/us", "EXIT_CODE": "2",
                                            "REPORT_FILE": str(tmp_path / "report.md")})
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "changed=false\n" and summary.read_text() == report


def test_fleet_two_stores_planned_one_file_each_needs_plan_o_store(tmp_path):
    """Two store folders validated and planned in one job, one plan file per store
    (`syncer plan stores/* -o 'plans/{store}.json'`, as syncer-plan.yml runs it), each applied
    on its own."""
    shops = {}
    repo = tmp_path / "repo"
    for name in ("eu", "us"):
        shops[name] = tmp_path / "shop" / name / "store.json"
        shops[name].parent.mkdir(parents=True)
        shutil.copy(ROOT / "examples/quickstart/store.json", shops[name])
        simulated_clock(shops[name])
        (repo / "stores" / name).mkdir(parents=True)
        (repo / "stores" / name / "syncer.yaml").write_text(f"store: {shops[name]}\n",
                                                            encoding="utf-8")
        shutil.copy(ROOT / "examples/quickstart/inventory.yaml",
                    repo / "stores" / name / "inventory.yaml")
    git(repo, "init", "-q", "-b", "main")
    plan_step = step_run(workflow_job("syncer-plan.yml", "plan"), "Plan every store")
    assert "syncer plan stores/* --detailed-exitcode --format markdown -o 'plans/{store}.json'" in (
        plan_step)
    validate = step_run(workflow_job("syncer-plan.yml", "plan"), "Validate the manifests")
    assert validate == 'for store in stores/*/; do syncer validate "$store"; done'
    for name in ("eu", "us"):
        syncer(repo, "validate", f"stores/{name}/", expect=0)
    (repo / "plans").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "SHOPIFY_"))}
    result = subprocess.run([SYNCER, "plan", "stores/eu", "stores/us", "--detailed-exitcode",
                             "--format", "markdown", "-o", "plans/{store}.json", "--reference",
                             PR_URL], cwd=repo, env=env, capture_output=True, text=True)
    if result.returncode == 64 and "-o saves one store's plan" in result.stderr:
        pytest.skip("plan -o 'plans/{store}.json' is not in this syncer yet")
    assert result.returncode == 2, result.stdout + result.stderr
    assert sorted(p.name for p in (repo / "plans").iterdir()) == ["eu.json", "us.json"]
    for name in ("eu", "us"):
        saved = json.loads((repo / "plans" / f"{name}.json").read_text(encoding="utf-8"))
        assert saved["store"] == str(shops[name]) and saved["reference"] == PR_URL
        shown = syncer(repo, "show", f"plans/{name}.json", "--format", "markdown",
                       expect=0).stdout
        assert f"<!-- syncer-fingerprint: {saved['fingerprint']} -->" in shown
        syncer(repo, "apply", f"plans/{name}.json", "--reference", PR_URL, expect=0)
    syncer(repo, "plan", "stores/eu", "stores/us", "--detailed-exitcode", expect=0)


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "SHOPIFY_"))}


def _level(store: Path, item: str, location: str) -> int:
    state = json.loads(store.read_text(encoding="utf-8"))
    (level,) = [lv for lv in state["levels"] if lv["item"] == item and lv["location"] == location]
    return level["quantities"]["available"]


def workflow_job(name: str, job: str) -> dict:
    return yaml.safe_load((ROOT / "examples/ci/github" / name).read_text(encoding="utf-8"))[
        "jobs"][job]


def step_with(job: dict, name: str) -> dict:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return step["with"]


def step_run(job: dict, name: str) -> str:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return step["run"]
