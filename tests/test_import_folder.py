"""``import -o DIR`` makes a working store folder (issue 26): ``DIR/syncer.yaml`` names the store
(never a secret, never an absolute path), the schema comment works in the user's repository,
a folder holding manifests is refused before the store is read, and the next command printed
works as typed."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SECRET = "shpss_ImportFolderSecret0123456789abcdef"


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args],
                                env={"SYNCER_STORE": "", **(env or {})})
    assert "Traceback" not in result.output
    return result


def test_the_folder_names_its_store_and_the_next_command_works_as_typed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(QUICKSTART / "store.json", "store.json")
    result = run("import", "-o", "stores/us shop", "--store", "store.json", "--api-version",
                 "2026-07")
    assert result.exit_code == 0, result.output
    config = (tmp_path / "stores/us shop/syncer.yaml").read_text(encoding="utf-8")
    assert 'store: "../../store.json"\napi_version: 2026-07\n' in config
    assert str(tmp_path) not in config
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("Next: syncer plan 'stores/us shop' --detailed-exitcode")
    typed = shlex.split(last.split("Next: ", 1)[1])
    assert typed[:2] == ["syncer", "plan"]
    again = run(*typed[1:])  # no --store, no SYNCER_STORE: the folder's syncer.yaml
    assert again.exit_code == 0, again.output
    assert "No changes. The store matches the manifests." in again.stdout
    assert run("validate", "stores/us shop").exit_code == 0


def test_a_shops_syncer_yaml_holds_no_secret(tmp_path, http_emulator):
    state = json.loads((QUICKSTART / "store.json").read_text())
    state.pop("access_token", None)
    state["apps"] = [{"client_id": "cid", "client_secret": SECRET,
                      "scopes": ["read_inventory", "read_locations"]}]
    (tmp_path / "store.json").write_text(json.dumps(state))
    server = http_emulator(Emulator.load(tmp_path / "store.json"))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    result = run("import", "-o", tmp_path / "out", "--store", url,
                 env={"SHOPIFY_CLIENT_ID": "cid", "SHOPIFY_CLIENT_SECRET": SECRET,
                      "SHOPIFY_ACCESS_TOKEN": ""})
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "out").iterdir():
        assert SECRET not in path.read_text(encoding="utf-8"), path
    assert f"store: {url}\n" in (tmp_path / "out/syncer.yaml").read_text(encoding="utf-8")


def test_a_folder_with_manifests_is_refused_before_the_store_is_read(tmp_path, http_emulator):
    emulator = Emulator.load(QUICKSTART / "store.json")
    server = http_emulator(emulator)
    (tmp_path / "out").mkdir()
    (tmp_path / "out/old.yaml").write_text("# mine\n")
    before = emulator.requests
    result = run("import", "-o", tmp_path / "out", "--store",
                 f"http://127.0.0.1:{server.server_address[1]}",
                 env={"SHOPIFY_ACCESS_TOKEN": emulator.store.access_token or "x"})
    assert result.exit_code == 1
    assert "old.yaml already exists; nothing was read or written" in result.stderr
    assert emulator.requests == before  # not one query
    assert (tmp_path / "out/old.yaml").read_text() == "# mine\n"


def test_a_location_named_syncer_does_not_take_the_folders_settings_file(tmp_path):
    state = json.loads((QUICKSTART / "store.json").read_text())
    state["locations"][0]["name"] = "Syncer"  # its manifest would have been syncer.yaml
    (tmp_path / "store.json").write_text(json.dumps(state))
    result = run("import", "-o", tmp_path / "out", "--store", tmp_path / "store.json")
    assert result.exit_code == 0, result.output
    number = state["locations"][0]["id"].rsplit("/", 1)[-1]
    assert (tmp_path / f"out/syncer-{number}.yaml").is_file()
    assert "store:" in (tmp_path / "out/syncer.yaml").read_text()
    plan = run("plan", tmp_path / "out", "--detailed-exitcode")  # every level planned
    assert plan.exit_code == 0, plan.output
