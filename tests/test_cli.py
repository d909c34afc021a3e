import pytest
from click.testing import CliRunner

from syncer.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help, f"{name} has no help"
    assert "Example" in command.help, f"{name} help has no Example: block"


def test_usage_error_exits_64(runner):
    result = runner.invoke(cli, ["--no-such-flag"])
    assert result.exit_code == 64
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 64


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert "syncer" in result.output
