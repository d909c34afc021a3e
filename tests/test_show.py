"""syncer show PLAN.json: a saved plan rendered exactly as `syncer plan` rendered it."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"SYNCER_STORE": ""})
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


@pytest.fixture
def saved(tmp_path):
    """(plan file, the `plan` command's result for each format) for the quickstart."""
    store = tmp_path / "store.json"
    shutil.copy(QUICKSTART / "store.json", store)
    out = tmp_path / "plan.json"
    shown = {}
    for fmt in ("text", "json", "markdown"):
        result = run("plan", QUICKSTART, "--store", store, "--format", fmt, "-o", out)
        assert result.exit_code == 0, result.stderr
        shown[fmt] = result.stdout
    return out, shown


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_prints_what_plan_printed(saved, fmt):
    path, shown = saved
    result = run("show", path, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown[fmt]
    assert result.stderr == ""


def test_show_defaults_to_text_and_needs_no_store(saved):
    path, shown = saved
    assert "Warehouse East" in shown["text"]
    result = CliRunner().invoke(cli, ["show", str(path)], env={"SYNCER_STORE": "/nonexistent"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown["text"]


def test_show_a_missing_plan_file(tmp_path):
    result = run("show", tmp_path / "nope.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'nope.json'}: cannot read the plan file")


def test_show_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{\"format_version\": 1,")
    result = run("show", path)
    assert result.exit_code == 1
    assert f"{path}: not valid JSON (the file looks truncated)" in result.stderr


def test_show_refuses_an_edited_plan(saved):
    path, _shown = saved
    document = json.loads(path.read_text())
    adjust = next(c for c in document["changes"] if c["kind"] == "adjust")
    adjust["after"] += 1
    adjust["delta"] += 1
    path.write_text(json.dumps(document))
    result = run("show", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert str(path) in result.stderr
    assert "make the plan again" in result.stderr


def test_show_rejects_an_unknown_format(saved):
    path, _shown = saved
    assert run("show", path, "--format", "yaml").exit_code == 64
