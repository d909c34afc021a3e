"""The CI files are linted with the vendored schemas, keep secrets where they belong, and the
pre-commit hook runs for real."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = sorted((ROOT / "examples" / "ci" / "github").glob("syncer-*.yml"))
DEPENDABOT = ROOT / "examples" / "ci" / "github" / "dependabot.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    assert found is not None, f"{name} is not installed: pip install -c constraints.txt -e '.[dev]'"
    return found


def workflow(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


@pytest.mark.parametrize(("schema", "files"), [
    ("vendor.github-workflows", GITHUB),
    ("custom.github-workflows-require-timeout", GITHUB),
    ("vendor.github-actions", [ROOT / "action.yml"]),
    ("vendor.dependabot", [DEPENDABOT]),
    ("vendor.gitlab-ci", [GITLAB]),
])
def test_ci_files_match_their_schemas(schema, files):
    assert files
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema,
                             *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_lint_can_fail(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("plan:\n  script:\n    - marker: \"<!-- x -->\"\n", encoding="utf-8")
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                             str(broken)], capture_output=True, text=True)
    assert result.returncode == 1


def test_actionlint():
    result = subprocess.run([tool("actionlint"), *map(str, GITHUB)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing(tmp_path):
    """zizmor (offline, default persona): no finding of low severity or above."""
    files = [*map(str, GITHUB), str(ROOT / "action.yml"), str(DEPENDABOT)]
    result = subprocess.run([tool("zizmor"), "--offline", "--min-severity", "low", "--format",
                             "json", *files], capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout) == [], (result.stdout +
                                                                          result.stderr)
    # and it does find what it is there for: a tag pin, credentials left on the runner
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                   "    steps:\n      - uses: actions/checkout@v5\n", encoding="utf-8")
    found = subprocess.run([tool("zizmor"), "--offline", "--format", "json", str(bad)],
                           capture_output=True, text=True)
    assert {f["ident"] for f in json.loads(found.stdout)} == {"unpinned-uses", "artipacked"}


def _uses() -> list[tuple[Path, str, str]]:
    """(file, action@ref, the comment after it) of every `uses:` line."""
    found = []
    for path in (*GITHUB, ROOT / "action.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*(?:- )?uses: (\S+)(?:\s+#\s*(.*))?$", line)
            if m:
                found.append((path, m.group(1), m.group(2) or ""))
    return found


def test_every_action_is_pinned_by_commit_with_its_version():
    uses = _uses()
    assert len(uses) > 20
    for path, ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), (path, ref)
        assert re.match(r"v\d+\.\d+\.\d+\b", comment), (path, ref, comment)
    # one commit per action everywhere, so an update changes every file at once
    pins = {}
    for _path, ref, comment in uses:
        name, sha = ref.split("@")
        assert pins.setdefault(name, (sha, comment)) == (sha, comment), name


def test_syncers_own_action_is_pinned_to_a_commit_of_this_repository():
    """The examples pin syncer's action to a commit that exists here (not an invented one) and
    whose action.yml pins what it uses."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    (sha,) = {ref.split("@")[1] for _, ref, _ in _uses() if ref.startswith("syncer-project/")}
    action = subprocess.run(["git", "show", f"{sha}:action.yml"], cwd=ROOT, capture_output=True,
                            text=True)
    assert action.returncode == 0, f"{sha} is not a commit of this repository with action.yml"
    assert re.search(r"uses: actions/setup-python@[0-9a-f]{40} ", action.stdout)


def test_workflows_and_their_triggers():
    flows = {path.stem: workflow(path) for path in GITHUB}
    assert set(flows) == {"syncer-plan", "syncer-apply", "syncer-drift", "syncer-recover"}
    assert set(flows["syncer-plan"]["on"]) == {"pull_request"}
    assert flows["syncer-apply"]["on"]["push"]["branches"] == ["main"]
    assert "schedule" in flows["syncer-drift"]["on"]
    assert set(flows["syncer-recover"]["on"]) == {"workflow_dispatch"}


def test_permissions_credentials_and_one_apply_per_store():
    for path in GITHUB:
        flow = workflow(path)
        assert flow["permissions"] == {}, path  # each job says what it needs
        for name, job in flow["jobs"].items():
            assert "permissions" in job, (path, name)
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (path, name)
    apply = workflow(ROOT / "examples/ci/github/syncer-apply.yml")["jobs"]["apply"]
    recover = workflow(ROOT / "examples/ci/github/syncer-recover.yml")["jobs"]["apply"]
    assert apply["concurrency"] == {"group": "syncer-apply-${{ matrix.store }}",
                                    "cancel-in-progress": False}
    assert recover["concurrency"] == {"group": "syncer-apply-${{ inputs.store }}",
                                      "cancel-in-progress": False}
    assert apply["environment"] == "shopify-${{ matrix.store }}"
    assert recover["environment"] == "shopify-${{ inputs.store }}"
    assert apply["permissions"] == recover["permissions"] == {"contents": "read"}


def test_secrets_stay_where_they_belong():
    for path in GITHUB:
        flow = workflow(path)
        assert "pull_request_target" not in flow["on"], path
        for job in flow["jobs"].values():
            write = "SHOPIFY_WRITE_TOKEN" in yaml.safe_dump(job)
            # the write token only in a job bound to a protected environment, never in a PR
            assert not write or (job.get("environment") and path.stem in (
                "syncer-apply", "syncer-recover")), path
            for step in job["steps"]:
                # no expression expanded inside a script: data reaches scripts through env
                assert "${{" not in step.get("run", ""), (path, step.get("name"))
                assert "${{" not in step.get("with", {}).get("script", ""), path
                for value in step.get("with", {}).values():
                    assert "secrets." not in str(value), (path, step.get("name"))
    plan = workflow(ROOT / "examples/ci/github/syncer-plan.yml")
    assert plan["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "SHOPIFY_READ_TOKEN" in yaml.safe_dump(plan) and "WRITE" not in yaml.safe_dump(plan)
    script = _step(plan["jobs"]["plan"], "Post or update the plan comments")["with"]["script"]
    assert "const marker = `<!-- syncer-plan: ${store} -->`;" in script
    assert "c.body.startsWith(marker)" in script and "updateComment" in script
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


def _step(job: dict, name: str) -> dict:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return step


def test_gitlab_matrix_and_rules():
    ci = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert ci[".stores"]["parallel"]["matrix"][0]["STORE"] == ["us", "eu"]
    assert ci[".stores"]["variables"]["STORE_DIR"] == "stores/$STORE"
    for job in ("validate", "plan", "apply", "drift"):
        assert ci[job]["extends"] == ".stores"
    assert "CI_DEFAULT_BRANCH" in ci["apply"]["rules"][0]["if"]
    # a protected environment and one apply at a time per store, recovery included
    assert ci["apply"]["environment"]["name"] == "shopify-$STORE"
    assert ci["apply"]["resource_group"] == "shopify-$STORE"
    assert ci["reapply"]["environment"]["name"] == "shopify-$RECOVER_STORE"
    assert ci["reapply"]["resource_group"] == "shopify-$RECOVER_STORE"
    assert ci["reapply"]["rules"][0]["when"] == "manual" and ci["reapply"]["needs"] == ["replan"]
    for job in ("apply", "reapply"):
        assert ci[job]["variables"]["SHOPIFY_ACCESS_TOKEN"] == "$SHOPIFY_WRITE_TOKEN"
    for job in ("plan", "drift", "replan"):
        assert ci[job]["variables"]["SHOPIFY_ACCESS_TOKEN"] == "$SHOPIFY_READ_TOKEN"
    assert ci["drift"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "schedule"'
    apply = "\n".join(ci["apply"]["script"])
    assert "source_project_id" in apply and "syncer-fingerprint" in apply
    assert any("git status --porcelain" in line for line in ci["drift"]["script"])
    # the drift history is kept on a branch and drawn into an artifact, as on GitHub
    drift = "\n".join(ci["drift"]["script"])
    assert "--history .syncer-history" in drift and "report .syncer-history -o drift.html" in drift
    assert drift.index("push --quiet --force") < drift.index('if [ "$code" = 0 ]')
    assert "drift.html" in ci["drift"]["artifacts"]["paths"]


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.slow(seconds=12)
def test_pre_commit_hook_runs_syncer_validate(tmp_path, wheelhouse):
    pre_commit = tool("pre-commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hooks = tmp_path / "syncer"  # the hook repository: this project, committed
    shutil.copytree(ROOT, hooks, ignore=shutil.ignore_patterns(
        ".git", ".venv", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "benchmarks",
        "tests"))
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-q", "-m", "hooks")
    rev = git(hooks, "rev-parse", "HEAD").strip()
    repo = tmp_path / "manifests"
    (repo / "stores").mkdir(parents=True)
    shutil.copy(ROOT / "examples/quickstart/inventory.yaml", repo / "stores/inventory.yaml")
    (repo / "stores/syncer.yaml").write_text("store: shop.myshopify.com\n", encoding="utf-8")
    # What a user writes (the example in .pre-commit-hooks.yaml), pinned to the commit above.
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: syncer-validate\n",
        encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    # The hook's environment installs the pinned versions, without compiling what it installs,
    # from conftest's wheelhouse alone (the packages were found in the indexes once, for it and
    # the wheel test); the hook repository itself is built from source, as for a user. The
    # second run reuses the environment from PRE_COMMIT_HOME (try-repo would install it again).
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_NO_COMPILE": "1",
           "PIP_CONSTRAINT": str(ROOT / "constraints.txt"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheelhouse)}

    def run_hook():
        return subprocess.run([pre_commit, "run", "syncer-validate", "--all-files"], cwd=repo,
                              env=env, capture_output=True, text=True)

    ok = run_hook()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"syncer validate\.+Passed", ok.stdout)
    (repo / "stores/bad.yaml").write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  East:\n"
        "    A: {active: maybe}\n", encoding="utf-8")
    git(repo, "add", "-A")
    bad = run_hook()
    assert bad.returncode == 1
    assert "stores/bad.yaml:5:17: locations.East.A.active: must be true or false" in bad.stdout


def _action_step(name: str) -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return step


@pytest.mark.parametrize(("ok_codes", "job_status"), [("0,2", 0), ("0", 2)])
def test_action_runs_syncer_and_exposes_its_exit_code(tmp_path, ok_codes, job_status):
    store = tmp_path / "store.json"
    shutil.copy(ROOT / "examples/quickstart/store.json", store)
    output = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path), "GITHUB_RUN_ID": "1",
           "GITHUB_RUN_ATTEMPT": "1", "SYNCER_STORE": str(store),
           "SYNCER_COMMAND": f"plan {ROOT / 'examples/quickstart'} --detailed-exitcode",
           "SYNCER_OK_EXIT_CODES": ok_codes}
    step = _action_step("syncer")
    assert step["env"]["SYNCER_COMMAND"] == "${{ inputs.command }}"
    result = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == job_status, result.stdout + result.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["exit-code"] == "2"
    assert "TSHIRT-RED-M   available 40 -> 52 (+12)" in Path(outputs["stdout-file"]).read_text()
    assert ("::error::syncer exited with 2" in result.stdout) == (job_status != 0)


# github-script runs a step's `script` as the body of an async function; this harness does the
# same with node, the GitHub API answered from a JSON file, and prints what the script did.
_HARNESS = r"""
const fs = require("fs");
const [script, fixtures] = process.argv.slice(2).map((f) => fs.readFileSync(f, "utf8"));
const fx = JSON.parse(fixtures);
const did = { outputs: {}, failed: [], created: [], updated: [] };
const core = { setOutput: (k, v) => { did.outputs[k] = v; }, setFailed: (m) => did.failed.push(m),
  summary: { addRaw() { return this; }, async write() {} } };
const github = {
  paginate: async () => fx.comments,
  rest: {
    repos: { listPullRequestsAssociatedWithCommit: async () => ({ data: fx.pulls }) },
    actions: { listWorkflowRuns: async () => ({ data: { workflow_runs: fx.runs } }) },
    pulls: { get: async () => ({ data: fx.pulls[0] }) },
    issues: { listComments: null, createComment: async (c) => did.created.push(c),
              updateComment: async (c) => did.updated.push(c) },
  },
};
const context = { repo: { owner: "acme", repo: "stock" }, sha: "f".repeat(40), runId: 9,
  serverUrl: "https://github.com", issue: { number: 7 } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core)
  .then(() => console.log(JSON.stringify(did)));
"""


def github_script(step: dict, cwd: Path, fixtures: dict, env: dict | None = None) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (cwd / "harness.js").write_text(_HARNESS, encoding="utf-8")
    (cwd / "script.js").write_text(step["with"]["script"], encoding="utf-8")
    (cwd / "fixtures.json").write_text(json.dumps(fixtures), encoding="utf-8")
    result = subprocess.run([node, "harness.js", "script.js", "fixtures.json"], cwd=cwd,
                            env={**os.environ, **(env or {})}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


PR = {"number": 7, "merged_at": "2026-01-01T00:00:00Z", "html_url": "https://github.com/acme/"
      "stock/pull/7", "head": {"sha": "a" * 40}}


def _bot(body: str) -> dict:
    return {"id": 1, "user": {"type": "Bot", "login": "github-actions[bot]"}, "body": body}


def test_apply_takes_a_plan_only_from_this_repositorys_run_and_with_the_commented_fingerprint(
        tmp_path):
    flows = {path.stem: workflow(path) for path in GITHUB}
    reviewed = flows["syncer-apply"]["jobs"]["reviewed"]
    # the run of a fork's pull request is never taken, even when it is the only one
    fork = {"id": 5, "head_repository": {"full_name": "mallory/stock"}}
    ours = {"id": 6, "head_repository": {"full_name": "acme/stock"}}
    pull = _step(reviewed, "Find the merged pull request and its plan run")
    did = github_script(pull, tmp_path, {"pulls": [PR], "runs": [fork]})
    assert did["failed"] and "run-id" not in did["outputs"]
    did = github_script(pull, tmp_path, {"pulls": [PR], "runs": [fork, ours]})
    assert did["outputs"]["run-id"] == "6" and not did["failed"]

    # the plan job's comment, made from a real saved plan, is what the apply job checks
    store = tmp_path / "store.json"
    shutil.copy(ROOT / "examples/quickstart/store.json", store)
    (tmp_path / "plans").mkdir()
    (tmp_path / "comments").mkdir()
    env = {**os.environ, "SYNCER_STORE": str(store)}
    subprocess.run([tool("syncer"), "plan", str(ROOT / "examples/quickstart"), "-o",
                    "plans/us.json"], cwd=tmp_path, env=env, check=True, capture_output=True)
    shown = subprocess.run([tool("syncer"), "show", "plans/us.json", "--format", "markdown"],
                           cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    (tmp_path / "comments/us.md").write_text(shown.stdout, encoding="utf-8")
    post = _step(flows["syncer-plan"]["jobs"]["plan"], "Post or update the plan comments")
    did = github_script(post, tmp_path, {"comments": []}, {"EXIT_CODE": "2"})
    (created,) = did["created"]
    fingerprint = json.loads((tmp_path / "plans/us.json").read_text())["fingerprint"]
    assert created["body"].startswith("<!-- syncer-plan: us -->\n**Store `us`** (`quickstart.")
    assert f"<!-- syncer-fingerprint: {fingerprint} -->" in created["body"]

    check = _step(reviewed, "Keep only plans whose fingerprint the bot's comment names")
    env = {"PR_NUMBER": "7"}
    did = github_script(check, tmp_path, {"comments": [_bot(created["body"])]}, env)
    assert did == {"outputs": {"stores": '["us"]'}, "failed": [], "created": [], "updated": []}
    # another plan file (or a comment anyone else wrote naming its fingerprint) is refused
    other = created["body"].replace(fingerprint, "0" * 64)
    forged = {"id": 2, "user": {"type": "User", "login": "mallory"}, "body": created["body"]}
    for comments in ([_bot(other)], [_bot(other), forged], []):
        did = github_script(check, tmp_path, {"comments": comments}, env)
        assert "stores" not in did["outputs"]
        assert did["failed"] and "is not the one in the plan comment for us" in did["failed"][0]


def test_drift_that_changes_no_manifest_opens_no_pull_request_and_does_not_fail(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    drift = workflow(ROOT / "examples/ci/github/syncer-drift.yml")["jobs"]["drift"]
    step = _step(drift, "Report, and see whether any manifest changed")
    opener = _step(drift, "Open or update the drift pull request")
    assert opener["if"] == "steps.files.outputs.changed == 'true'"
    repo = tmp_path / "repo"
    (repo / "stores/us").mkdir(parents=True)
    (repo / "stores/us/a.yaml").write_text("x: 1\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "manifests")
    (tmp_path / "report.md").write_text("### syncer drift\n\nunmanaged\n", encoding="utf-8")

    def run(exit_code: str) -> tuple[subprocess.CompletedProcess, str, str]:
        out, summary = tmp_path / "out", tmp_path / "summary"
        out.write_text("")
        summary.write_text("")
        env = {**os.environ, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary),
               "STORE_DIR": "stores/us", "REPORT_FILE": str(tmp_path / "report.md"),
               "EXIT_CODE": exit_code}
        result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env,
                                capture_output=True, text=True)
        return result, out.read_text(), summary.read_text()

    result, out, summary = run("2")  # drift of levels no manifest manages: nothing written
    assert result.returncode == 0 and out == "changed=false\n"
    assert "drift only where no manifest changes" in result.stdout
    assert summary == "### syncer drift\n\nunmanaged\n"
    (repo / "stores/us/a.yaml").write_text("x: 2\n", encoding="utf-8")
    result, out, _ = run("2")
    assert result.returncode == 0 and out == "changed=true\n"


def test_the_nightly_drift_keeps_its_history_on_a_branch(tmp_path):
    """syncer-drift.yml's history steps, run by bash against a local remote: the first night
    starts the history, each next night fetches it, drift appends, and the branch (one commit
    deep) holds every record; the report step draws the folder the drift step appended to."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    drift = workflow(ROOT / "examples/ci/github/syncer-drift.yml")["jobs"]["drift"]
    fetch, keep = _step(drift, "Fetch the drift history"), _step(drift, "Keep the drift history")
    assert "--history ${{ runner.temp }}/history" in _step(drift, "Drift")["with"]["command"]
    assert _step(drift, "Draw the drift history")["with"]["command"] == (
        "report ${{ runner.temp }}/history -o ${{ runner.temp }}/drift.html")
    published = _step(drift, "Publish the drift report")["with"]
    assert published["path"] == "${{ runner.temp }}/drift.html"
    origin, repo = tmp_path / "origin.git", tmp_path / "repo"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    (repo / "README").write_text("stock\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "manifests")
    git(repo, "push", "-q", "origin", "HEAD")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path / "runner"), "GH_TOKEN": "ghs_test",
           "GITHUB_SERVER_URL": "https://github.example", "STORE_DIR": "stores/us",
           "HISTORY_BRANCH": "syncer/history-us", "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_EMAIL": "t@e"}
    history = tmp_path / "runner" / "history" / "history.jsonl"

    def night(record: str) -> subprocess.CompletedProcess:
        shutil.rmtree(tmp_path / "runner", ignore_errors=True)
        (tmp_path / "runner").mkdir()
        fetched = subprocess.run(["bash", "-e", "-c", fetch["run"]], cwd=repo, env=env,
                                 capture_output=True, text=True)
        assert fetched.returncode == 0, fetched.stderr
        with history.open("a") as handle:  # what drift --history does
            handle.write(record + "\n")
        kept = subprocess.run(["bash", "-e", "-c", keep["run"]], cwd=repo, env=env,
                              capture_output=True, text=True)
        assert kept.returncode == 0, kept.stderr
        return fetched

    first = night('{"night": 1}')
    assert "does not exist yet: the history starts tonight" in first.stdout
    night('{"night": 2}')
    night('{"night": 3}')
    kept = git(origin, "show", "syncer/history-us:history.jsonl")
    assert kept.splitlines() == ['{"night": 1}', '{"night": 2}', '{"night": 3}']
    assert git(origin, "rev-list", "--count", "syncer/history-us").strip() == "1"
    assert "ghs_test" not in first.stdout + first.stderr
