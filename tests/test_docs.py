"""The command reference (docs/commands.md) is the CLI's own help, and every command has help
with an example."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

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
