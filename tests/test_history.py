"""Drift history (issue 25, in part): ``--history DIR`` appends one record per drift or apply
run (``schemas/history.schema.json``); ``syncer report DIR`` draws them into one self-contained
HTML page, checked with an HTML parser here and in a real browser where Chromium is installed."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.engine import history
from syncer.engine.report import report

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SCHEMA = json.loads((ROOT / "schemas" / "history.schema.json").read_text(encoding="utf-8"))


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"SYNCER_STORE": ""})
    assert "Traceback" not in result.output
    return result


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]


def test_drift_and_apply_append_their_records(tmp_path):
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    store, kept = tmp_path / "store.json", tmp_path / "history"
    assert run("drift", QUICKSTART, "--store", store, "--history", kept).exit_code == 2
    assert run("plan", QUICKSTART, "--store", store, "-o", tmp_path / "plan.json").exit_code == 0
    assert run("apply", tmp_path / "plan.json", "--history", kept).exit_code == 0
    assert run("drift", QUICKSTART, "--store", store, "--history", kept).exit_code == 0
    drift, applied, clean = records(kept)
    for record in (drift, applied, clean):
        jsonschema.validate(record, SCHEMA)
    assert (drift["kind"], drift["exit_code"], drift["shop"]) == (
        "drift", 2, "quickstart.myshopify.com")
    assert drift["totals"] == {"levels": 4, "units": 42, "above": 2, "below": 40}
    red_m = [e for e in drift["levels"] if e["sku"] == "TSHIRT-RED-M"
             and e["quantity"] == "available"]
    assert red_m == [{"location": "Warehouse East", "sku": "TSHIRT-RED-M",
                      "item_id": "gid://shopify/InventoryItem/1", "kind": "quantity",
                      "quantity": "available", "desired": 52, "live": 40, "delta": 12}]
    assert applied["kind"] == "apply" and applied["summary"]["activated"] == 2
    assert applied["plan_id"] == json.loads((tmp_path / "plan.json").read_text())["plan_id"]
    assert clean["exit_code"] == 0 and clean["levels"] == [] and clean["totals"]["units"] == 0


def test_history_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    result = run("drift", QUICKSTART, "--store", tmp_path / "store.json", "--history",
                 tmp_path / "file")
    assert result.exit_code == 64


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def generated(folder: Path, runs: int, levels: int = 40, stores: int = 1, seed: int = 1) -> None:
    """``runs`` nightly drift records per store (every seventh night an apply too)."""
    rng = random.Random(seed)
    for s in range(stores):
        for night in range(runs):
            at = f"2026-{1 + night // 28:02d}-{1 + night % 28:02d}T02:00:00Z"
            drifted = [{"location": f"Shop {n % 3}", "sku": f"SKU-{n:05d}",
                        "item_id": f"gid://shopify/InventoryItem/{n}", "kind": "quantity",
                        "quantity": "available", "desired": 10, "live": 10 - d, "delta": d}
                       for n in range(levels) if rng.random() < 0.2
                       for d in [rng.choice([-2, -1, 1, 3])]]
            history.append(folder, {
                "version": 1, "kind": "drift", "time": at, "store": f"store-{s}.myshopify.com",
                "shop": f"store-{s}.myshopify.com", "shop_name": f"Store <{s}>",
                "api_version": "2026-10", "exit_code": 2 if drifted else 0,
                "totals": {"levels": len(drifted), "units": sum(abs(e["delta"])
                                                               for e in drifted),
                           "above": 0, "below": 0}, "levels": drifted})
            if night % 7 == 3:
                history.append(folder, {
                    "version": 1, "kind": "apply", "time": at.replace("02:00", "12:00"),
                    "store": f"store-{s}.myshopify.com", "shop": f"store-{s}.myshopify.com",
                    "exit_code": 0, "plan_id": f"{night:08d}-0000-0000-0000-000000000000",
                    "summary": {"adjusted": 3, "activated": 0}})


def test_a_month_of_history_renders_into_one_self_contained_page(tmp_path):
    kept = tmp_path / "history"
    generated(kept, runs=30, stores=2)
    with open(kept / "history.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"version": 1, "kind": "dri')  # a run killed while writing
    result = run("report", kept, "-o", tmp_path / "drift.html")
    assert result.exit_code == 0, result.output
    assert "Left out 1 line(s)" in result.stderr
    text = (tmp_path / "drift.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert page.tags.count("svg") == 2 and page.tags.count("polyline") == 2 * 3
    assert page.links == []  # nothing fetched: no CDN, no script, no image file
    assert "script" not in page.tags
    shown = "".join(page.text)
    assert "Store <0> (store-0.myshopify.com)" in shown  # escaped in the page, shown as text
    assert "The levels that drift most" in shown and "Drift by transition" in shown
    assert shown.count("applied 3 adjusted") == 2 * 4  # nights 3, 10, 17 and 24 of each store
    assert "Lines 69 of history.jsonl are not records" in shown  # 2 x (30 drifts + 4 applies)


def test_one_run_without_drift_renders(tmp_path):
    kept = tmp_path / "history"
    generated(kept, runs=1, levels=0)
    assert report(str(kept), str(tmp_path / "one.html")).runs == 1
    text = (tmp_path / "one.html").read_text()
    assert "no drift" in text and "Nothing yet." in text


def test_the_page_loads_in_a_real_browser(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt install chromium)")
    kept = tmp_path / "history"
    generated(kept, runs=30)
    report(str(kept), str(tmp_path / "drift.html"))
    shot = tmp_path / "shot.png"
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--screenshot={shot}", "--window-size=900,1200",
                           "--enable-logging=stderr", "--v=0",
                           (tmp_path / "drift.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000  # the charts were drawn
    assert "Uncaught" not in done.stderr and "CONSOLE" not in done.stderr


def test_the_report_never_replaces_the_history_and_history_is_a_file_of_its_own(tmp_path):
    kept = tmp_path / "history"
    generated(kept, runs=2)
    before = (kept / "history.jsonl").read_bytes()
    result = run("report", kept, "-o", kept / "history.jsonl")
    assert result.exit_code == 64 and "is the history; writing there would replace it" \
        in result.stderr
    assert (kept / "history.jsonl").read_bytes() == before
    other = tmp_path / "elsewhere"
    (other / "history.jsonl").parent.mkdir()
    (other / "history.jsonl").symlink_to(tmp_path / "target.txt")
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    linked = run("drift", QUICKSTART, "--store", tmp_path / "store.json", "--history", other)
    assert linked.exit_code == 64 and "is not a regular file" in linked.stderr
    assert not (tmp_path / "target.txt").exists()
