"""``syncer validate``: exit codes, where output goes, and its shape."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from manifest_golden import CASES, case_names, prepare_case

from syncer.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def runner():
    return CliRunner()


def test_valid_manifests_print_a_summary_and_exit_0(runner):
    result = runner.invoke(cli, ["validate", str(EXAMPLES / "multi-location")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 files, 3 locations, 14 levels: valid\n"
    assert result.stderr == ""


def test_several_paths(runner):
    result = runner.invoke(
        cli, ["validate", str(EXAMPLES / "quickstart"), str(EXAMPLES / "policy" / "inventory.yaml")]
    )
    # Both declare Warehouse East levels: each duplicate is reported.
    assert result.exit_code == 1
    assert "declared twice" in result.stderr


def test_invalid_manifests_print_every_problem_on_stderr_and_exit_1(runner, monkeypatch):
    monkeypatch.chdir(CASES / "every_problem_in_every_file")
    result = runner.invoke(cli, ["validate", "."])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:-1] == (Path("expected.txt").read_text().splitlines())
    assert lines[-1] == "6 problems in 5 files: invalid"


def test_json_report_on_stdout(runner, monkeypatch):
    monkeypatch.chdir(CASES / "duplicate_level_across_files")
    result = runner.invoke(cli, ["validate", ".", "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report == {
        "valid": False,
        "files": None,
        "locations": None,
        "levels": None,
        "problems": [
            {
                "file": "more-east.yaml",
                "line": 7,
                "column": 5,
                "message": "level 'MUG-OLD' at 'Warehouse East' is declared twice, first at "
                "east.yaml:6:5: keep one of them",
            }
        ],
    }
    valid = runner.invoke(cli, ["validate", str(EXAMPLES / "quickstart"), "--format", "json"])
    assert valid.exit_code == 0
    assert json.loads(valid.stdout) == {
        "valid": True,
        "files": 1,
        "locations": 1,
        "levels": 5,
        "problems": [],
    }
    # -f, as every other command takes it for --format
    short = runner.invoke(cli, ["validate", str(EXAMPLES / "quickstart"), "-f", "json"])
    assert short.exit_code == 0 and short.stdout == valid.stdout


@pytest.mark.parametrize("case", case_names())
def test_no_bad_input_gives_a_traceback(runner, case, monkeypatch, tmp_path):
    work, args = prepare_case(case, tmp_path)
    monkeypatch.chdir(work)
    for fmt in ("text", "json"):
        result = runner.invoke(cli, ["validate", *args, "--format", fmt])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output


def test_usage_errors_exit_64(runner):
    assert runner.invoke(cli, ["validate"]).exit_code == 64
    assert runner.invoke(cli, ["validate", ".", "--format", "xml"]).exit_code == 64


def test_missing_path(runner, tmp_path):
    result = runner.invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{tmp_path / 'nope.yaml'}: no such file or folder"


def test_help_has_an_example(runner):
    result = runner.invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "syncer validate" in result.stdout
