"""The README's quickstart runs as written and prints what the README shows (the snippets in
docs/ are run by test_docs.py)."""

import re
import shlex
import shutil
from pathlib import Path

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
