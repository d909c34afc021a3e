"""The documentation stays true: the command reference is the CLI's own help, every command has
help with an example, links lead somewhere, and the snippets in docs/ run as written."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer import load_manifests, parse_manifest
from syncer.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_commands", DOCS / "gen_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_commands = _generator()


def test_the_command_reference_is_current():
    page = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert page == gen_commands.page(), (
        f"docs/commands.md is stale: run `{gen_commands.COMMAND}` and commit the result")


def test_the_command_reference_follows_the_help(monkeypatch):
    monkeypatch.setattr(cli.commands["show"], "help", "Show a plan, differently.\n\nExample:\n\n"
                        "\b\n    syncer show other.json\n")
    page = gen_commands.page()
    assert "- [`syncer show`](#syncer-show): Show a plan, differently.\n" in page
    section = page.split("## syncer show\n", 1)[1].split("\n## ", 1)[0]
    assert "```text\nUsage: syncer show [OPTIONS] PLAN.json\n" in section
    assert "\n      syncer show other.json\n" in section


@pytest.mark.parametrize("name", [None, *sorted(cli.commands)])
def test_the_reference_is_what_help_prints_on_an_80_column_terminal(name):
    args = ["--help"] if name is None else [name, "--help"]
    printed = CliRunner().invoke(cli, args, prog_name="syncer",
                                terminal_width=78)  # click keeps 2 of 80 columns free
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == gen_commands.help_text(name) + "\n"


@pytest.mark.parametrize("name", [None, *sorted(cli.commands)])
def test_every_command_has_help_with_an_example_of_itself(name):
    command = cli if name is None else cli.commands[name]
    invocation = "syncer" if name is None else f"syncer {name}"
    assert command.help, f"{invocation} has no help"
    example = re.search(r"^Examples?:\n\n\x08\n((?:    .*\n?)+)", inspect.cleandoc(command.help),
                        re.M)
    assert example, f"{invocation}: no Example: block in its help (a \\b line, indented lines)"
    lines = [line.strip() for line in example.group(1).splitlines()]
    assert any(line.startswith(f"{invocation} ") for line in lines), (
        f"the Example: block of {invocation} never runs {invocation}")


# Relative links in the pages this repository keeps for people.
PAGES = ["README.md", "CONTRIBUTING.md", *sorted(p.relative_to(ROOT).as_posix()
                                                 for p in DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """``text`` without its fenced code blocks, whose brackets are not links."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def _anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    headings = re.findall(r"^#+ (.*)$", _prose(text), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_leads_to_a_file_and_heading(page):
    source = ROOT / page
    broken = []
    for target in LINK.findall(_prose(source.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here
        path, _, anchor = target.partition("#")
        linked = (source.parent / path).resolve() if path else source
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(
                linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(ROOT)}")
    assert not broken, f"{page}: " + "; ".join(broken)


# `path` in backquotes that names a file or folder of the repository
REPO_PATH = re.compile(r"`((?:syncer|tests|schemas|examples|benchmarks|docs|\.ci)/[\w./-]*)`")
NOT_PATHS = {"syncer/drift"}  # the branch the drift job pushes to (docs/ci.md)


@pytest.mark.parametrize("page", PAGES)
def test_every_path_the_page_names_exists(page):
    named = set(REPO_PATH.findall((ROOT / page).read_text(encoding="utf-8"))) - NOT_PATHS
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"{page} names files that are not there (moved?): {', '.join(missing)}"


def test_the_link_check_sees_a_broken_link_and_a_missing_heading():
    text = "# Title\n\n## The `syncer plan` rules\n\n```\n[not a link](nowhere.md)\n```\n"
    assert _anchors(text) == {"title", "the-syncer-plan-rules"}
    assert LINK.findall(_prose(text + "See [x](gone.md#a).\n")) == ["gone.md#a"]


def test_the_readme_is_a_newcomers_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250, "keep the README short: move details into docs/"
    for page in ["docs/manifests.md", "docs/commands.md", "docs/ci.md", "docs/guarantees.md",
                 "docs/architecture.md", "CONTRIBUTING.md"]:
        assert f"]({page})" in readme, f"the README does not link {page}"


def _levels(desired):
    return [(lv.location, lv.item, lv.active, dict(lv.quantities)) for lv in desired.levels]


def test_the_readme_manifest_is_the_quickstarts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## A manifest", 1)[1]
    shown = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    quickstart = load_manifests([ROOT / "examples/quickstart"])
    assert _levels(parse_manifest(shown, "README.md")) == _levels(quickstart)


def test_the_ci_page_shows_the_real_plan_comment(tmp_path, monkeypatch):
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- plan-comment -->\n```markdown\n(.*?)```", page, re.S).group(1)
    shutil.copy(ROOT / "examples/quickstart/store.json", tmp_path / "store.json")
    monkeypatch.chdir(tmp_path)  # the comment names the state file as given: store.json
    result = CliRunner().invoke(cli, ["plan", str(ROOT / "examples/quickstart"), "--store",
                                      "store.json", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout == shown


def test_the_multi_location_example_shows_its_value_at_cost(tmp_path, monkeypatch):
    """docs/manifests.md's plan of the multi-location example, run as shown (issue 24)."""
    page = (DOCS / "manifests.md").read_text(encoding="utf-8")
    command, shown = re.search(r"<!-- multi-location-plan -->\n```\n\$ syncer (.*?)\n(.*?)```",
                               page, re.S).groups()
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # the lock file goes beside it
    result = CliRunner().invoke(cli, command.split())
    assert result.exit_code == 0, result.output
    assert result.stdout == shown
    assert "Value at cost:" in shown and "units have no cost" in shown


@pytest.mark.slow(seconds=3)
def test_the_http_snippet_waits_for_the_emulator_and_stops_it(tmp_path):
    """docs/emulator.md's `syncer emulator ... &` snippet, run by sh as written (with /tmp/ in a
    temporary folder, syncer as this interpreter, and --port 0 so that parallel tests do not
    collide): the plan runs only once the emulator listens, then the emulator is stopped."""
    page = (DOCS / "emulator.md").read_text(encoding="utf-8")
    section = page.split("## Serving a store over HTTP", 1)[1]
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

