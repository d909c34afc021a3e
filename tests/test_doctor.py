"""``syncer doctor`` (issue 26): which store it reached and how, and whether each command can
run there; a read-only app is ready for plan but not for apply, and every problem says what to
do. Against the emulator over HTTP with its installed apps, as a new user's first run is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator
from syncer.emulator.schema import build_emulator_schema
from syncer.emulator.versions import LATEST
from syncer.shopify.storecheck import STORE_CHECK_QUERY

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
WRITE_ID, WRITE_SECRET = "cid-write", "shpss_DoctorWriteSecret0123456789abcd"
READ_ID, READ_SECRET = "cid-read", "shpss_DoctorReadSecret0123456789abcde"
BLIND_ID, BLIND_SECRET = "cid-blind", "shpss_DoctorBlindSecret0123456789abc"
APPS = [{"client_id": WRITE_ID, "client_secret": WRITE_SECRET,
         "scopes": ["write_inventory", "read_locations"], "token_ttl_seconds": 86399},
        {"client_id": READ_ID, "client_secret": READ_SECRET,
         "scopes": ["read_inventory", "read_locations"]},
        {"client_id": BLIND_ID, "client_secret": BLIND_SECRET, "scopes": ["read_inventory"]}]


@pytest.fixture
def store(tmp_path, http_emulator):
    """``(url, emulator)``: the quickstart shop with three apps, served over HTTP."""
    data = json.loads((QUICKSTART / "store.json").read_text())
    data.pop("access_token", None)
    path = tmp_path / "store.json"
    path.write_text(json.dumps({**data, "apps": APPS}))
    emulator = Emulator.load(path)
    server = http_emulator(emulator)
    return f"http://127.0.0.1:{server.server_address[1]}", emulator


def doctor(store_url, client_id, secret, *args):
    env = {"SHOPIFY_CLIENT_ID": client_id, "SHOPIFY_CLIENT_SECRET": secret,
           "SHOPIFY_ACCESS_TOKEN": "", "SYNCER_STORE": ""}
    result = CliRunner().invoke(cli, ["doctor", "--store", store_url, *args], env=env)
    assert "Traceback" not in result.output
    assert secret not in result.output  # nor the minted token: test_secrets.py
    return result


def test_the_write_app_is_ready_for_apply_and_says_how_it_authenticated(store):
    url, _ = store
    result = doctor(url, WRITE_ID, WRITE_SECRET, "--for", "apply")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Store:       quickstart (quickstart.myshopify.com)\n"
                          f"Reached at:  {url}\nAPI version: 2026-10\n"
                          "Rate limit:  2000 points, restoring 100 a second\n")
    assert ("Auth:        client credentials from SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET;"
            " token expires in 23 h 59 min\n") in out
    assert "Scopes:      read_locations, write_inventory\n" in out
    assert "  apply   ready\n" in out
    assert "  ok  locations: 2\n" in out and "  ok  bulk operation: none running\n" in out
    assert out.endswith("Ready for plan, drift, import, apply.\n")


def test_a_read_only_app_is_ready_for_plan_and_not_for_apply(store):
    url, _ = store
    ready = doctor(url, READ_ID, READ_SECRET)
    assert ready.exit_code == 0, ready.output
    assert "  apply   missing write_inventory   (not checked: --for apply)\n" in ready.stdout
    refused = doctor(url, READ_ID, READ_SECRET, "--for", "apply")
    assert refused.exit_code == 1
    assert "  NO  apply: missing scope write_inventory\n" in refused.stdout
    assert "what to do: add write_inventory to the app's access scopes" in refused.stdout
    assert refused.stdout.endswith("Not ready for plan, drift, import, apply: 1 problem(s) "
                                   "above.\n")


def test_an_app_without_read_locations_is_told_what_is_missing(store):
    url, _ = store
    result = doctor(url, BLIND_ID, BLIND_SECRET, "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found["ready"] is False
    assert found["commands"]["plan"] == {"ready": False, "needs": ["read_inventory",
                                         "read_locations"], "missing": ["read_locations"],
                                         "checked": True}
    assert found["locations"] is None
    assert found["denied"] == {"locationsCount": "`read_locations` access scope."}
    problems = {c["name"]: c for c in found["checks"] if not c["ok"]}
    assert set(problems) == {"plan", "drift", "import", "locations"}
    assert all(c["fix"] for c in problems.values())
    assert found["shop"] == {"name": "quickstart", "myshopifyDomain": "quickstart.myshopify.com"}
    assert found["authentication"]["method"].startswith("client credentials from ")


def test_a_running_bulk_operation_is_reported(store):
    url, emulator = store
    emulator.bulk.instant = False  # a bulk query that takes time (it is a served store)
    started = emulator.bulk.run_query(build_emulator_schema(LATEST), emulator.store,
                                      "{ locations { edges { node { id } } } }",
                                      "2026-04-01T00:00:00Z")
    assert started["userErrors"] == []
    result = doctor(url, READ_ID, READ_SECRET, "--format", "json")
    assert result.exit_code == 1
    running = json.loads(result.stdout)["bulk_operation_running"]
    assert running["id"] == "gid://shopify/BulkOperation/1"
    assert running["status"] in ("CREATED", "RUNNING")


def test_a_store_that_is_not_there_is_an_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["doctor", "--store", str(tmp_path / "missing.json")],
                                env={"SYNCER_STORE": ""})
    assert result.exit_code == 64
    assert "Traceback" not in result.output and "missing.json" in result.stderr


def test_the_store_check_is_one_query(store):
    url, emulator = store
    before = emulator.requests
    assert doctor(url, READ_ID, READ_SECRET).exit_code == 0
    assert emulator.requests - before == 1
    assert STORE_CHECK_QUERY.lstrip().startswith("query SyncerStoreCheck")


def test_doctor_never_shows_the_secret_or_the_minted_token(store, caplog):
    url, emulator = store
    minted = []
    post = emulator.oauth.post

    def recording(form):
        status, text = post(form)
        if status == 200:
            minted.append(json.loads(text)["access_token"])
        return status, text

    emulator.oauth.post = recording
    caplog.set_level("DEBUG")
    results = [doctor(url, WRITE_ID, WRITE_SECRET, "-v", *fmt)
               for fmt in ((), ("--format", "json"))]
    assert len(minted) == 2
    for result in results:
        assert result.exit_code == 0, result.output
        for secret in (WRITE_SECRET, *minted):
            assert secret not in result.output and secret not in caplog.text
