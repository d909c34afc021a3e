"""plan and drift end to end: manifests -> store (in process and over HTTP) -> rendered output."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator
from syncer.plan.document import load_plan_document

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"

EXPECTED_PLAN = """\
Warehouse East
  + CAP-BLUE       reactivate (restores available 7)   available 7 -> 10 (+3)
  - MUG-OLD        deactivate
  ~ TSHIRT-RED-M   available 40 -> 52 (+12)   damaged 2 -> 0 (-2)
  + TSHIRT-RED-XL  activate   available 0 -> 25 (+25)

Value at cost:
  Warehouse East  +40/-2 units  +332.00/-17.00 EUR; +3/-0 units have no cost

Plan: 2 to activate, 3 to adjust (+40/-2 units), 1 to deactivate.
"""


@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "store.json"
    shutil.copy(QUICKSTART / "store.json", path)
    return path


@pytest.fixture
def http_store(store_file, http_emulator):
    return http_emulator(Emulator.load(store_file)).url.split("/admin/")[0]


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env or {"SYNCER_STORE": ""})
    assert "Traceback" not in result.output + result.stderr
    return result


def _body(text: str) -> str:
    """The plan without the store it names and its fingerprint line (each tested on its own)."""
    lines = text.splitlines(True)
    if lines and lines[0].startswith("Store: "):
        assert lines[1] == "\n"
        lines = lines[2:]
    return "".join(line for line in lines if not line.startswith("Fingerprint "))


@pytest.mark.parametrize("mode", ["file", "http"])
def test_plan_quickstart(mode, store_file, request):
    store = store_file if mode == "file" else request.getfixturevalue("http_store")
    before = store_file.read_bytes()
    result = run("plan", QUICKSTART, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert _body(result.stdout) == EXPECTED_PLAN
    # issue 26: every plan names the shop, where it was reached, and the API version
    where = f"in the state file {store_file.resolve()}" if mode == "file" else f"at {store}"
    assert result.stdout.splitlines()[0] == (
        f"Store: quickstart (quickstart.myshopify.com) {where}, API 2026-10")
    assert result.stdout.splitlines()[-1].startswith("Fingerprint ")
    assert "Reading 1 location, 4 levels found (incl. 1 inactive) ... done" in result.stderr
    assert store_file.read_bytes() == before, "plan must never write to the store"


def test_plan_fingerprint_is_stable_across_runs(store_file):
    first = run("plan", QUICKSTART, "--store", store_file).stdout
    second = run("plan", QUICKSTART, "--store", store_file).stdout
    assert first == second


def test_detailed_exitcode_and_saved_plan(store_file, tmp_path):
    out = tmp_path / "plan.json"
    result = run("plan", QUICKSTART, "--store", store_file, "-o", out, "--detailed-exitcode")
    assert result.exit_code == 2
    assert f"apply it with: syncer apply {out}" in result.stderr
    document = json.loads(out.read_text())
    plan, meta = load_plan_document(document)
    assert meta.store == str(store_file.resolve())
    assert meta.api_version == "2026-10"
    assert plan.summary.to_activate == 2 and plan.summary.to_deactivate == 1
    assert len(meta.steps) == 2 + 2 + 1  # 2 activations, available + damaged adjusts, 1 deactivate
    assert "token" not in out.read_text().lower()
    again = tmp_path / "again.json"
    run("plan", QUICKSTART, "--store", store_file, "-o", again)
    other = json.loads(again.read_text())
    assert other["plan_id"] != document["plan_id"]
    assert other["fingerprint"] == document["fingerprint"]


def test_json_format_is_only_json_on_stdout(store_file):
    result = run("plan", QUICKSTART, "--store", store_file, "--format", "json")
    data = json.loads(result.stdout)
    assert data["summary"]["units_added"] == 40 and data["summary"]["units_removed"] == 2


def test_no_changes_when_store_matches(tmp_path, store_file):
    manifest = tmp_path / "same.yaml"
    manifest.write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  Warehouse East:\n"
        "    TSHIRT-RED-M: {active: true, available: 40, damaged: 2}\n"
        "    CAP-BLUE: {active: false}\n"
    )
    result = run("plan", manifest, "--store", store_file, "--detailed-exitcode")
    assert result.exit_code == 0
    assert "No changes." in result.stdout
    assert run("drift", manifest, "--store", store_file).exit_code == 0


def test_drift_reports_and_exits_2(store_file):
    result = run("drift", QUICKSTART, "--store", store_file, "--format", "json")
    assert result.exit_code == 2
    rows = json.loads(result.stdout)["drift"]
    red_m = [e for e in rows if e["sku"] == "TSHIRT-RED-M" and e.get("quantity") == "available"]
    assert red_m == [red_m[0]]
    # delta has plan's sign: the change that would bring the store back (desired - live)
    assert (red_m[0]["desired"], red_m[0]["live"], red_m[0]["delta"]) == (52, 40, 12)


def test_unknown_sku_names_the_manifest_line(tmp_path, store_file):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  Warehouse East:\n"
        "    NO-SUCH-SKU: {active: true, available: 1}\n"
    )
    result = run("plan", manifest, "--store", store_file, "-o", tmp_path / "p.json")
    assert result.exit_code == 1
    assert "bad.yaml:5:5" in result.stdout + result.stderr
    assert not (tmp_path / "p.json").exists()


def test_invalid_manifest_fails_before_any_request(tmp_path):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations: 3\n")
    result = run("plan", manifest, "--store", "http://127.0.0.1:9")  # nothing listens there
    assert result.exit_code == 1
    assert "bad.yaml:3:" in result.stderr


def test_missing_store_is_a_usage_error(store_file):
    result = run("plan", QUICKSTART)
    assert result.exit_code == 64
    assert "--store" in result.stderr


def test_store_from_environment(store_file):
    result = run("plan", QUICKSTART, env={"SYNCER_STORE": str(store_file)})
    assert result.exit_code == 0
    assert _body(result.stdout) == EXPECTED_PLAN


def test_old_api_version_refused(store_file):
    result = run("plan", QUICKSTART, "--store", store_file, "--api-version", "2026-01")
    assert result.exit_code == 64
    assert "2026-04" in result.stderr


@pytest.mark.parametrize(("store", "says"), [
    ("http://127.0.0.1:99999", "port 99999 is not a TCP port (1-65535)"),
    ("/dev/zero", "is not a regular file"),
])
def test_a_store_that_cannot_be_one_is_a_usage_error(store, says):
    result = run("plan", QUICKSTART, "--store", store)
    assert result.exit_code == 64, result.output
    assert says in result.stderr and "retry" not in result.stderr.lower()


def test_bad_state_file_is_a_clear_error(tmp_path):
    state = tmp_path / "store.json"
    state.write_text("{not json")
    result = run("plan", QUICKSTART, "--store", state)
    assert result.exit_code == 1
    assert "store.json" in result.stderr


def test_detailed_exitcode_is_3_for_an_unsafe_plan(tmp_path, store_file):
    manifest = tmp_path / "unsafe.yaml"
    manifest.write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nsafety: {max_units_removed: 5}\n"
        "locations:\n  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 30}\n"
    )
    result = run("plan", manifest, "--store", store_file, "--detailed-exitcode")
    assert result.exit_code == 3, result.output
    assert "Unsafe: 1 finding (see above): apply needs --force." in result.stdout
    assert run("plan", manifest, "--store", store_file).exit_code == 0
    saved = run("plan", manifest, "--store", store_file, "-o", tmp_path / "plan.json")
    assert (f"Saved to {tmp_path / 'plan.json'}; the plan is unsafe (see above), so apply it "
            f"only with --force: syncer apply {tmp_path / 'plan.json'} --force") in saved.stderr
    refused = run("apply", tmp_path / "plan.json")
    assert refused.exit_code == 3
    assert refused.stderr.count("--force") == 1, refused.stderr  # said once, not per finding
    safe = tmp_path / "safe.yaml"
    safe.write_text(manifest.read_text().replace("max_units_removed: 5", "max_units_removed: 10"))
    assert run("plan", safe, "--store", store_file, "--detailed-exitcode").exit_code == 2


def test_a_selection_that_matches_nothing_says_so_and_exits_1(store_file):
    result = run("plan", QUICKSTART, "--store", store_file, "--target", "location=Warehouse Eest",
                 "--detailed-exitcode")
    assert result.exit_code == 1
    assert "No changes" not in result.stdout
    assert "--target location=Warehouse Eest matched no level (did you mean 'Warehouse East'?)" \
        in result.stdout
    # the flag is what to fix, not the manifests
    assert result.stderr.splitlines()[-1] == ("Error: the plan has errors (see above); fix the "
                                              "--target/--exclude selectors and plan again")
    drift = run("drift", QUICKSTART, "--store", store_file, "--exclude", "sku=*")
    assert drift.stderr.splitlines()[-1] == ("Error: the plan has errors (see above); fix the "
                                             "--target/--exclude selectors")
    assert "matched none of the 5 levels the manifests manage" in result.stdout
    assert result.stdout.splitlines()[-2] == (
        "Nothing to change where the manifests could be planned, but 1 error: the plan cannot "
        "be applied.")
    partial = run("plan", QUICKSTART, "--store", store_file, "--target", "sku=TSHIRT-RED-L")
    assert partial.exit_code == 0
    assert "No changes in the selection (a partial plan)." in partial.stdout
    assert "partial plan: it compares only the levels selected by --target sku=TSHIRT-RED-L " \
        "(1 level)" in partial.stdout


@pytest.mark.parametrize("read", ["paged", "bulk"])
def test_a_name_typed_in_nfd_plans_against_the_nfc_store(tmp_path, store_file, read):
    state = json.loads(store_file.read_text())
    state["locations"][1]["name"] = "Store K\u00f6ln"
    state["items"][4]["sku"] = "CAP-K\u00d6LN"
    store_file.write_text(json.dumps(state))
    manifest = tmp_path / "koeln.yaml"
    manifest.write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  Store Ko\u0308ln:\n"
        "    CAP-KO\u0308LN: {active: true, available: 5}\n", encoding="utf-8")
    result = run("plan", manifest, "--store", store_file, "--read", read)
    assert result.exit_code == 0, result.output
    assert "~ CAP-KÖLN  available 3 -> 5 (+2)" in result.stdout


@pytest.mark.parametrize("read", ["paged", "bulk"])
def test_a_sku_two_items_share_is_refused_and_their_levels_stay_two_rows(tmp_path, store_file,
                                                                           read):
    state = json.loads(store_file.read_text())
    state["items"].append({"id": "gid://shopify/InventoryItem/9", "sku": "TSHIRT-RED-M"})
    state["levels"].append({"id": 99, "item": "gid://shopify/InventoryItem/9",
                            "location": "gid://shopify/Location/1", "active": True,
                            "quantities": {"available": 5}})
    store_file.write_text(json.dumps(state))
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n"
                        "  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 52}\n")
    result = run("plan", manifest, "--store", store_file, "--read", read)
    assert result.exit_code == 1
    assert (f"{manifest}:5:5: Warehouse East / TSHIRT-RED-M: SKU 'TSHIRT-RED-M' is shared by 2 "
            "inventory items (gid://shopify/InventoryItem/1, gid://shopify/InventoryItem/9): "
            "name each of them by its id instead of the SKU, as gid://shopify/InventoryItem/N"
            ) in result.stdout
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n"
                        "  Warehouse East:\n"
                        "    gid://shopify/InventoryItem/1: {active: true, available: 52}\n"
                        "    gid://shopify/InventoryItem/9: {active: true, available: 6}\n")
    result = run("plan", manifest, "--store", store_file, "--read", read, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "| Warehouse East | 0 | 2 | 0 | +13 / -0 |" in result.stdout
    assert ("| ~ | Warehouse East | gid://shopify/InventoryItem/1 | available 40 → 52 (+12) |"
            in result.stdout)
    assert ("| ~ | Warehouse East | gid://shopify/InventoryItem/9 | available 5 → 6 (+1) |"
            in result.stdout)
    drift = run("drift", manifest, "--store", store_file, "--read", read)
    assert "  gid://shopify/InventoryItem/1  available: live 40, desired 52 (+12)" in drift.stdout
    assert "  gid://shopify/InventoryItem/9  available: live 5, desired 6 (+1)" in drift.stdout


def _drift_manifests(tmp_path, broken: str):
    folder = tmp_path / "stores"
    folder.mkdir()
    (folder / "east.yaml").write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\npolicy: {unmanaged: deactivate}\n"
        "locations:\n  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 45}\n")
    (folder / "broken.yaml").write_text(
        "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  Warehouse East:\n"
        f"    TSHIRT-RED-L: {broken}\n")
    return folder


def test_a_manifest_error_does_not_hide_drift(tmp_path, store_file):
    folder = _drift_manifests(tmp_path, "{active: yes, available: 0x10}")
    result = run("drift", folder, "--store", store_file, "--format", "json")
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert [(e["sku"], e["delta"]) for e in data["drift"]] == [("TSHIRT-RED-M", 5)]
    assert [e["code"] for e in data["errors"]] == ["manifest", "manifest"]
    assert data["errors"][0]["source"] == {"file": str(folder / "broken.yaml"), "line": 5,
                                           "column": 28}
    # The broken file's level is not reported as unmanaged (it is declared, just unreadable).
    assert [w["code"] for w in data["warnings"]] == ["unmanaged_not_checked"]
    assert "drift was checked where they could be read" in result.stderr
    text = run("drift", folder, "--store", store_file)
    assert text.exit_code == 2
    assert "Drift: 1 level differs from the manifests. 2 errors (see above)" in text.stdout


def test_a_manifest_error_without_drift_exits_1(tmp_path, store_file):
    folder = _drift_manifests(tmp_path, "{active: on}")
    (folder / "east.yaml").write_text((folder / "east.yaml").read_text().replace("45", "40"))
    result = run("drift", folder, "--store", store_file)
    assert result.exit_code == 1
    assert "No drift" not in result.stdout.replace("No drift found where", "")
    assert "No drift found where the manifests could be read, but 1 error" in result.stdout


def test_drift_prune_lists_unmanaged_levels_and_takes_a_selection(tmp_path, store_file):
    manifest = tmp_path / "one.yaml"
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n"
                        "  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 41}\n")
    result = run("drift", manifest, "--store", store_file, "--prune", "--format", "json")
    assert result.exit_code == 2 and "cannot deactivate" not in result.output
    data = json.loads(result.stdout)
    assert not data["errors"]
    assert sorted((e["sku"], e["desired"]) for e in data["drift"]) == [
        ("MUG-OLD", "unmanaged"), ("TSHIRT-RED-L", "unmanaged"), ("TSHIRT-RED-M", 41)]
    selected = run("drift", manifest, "--store", store_file, "--prune", "--format", "json",
                   "--exclude", "sku=TSHIRT-*")
    rows = json.loads(selected.stdout)
    assert [e["sku"] for e in rows["drift"]] == ["MUG-OLD"]
    assert [w["code"] for w in rows["warnings"]] == ["partial_plan"]


def test_a_401_without_a_token_says_none_was_given(store_file, http_emulator):
    state = json.loads(store_file.read_text())
    state["access_token"] = "shpat_secret"
    store_file.write_text(json.dumps(state))
    url = http_emulator(Emulator.load(store_file)).url.split("/admin/")[0]
    result = run("plan", QUICKSTART, "--store", url,
                 env={"SYNCER_STORE": "", "SHOPIFY_ACCESS_TOKEN": None})
    assert result.exit_code == 1
    assert ("needs an access token and none was given (HTTP 401): set SHOPIFY_CLIENT_ID and "
            "SHOPIFY_CLIENT_SECRET (an app installed on this shop), or SHOPIFY_ACCESS_TOKEN"
            ) in result.stderr
    assert "rejected" not in result.stderr
    wrong = run("plan", QUICKSTART, "--store", url,
                env={"SYNCER_STORE": "", "SHOPIFY_ACCESS_TOKEN": "shpat_wrong"})
    assert "rejected the access token (HTTP 401)" in wrong.stderr



def test_progress_says_1_level_not_1_levels(tmp_path, store_file):
    manifest = tmp_path / "one.yaml"
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n"
                        "  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 40}\n")
    result = run("plan", manifest, "--store", store_file)
    assert "Reading levels: 1 found, 1 / 1 looked up\n" in result.stderr, result.stderr
    assert "1 levels" not in result.stderr
