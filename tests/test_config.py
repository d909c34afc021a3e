"""syncer.yaml beside the manifests: settings without flags, overrides, validation, fleets."""

import json
import shutil
from pathlib import Path

import pytest
from helpers import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


def store_folder(root: Path, name: str, config: str | None, available: int = 52) -> Path:
    folder = root / "stores" / name
    folder.mkdir(parents=True)
    shutil.copy(QUICKSTART / "store.json", folder / "store.json")
    text = (QUICKSTART / "inventory.yaml").read_text(encoding="utf-8")
    (folder / "inventory.yaml").write_text(
        text.replace("available: 52", f"available: {available}"), encoding="utf-8")
    if config is not None:
        (folder / "syncer.yaml").write_text(config, encoding="utf-8")
    return folder


def test_plan_needs_no_flags_with_syncer_yaml(tmp_path, monkeypatch):
    folder = store_folder(tmp_path, "us", "store: store.json\napi_version: 2026-04\nread: scan\n")
    monkeypatch.chdir(tmp_path)
    result = run("plan", "stores/us", "-o", "plan.json", "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr
    assert "TSHIRT-RED-M   available 40 -> 52 (+12)" in result.stdout
    assert "(Warehouse East)" in result.stderr  # read: scan pages through the location
    saved = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert saved["api_version"] == "2026-04"
    assert saved["store"] == str((folder / "store.json").resolve())
    assert run("validate", "stores/us").exit_code == 0  # the config is not read as a manifest


def test_flags_and_environment_override_the_config(tmp_path, monkeypatch):
    # the emulator serves 2026-04, 2026-07 and 2026-10: a request with 2027-01 gets HTTP 404
    store_folder(tmp_path, "us", "store: missing.json\napi_version: 2027-01\n")
    monkeypatch.chdir(tmp_path)
    assert "missing.json" in run("plan", "stores/us").stderr
    other = tmp_path / "stores" / "us" / "store.json"
    by_flag = run("plan", "stores/us", "--store", other)
    assert by_flag.exit_code == 1 and "API version 2027-01" in by_flag.stderr  # from the config
    by_env = run("plan", "stores/us", "-o", "b.json",
                 env={"SYNCER_STORE": str(other), "SYNCER_API_VERSION": "2026-04"})
    assert by_env.exit_code == 0, by_env.stderr
    assert json.loads(Path("b.json").read_text())["api_version"] == "2026-04"
    flag_wins = run("plan", "stores/us", "--store", other, "--api-version", "2026-04",
                    env={"SYNCER_API_VERSION": "2026-10"})
    assert flag_wins.exit_code == 0, flag_wins.stderr


def test_apply_records_the_configured_reason_and_reference(tmp_path, monkeypatch):
    config = ("store: store.json\nreason: restock\n"
              "reference: https://example.test/stock/plans/{plan_id}\n")
    folder = store_folder(tmp_path, "us", config)
    monkeypatch.chdir(tmp_path)
    assert run("plan", "stores/us", "-o", "plan.json").exit_code == 0
    plan_id = json.loads(Path("plan.json").read_text())["plan_id"]
    applied = run("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    state = (folder / "store.json").read_text(encoding="utf-8")
    assert f"https://example.test/stock/plans/{plan_id}" in state
    assert '"reason": "Restock"' in state  # the emulator records the reason's display name


def test_validate_checks_syncer_yaml(tmp_path):
    folder = store_folder(tmp_path, "us", "store: 5\nread: fast\nregion: eu\n")
    result = run("validate", folder)
    assert result.exit_code == 1
    config = str(folder / "syncer.yaml")
    assert f"{config}:1:8:" in result.stderr  # store: 5 is not a string
    assert f"{config}:2:7:" in result.stderr  # read: fast
    assert f"{config}:3:1:" in result.stderr  # region: unknown
    assert run("plan", folder).exit_code == 1


def test_plan_a_fleet_each_against_its_own_store(tmp_path, monkeypatch):
    store_folder(tmp_path, "us", "store: store.json\n", available=52)
    store_folder(tmp_path, "eu", "store: store.json\n", available=41)
    monkeypatch.chdir(tmp_path)
    result = run("plan", "stores/eu", "stores/us", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    eu, us = result.stdout.split("=== stores/us ")
    assert eu.startswith("=== stores/eu (stores/eu/store.json) ===\nStore: quickstart "
                         "(quickstart.myshopify.com) in the state file stores/eu/store.json, "
                         "API 2026-10\n\nWarehouse East\n")
    assert "available 40 -> 41 (+1)" in eu and "40 -> 52" not in eu
    assert "available 40 -> 52 (+12)" in us and "40 -> 41" not in us
    assert "[stores/us] Reading" in result.stderr

    as_json = json.loads(run("plan", "stores/eu", "stores/us", "-f", "json").stdout)
    assert [s["name"] for s in as_json["stores"]] == ["stores/eu", "stores/us"]
    assert all(s["exit_code"] == 0 and s["result"]["changes"] for s in as_json["stores"])

    assert run("plan", "stores/eu", "stores/us", "-o", "p.json").exit_code == 64


def test_one_failing_store_does_not_hide_the_others(tmp_path, monkeypatch):
    store_folder(tmp_path, "us", "store: store.json\n")
    store_folder(tmp_path, "eu", "store: gone.json\n")
    monkeypatch.chdir(tmp_path)
    result = run("drift", "stores/eu", "stores/us", "-f", "markdown")
    assert result.exit_code not in (0, 2)
    assert "## stores/eu" in result.stdout and "Error: " in result.stdout
    assert "## stores/us" in result.stdout and "### syncer drift" in result.stdout


@pytest.mark.parametrize("value", ["turbo", "fast"])
def test_bad_read_mode_from_the_environment(tmp_path, monkeypatch, value):
    store_folder(tmp_path, "us", "store: store.json\n")
    monkeypatch.chdir(tmp_path)
    result = run("plan", "stores/us", env={"SYNCER_READ": value})
    assert result.exit_code == 64
    assert f"SYNCER_READ={value!r}" in result.stderr


def test_drift_writes_each_fleet_folder_against_its_own_store(tmp_path, monkeypatch):
    store_folder(tmp_path, "us", "store: store.json\n", available=52)
    store_folder(tmp_path, "eu", "store: store.json\n", available=41)
    monkeypatch.chdir(tmp_path)
    result = run("drift", "stores/eu", "stores/us", "--write-manifests")
    assert result.exit_code == 2, result.output
    for name in ("eu", "us"):
        text = (tmp_path / "stores" / name / "inventory.yaml").read_text(encoding="utf-8")
        assert "TSHIRT-RED-M: {active: true, available: 40, damaged: 2}" in text
    assert run("drift", "stores/eu", "stores/us").exit_code == 0


def test_fleet_drift_wins_over_errors_as_for_one_store(tmp_path, monkeypatch):
    us = store_folder(tmp_path, "us", "store: store.json\n", available=52)
    store_folder(tmp_path, "eu", "store: store.json\n", available=40)
    manifest = us / "inventory.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        + "    NO-SUCH-SKU: {active: true}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    single = run("drift", "stores/us")
    assert single.exit_code == 2, single.output
    fleet = run("drift", "stores/eu", "stores/us", "-f", "json")
    assert fleet.exit_code == 2, fleet.output
    codes = {s["name"]: s["exit_code"] for s in json.loads(fleet.stdout)["stores"]}
    assert codes["stores/us"] == 2
