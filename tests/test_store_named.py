"""Every plan output names the store it was made against (issue 26): the shop's name and
``myshopifyDomain``, where it was reached (a state file, an emulator URL), and the API version;
in plan text, Markdown and JSON, drift, ``show``, and the apply report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.plan.changes import Plan
from syncer.plan.origin import PlanOrigin
from syncer.plan.render import render_text

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SHOP = "quickstart (quickstart.myshopify.com)"


@pytest.fixture
def store(tmp_path, monkeypatch):
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    monkeypatch.chdir(tmp_path)
    return "store.json"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"SYNCER_STORE": ""})
    assert "Traceback" not in result.output
    return result


LINE = f"Store: {SHOP} in the state file store.json, API 2026-10"


def test_plan_text_markdown_and_json_name_the_shop(store):
    text = run("plan", QUICKSTART, "--store", store).stdout
    assert text.startswith(LINE + "\n\n")
    markdown = run("plan", QUICKSTART, "--store", store, "-f", "markdown").stdout
    assert markdown.startswith("### syncer plan\n\n" + LINE + "\n\n<!-- syncer-fingerprint: ")
    data = json.loads(run("plan", QUICKSTART, "--store", store, "-f", "json").stdout)
    assert (data["shop"], data["shop_name"], data["api_version"]) == (
        "quickstart.myshopify.com", "quickstart", "2026-10")
    assert data["store"].endswith("store.json")


def test_drift_names_the_shop(store):
    text = run("drift", QUICKSTART, "--store", store)
    assert text.exit_code == 2 and text.stdout.startswith(LINE + "\n\n")
    markdown = run("drift", QUICKSTART, "--store", store, "-f", "markdown").stdout
    assert markdown.startswith("### syncer drift\n\n" + LINE + "\n\n")
    data = json.loads(run("drift", QUICKSTART, "--store", store, "-f", "json").stdout)
    assert (data["shop"], data["shop_name"]) == ("quickstart.myshopify.com", "quickstart")


def test_a_saved_plan_its_show_and_its_apply_report_name_the_shop(store, tmp_path):
    assert run("plan", QUICKSTART, "--store", store, "-o", "plan.json").exit_code == 0
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert (saved["shop"], saved["shop_name"]) == ("quickstart.myshopify.com", "quickstart")
    assert run("show", "plan.json").stdout.startswith(LINE + "\n\n")
    applied = run("apply", "plan.json", "--report", "report.json")
    assert applied.exit_code == 0, applied.output
    assert f"to {SHOP} in the state file store.json, API 2026-10\n" in applied.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["shop"], report["shop_name"], report["api_version"]) == (
        "quickstart.myshopify.com", "quickstart", "2026-10")


def test_an_emulator_url_and_a_shop_are_named_as_reached():
    url = PlanOrigin("http://127.0.0.1:8080", "2026-07", "demo.myshopify.com", "Demo")
    assert url.text() == "Demo (demo.myshopify.com) at http://127.0.0.1:8080, API 2026-07"
    shop = PlanOrigin("demo.myshopify.com", "2026-10", "demo.myshopify.com", "Demo")
    assert shop.text() == "Demo (demo.myshopify.com), API 2026-10"
    unknown = PlanOrigin("demo.myshopify.com", "2026-10")  # an older saved plan
    assert unknown.text() == "demo.myshopify.com, API 2026-10"


def test_a_plan_made_by_hand_names_no_store_and_keeps_its_fingerprint():
    plan = Plan()
    named = plan.with_origin(PlanOrigin("store.json", "2026-10", "a.myshopify.com", "A"))
    assert not render_text(plan).startswith("Store:")
    assert render_text(named).startswith("Store: A (a.myshopify.com)")
    assert named.fingerprint == plan.fingerprint
