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


def test_emulator_on_a_busy_port_says_so_in_a_sentence(runner, tmp_path):
    import shutil
    import socket
    from pathlib import Path

    state = tmp_path / "store.json"
    shutil.copy(Path(__file__).parent.parent / "examples" / "quickstart" / "store.json", state)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["emulator", "--state", str(state), "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "Errno" not in result.output and "Traceback" not in result.output
