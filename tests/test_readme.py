"""The README's quickstart runs as written and prints what the README shows."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quickstart():
    section = README.split("## Quickstart", 1)[1]
    command = re.search(r"```sh\n(.*?)\n```", section, re.S).group(1)
    output = re.search(r"Output \(.*?\n```\n(.*?)```", section, re.S).group(1)
    return command, output


def _normalise(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "/tmp")
    return re.sub(r"plan [0-9a-f-]{36}", "plan <id>", text)


def test_quickstart_runs_and_matches_the_readme(tmp_path, monkeypatch):
    command, shown = _quickstart()
    monkeypatch.chdir(ROOT)
    steps = command.split(" && ")
    assert steps[0].startswith("python3 -m venv") and "pip install" in steps[1]
    env = {}
    printed = []
    for step in steps[2:]:
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(step)]
        if argv[0] == "cp":
            shutil.copy(argv[1], argv[2])
        elif argv[0] == "export":
            name, value = argv[1].split("=", 1)
            env[name] = value
        else:
            assert argv[0] == ".venv/bin/syncer", step
            result = CliRunner().invoke(cli, argv[1:], env=env)
            assert result.exit_code == 0, (step, result.output)
            printed.append(result.output)
    got = _normalise("".join(printed), tmp_path)
    assert sorted(got.splitlines()) == sorted(_normalise(shown, tmp_path).splitlines())


def test_ci_section_shows_the_real_plan_comment(tmp_path):
    shown = re.search(r"<!-- plan-comment -->\n```markdown\n(.*?)```", README, re.S).group(1)
    store = tmp_path / "store.json"
    shutil.copy(ROOT / "examples/quickstart/store.json", store)
    result = CliRunner().invoke(cli, ["plan", str(ROOT / "examples/quickstart"), "--store",
                                      str(store), "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout == shown


@pytest.mark.slow(seconds=3)
def test_the_http_snippet_waits_for_the_emulator_and_stops_it(tmp_path):
    """The README's `syncer emulator ... &` snippet, run by sh as written (with /tmp/ in a
    temporary folder, syncer as this interpreter, and --port 0 so that parallel tests do not
    collide): the plan runs only once the emulator listens, then the emulator is stopped."""
    section = README.split("The same store can be served over HTTP", 1)[1]
    snippet = re.search(r"```sh\n(.*?)\n```", section, re.S).group(1)
    assert "--port 8787" in snippet
    syncer = tmp_path / "syncer"
    syncer.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m syncer "$@"\n')
    syncer.chmod(0o755)
    script = (snippet.replace("/tmp/", f"{tmp_path}/").replace(".venv/bin/syncer", str(syncer))
              .replace("--port 8787", "--port 0"))
    shutil.copy(ROOT / "examples/quickstart/store.json", tmp_path / "syncer-store.json")
    shell = subprocess.Popen(["sh", "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"},
                             start_new_session=True)
    try:  # the output ends when the emulator, which holds stderr, has stopped too
        stdout, stderr = shell.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)  # the snippet left the emulator running
        stdout, stderr = shell.communicate()
        pytest.fail(f"the snippet did not finish: {stdout}{stderr}")
    assert shell.returncode == 0, stdout + stderr
    assert "Shopify emulator listening on http://127.0.0.1:" in stderr
    assert "  ~ TSHIRT-RED-M   available 40 -> 52 (+12)   damaged 2 -> 0 (-2)" in stdout
    assert "Stopped." in stderr
    assert not (tmp_path / "syncer-emulator.url").exists()  # removed when it stopped
