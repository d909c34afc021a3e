"""A fleet's ``syncer.yaml`` names which environment variables hold each store's credentials
(issue 26), never the values; ``SYNCER_STORE`` overriding a folder's store says so."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SECRETS = {"us": "shpss_UsFleetSecret0123456789abcdefAB",
           "eu": "shpss_EuFleetSecret0123456789abcdefCD"}


def fleet(tmp_path, http_emulator) -> dict[str, str]:
    """Two store folders, each an emulator over HTTP with its own app, each syncer.yaml naming
    its own variables."""
    urls = {}
    for name in ("us", "eu"):
        folder = tmp_path / "stores" / name
        folder.mkdir(parents=True)
        state = json.loads((QUICKSTART / "store.json").read_text())
        state.pop("access_token", None)
        state["apps"] = [{"client_id": f"cid-{name}", "client_secret": SECRETS[name],
                          "scopes": ["read_inventory", "read_locations"]}]
        (folder / "store.json").write_text(json.dumps(state))
        server = http_emulator(Emulator.load(folder / "store.json"))
        urls[name] = f"http://127.0.0.1:{server.server_address[1]}"
        (folder / "syncer.yaml").write_text(
            f"store: {urls[name]}\ncredentials:\n  client_id: {name.upper()}_CLIENT_ID\n"
            f"  client_secret: {name.upper()}_CLIENT_SECRET\n")
        (folder / "inventory.yaml").write_text((QUICKSTART / "inventory.yaml").read_text())
    return urls


def test_each_store_of_a_fleet_uses_its_own_credentials(tmp_path, http_emulator, monkeypatch):
    fleet(tmp_path, http_emulator)
    monkeypatch.chdir(tmp_path)
    env = {"SYNCER_STORE": "", "SHOPIFY_ACCESS_TOKEN": "", "SHOPIFY_CLIENT_ID": "",
           "SHOPIFY_CLIENT_SECRET": "", "US_CLIENT_ID": "cid-us",
           "US_CLIENT_SECRET": SECRETS["us"], "EU_CLIENT_ID": "cid-eu",
           "EU_CLIENT_SECRET": SECRETS["eu"]}
    result = CliRunner().invoke(cli, ["plan", "stores/eu", "stores/us", "-v"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Plan: 2 to activate, 3 to adjust") == 2
    assert "client credentials from EU_CLIENT_ID and EU_CLIENT_SECRET" in result.stderr
    assert "client credentials from US_CLIENT_ID and US_CLIENT_SECRET" in result.stderr
    for secret in SECRETS.values():
        assert secret not in result.output
    # swapped: each store refuses the other's app
    swapped = {**env, "US_CLIENT_SECRET": SECRETS["eu"], "EU_CLIENT_SECRET": SECRETS["us"]}
    refused = CliRunner().invoke(cli, ["plan", "stores/us"], env=swapped)
    assert refused.exit_code == 1 and "US_CLIENT_SECRET does not match" in refused.stderr


def test_validate_refuses_a_secret_in_syncer_yaml_without_showing_it(tmp_path):
    folder = tmp_path / "stores" / "us"
    folder.mkdir(parents=True)
    (folder / "inventory.yaml").write_text((QUICKSTART / "inventory.yaml").read_text())
    (folder / "syncer.yaml").write_text(
        f"store: us.myshopify.com\ncredentials:\n  client_secret: {SECRETS['us']}\n")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "syncer.yaml:3:18: credentials.client_secret: must name an environment variable" \
        in result.output
    assert SECRETS["us"] not in result.output


def test_syncer_store_overriding_a_folders_store_is_a_warning(tmp_path, monkeypatch):
    folder = tmp_path / "stores" / "us"
    folder.mkdir(parents=True)
    (folder / "inventory.yaml").write_text((QUICKSTART / "inventory.yaml").read_text())
    (folder / "store.json").write_text((QUICKSTART / "store.json").read_text())
    (tmp_path / "other.json").write_text((QUICKSTART / "store.json").read_text())
    (folder / "syncer.yaml").write_text("store: store.json\n")
    monkeypatch.chdir(tmp_path)
    over = CliRunner().invoke(cli, ["plan", "stores/us", "--quiet"],
                              env={"SYNCER_STORE": "other.json"})
    assert over.exit_code == 0, over.output
    assert ("Warning: SYNCER_STORE=other.json overrides store: stores/us/store.json in "
            "stores/us/syncer.yaml; unset SYNCER_STORE to use the folder's store") in over.stderr
    flag = CliRunner().invoke(cli, ["plan", "stores/us", "--store", "other.json"],
                              env={"SYNCER_STORE": ""})
    assert flag.exit_code == 0 and "Warning" not in flag.stderr  # a flag is explicit
    same = CliRunner().invoke(cli, ["plan", "stores/us"],
                              env={"SYNCER_STORE": "stores/us/store.json"})
    assert same.exit_code == 0 and "Warning" not in same.stderr
