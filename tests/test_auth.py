"""Client credentials: syncer mints its own tokens (and mints again once after a 401), the
emulator serves the grant and enforces access scopes as live Shopify does."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import Emulator, VirtualClock
from syncer.emulator.scopes import ALL_SCOPES
from syncer.emulator.state import StateError, load_state
from syncer.errors import RefusedError, UsageError
from syncer.shopify import auth
from syncer.shopify.auth import (
    ClientCredentials,
    Credentials,
    check_names,
    credentials_from_env,
)
from syncer.shopify.http_transport import HttpTransport
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.scopes import missing_scopes
from syncer.shopify.stores import parse_store

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
MANIFEST = QUICKSTART / "inventory.yaml"
WRITE_ID, WRITE_SECRET = "cid-write", "shpss_WriteSecretNeverShown0123456789"
READ_ID, READ_SECRET = "cid-read", "shpss_ReadSecretNeverShown98765432100"
APPS = [{"client_id": WRITE_ID, "client_secret": WRITE_SECRET,
         "scopes": ["write_inventory", "read_locations"], "token_ttl_seconds": 86399},
        {"client_id": READ_ID, "client_secret": READ_SECRET,
         "scopes": ["read_inventory", "read_locations"]}]
SHOP_QUERY = "query Q { shop { myshopifyDomain } }"


def state(**extra) -> dict:
    data = json.loads((QUICKSTART / "store.json").read_text())
    data.pop("access_token", None)
    return {**data, "apps": APPS, **extra}


def write_state(tmp_path, **extra) -> Path:
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(**extra)))
    return path


def env(client_id=WRITE_ID, secret=WRITE_SECRET) -> dict:
    return {"SHOPIFY_CLIENT_ID": client_id, "SHOPIFY_CLIENT_SECRET": secret,
            "SHOPIFY_ACCESS_TOKEN": ""}


# --- which credentials ---------------------------------------------------------------------


def test_an_access_token_wins_over_client_credentials():
    both = {**env(), "SHOPIFY_ACCESS_TOKEN": "shpat_x"}
    found = credentials_from_env(both)
    assert (found.kind, found.token, found.describe()) == (
        "token", "shpat_x", "the access token in SHOPIFY_ACCESS_TOKEN")
    found = credentials_from_env(env())
    assert (found.kind, found.client_id, found.client_secret) == (
        "client_credentials", WRITE_ID, WRITE_SECRET)
    assert found.describe() == ("client credentials from SHOPIFY_CLIENT_ID and "
                                "SHOPIFY_CLIENT_SECRET")
    assert WRITE_SECRET not in repr(found) and credentials_from_env({}) is None


def test_half_a_pair_names_the_missing_variable():
    with pytest.raises(UsageError, match="^SHOPIFY_CLIENT_ID is set but SHOPIFY_CLIENT_SECRET "
                                         "is not: client credentials need both"):
        credentials_from_env({"SHOPIFY_CLIENT_ID": "x"})


def test_syncer_yaml_names_the_variables_not_the_values():
    names = check_names({"client_id": "US_ID", "client_secret": "US_SECRET"}, "us/syncer.yaml")
    found = credentials_from_env({"US_ID": "a", "US_SECRET": "b", **env()}, names)
    assert (found.client_id, found.client_secret, found.names) == ("a", "b",
                                                                   ("US_ID", "US_SECRET"))
    for value in (WRITE_SECRET, "shpat_0123456789abcdef0123", "has spaces", 12):
        with pytest.raises(UsageError) as info:
            check_names({"client_secret": value}, "us/syncer.yaml")
        assert str(value) not in str(info.value)
        assert str(info.value).startswith("us/syncer.yaml: credentials.client_secret must name "
                                          "an environment variable")
    with pytest.raises(UsageError, match="unknown key 'password'"):
        check_names({"password": "X"}, "us/syncer.yaml")


def test_scopes_each_command_needs():
    assert missing_scopes({"read_inventory", "read_locations"}, "plan") == []
    assert missing_scopes({"read_inventory", "read_locations"}, "apply") == ["write_inventory"]
    assert missing_scopes({"write_inventory", "read_locations"}, "apply") == []
    assert missing_scopes({"write_inventory", "read_locations"}, "apply", discounts=True) == [
        "read_discounts", "write_discounts"]


# --- the transport mints, and mints again once ----------------------------------------------


class Store:
    """A handler: 401 for ``rejected`` tokens, else 200; records the token of each request."""

    def __init__(self, rejected=()):
        self.rejected = set(rejected)
        self.tokens = []

    def __call__(self, body, headers, path):
        token = headers.get("X-Shopify-Access-Token")
        self.tokens.append(token)
        if token in self.rejected or token is None:
            return 401, {"errors": f"[API] Invalid API key or access token {token}"}
        return 200, {"data": {"shop": {"myshopifyDomain": "x.myshopify.com"}}}


class Minter:
    """A ``Post`` minting ``tok1``, ``tok2``, ...; records the forms it was sent."""

    def __init__(self):
        self.forms = []

    def __call__(self, form):
        self.forms.append(form)
        return 200, json.dumps({"access_token": f"tok{len(self.forms)}",
                                "scope": "read_inventory", "expires_in": 86399})


def _source(post):
    return ClientCredentials(credentials_from_env(env()), post, "the store", clock=lambda: 0.0)


def test_a_token_rejected_mid_run_is_minted_again_once():
    store, minter = Store(rejected={"tok1"}), Minter()
    transport = LocalTransport(store, auth=_source(minter), sleep=lambda s: None)
    assert transport.execute(SHOP_QUERY)["data"]
    assert store.tokens == ["tok1", "tok2"] and len(minter.forms) == 2
    assert minter.forms[0] == {"grant_type": "client_credentials", "client_id": WRITE_ID,
                               "client_secret": WRITE_SECRET}
    store.rejected.add("tok2")  # the next expiry: minted again, once more
    assert transport.execute(SHOP_QUERY)["data"] and store.tokens[-2:] == ["tok2", "tok3"]


def test_a_second_401_is_a_clear_refusal():
    store, minter = Store(rejected={"tok1", "tok2"}), Minter()
    transport = LocalTransport(store, auth=_source(minter), sleep=lambda s: None)
    with pytest.raises(RefusedError) as info:
        transport.execute(SHOP_QUERY)
    assert str(info.value) == (
        "the local store rejected an access token it had just minted (HTTP 401 twice): check "
        "that the app of SHOPIFY_CLIENT_ID is still installed on this store")
    assert store.tokens == ["tok1", "tok2"]


def test_a_static_token_is_not_retried_after_401():
    store = Store(rejected={"shpat_static"})
    transport = LocalTransport(store, token="shpat_static")
    with pytest.raises(RefusedError, match="rejected the access token .* SHOPIFY_ACCESS_TOKEN"):
        transport.execute(SHOP_QUERY)
    assert store.tokens == ["shpat_static"]


def test_an_echoed_minted_token_or_secret_is_masked():
    def echo(body, headers, path):
        return 400, {"errors": [{"message": f"bad {headers['X-Shopify-Access-Token']} "
                                            f"{WRITE_SECRET}"}]}

    transport = LocalTransport(echo, auth=_source(Minter()))
    with pytest.raises(Exception) as info:
        transport.execute(SHOP_QUERY)
    assert str(info.value) == "the local store answered HTTP 400: bad *** ***"


# --- against the emulator: the grant, expiry, refusals, scopes -------------------------------


def test_emulator_grant_and_refusals():
    emulator = Emulator.from_state(state(), clock=VirtualClock())
    status, text = emulator.oauth.post({"grant_type": "client_credentials",
                                        "client_id": READ_ID, "client_secret": READ_SECRET})
    body = json.loads(text)
    assert status == 200 and body["scope"] == "read_inventory,read_locations"
    assert body["expires_in"] == 86399 and body["access_token"].startswith("shpat_")
    wrong = emulator.oauth.post({"grant_type": "client_credentials", "client_id": READ_ID,
                                 "client_secret": "nope"})
    assert wrong[0] == 400 and "<title>400 - Oauth error invalid_client</title>" in wrong[1]
    unknown = emulator.oauth.post({"grant_type": "client_credentials", "client_id": "x<y",
                                   "client_secret": "nope"})
    assert unknown[0] == 400 and ("Oauth error application_cannot_be_found: Could not find "
                                  "Shopify API application with api_key x&lt;y") in unknown[1]
    assert emulator.oauth.post({"grant_type": "password"})[0] == 400


def test_emulator_tokens_expire_on_its_clock(tmp_path):
    clock = VirtualClock()
    emulator = Emulator.from_state(state(), clock=clock)
    emulator.oauth.ttl = 60  # syncer emulator --token-ttl 60
    token = json.loads(emulator.oauth.post({"grant_type": "client_credentials",
                                            "client_id": READ_ID,
                                            "client_secret": READ_SECRET})[1])["access_token"]
    headers = {"X-Shopify-Access-Token": token}
    assert emulator.handle({"query": SHOP_QUERY}, headers)[0] == 200
    clock.advance(59.9)
    assert emulator.handle({"query": SHOP_QUERY}, headers)[0] == 200
    clock.advance(0.1)
    status, body = emulator.handle({"query": SHOP_QUERY}, headers)
    assert (status, body["errors"]) == (401, "[API] Invalid API key or access token "
                                             "(unrecognized login or wrong password)")


def test_emulator_denies_a_field_as_live_shopify_does():
    emulator = Emulator.from_state(state(apps=[{**APPS[0], "scopes": ["read_locations"]}]))
    token = json.loads(emulator.oauth.post({"grant_type": "client_credentials",
                                            "client_id": WRITE_ID,
                                            "client_secret": WRITE_SECRET})[1])["access_token"]
    query = ("query Q { shop { myshopifyDomain }\n"
             "  inventoryLevel(id: \"gid://shopify/InventoryLevel/1\") { id } }")
    status, body = emulator.handle({"query": query}, {"X-Shopify-Access-Token": token})
    assert status == 200
    assert body["data"] == {"shop": {"myshopifyDomain": "quickstart.myshopify.com"},
                            "inventoryLevel": None}
    assert body["errors"] == [{
        "message": "Access denied for inventoryLevel field. Required access: `read_inventory` "
                   "access scope.",
        "locations": [{"line": 2, "column": 3}],
        "path": ["inventoryLevel"],
        "extensions": {"code": "ACCESS_DENIED",
                       "documentation": "https://shopify.dev/api/usage/access-scopes",
                       "requiredAccess": "`read_inventory` access scope."}}]


def test_current_app_installation_lists_the_granted_scopes():
    emulator = Emulator.from_state({**state(), "access_token": "shpat_legacy"})
    query = "{ currentAppInstallation { accessScopes { handle } } }"

    def handles(token):
        body = emulator.handle({"query": query}, {"X-Shopify-Access-Token": token})[1]
        return [s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]]

    assert handles("shpat_legacy") == list(ALL_SCOPES)  # a legacy custom app: every scope
    minted = json.loads(emulator.oauth.post({"grant_type": "client_credentials",
                                             "client_id": READ_ID,
                                             "client_secret": READ_SECRET})[1])["access_token"]
    assert handles(minted) == ["read_inventory", "read_locations"]


def test_state_file_apps_are_checked_and_kept(tmp_path):
    path = write_state(tmp_path)
    emulator = Emulator.load(path)
    emulator.save()
    assert json.loads(path.read_text())["apps"] == APPS
    path.write_text(json.dumps(state(apps=[{"client_id": "a", "scopes": ["admin"]}])))
    with pytest.raises(StateError) as info:
        load_state(path)
    assert "apps[0].client_secret: required, a non-empty string" in str(info.value)
    assert "apps[0].scopes[0]: must be an access scope such as read_inventory, got 'admin'" \
        in str(info.value)


# --- end to end: plan and apply with only client credentials ---------------------------------


def test_plan_and_apply_with_client_credentials_while_tokens_expire(tmp_path, caplog):
    """A simulated clock and 1 s of latency per request: each 2.5 s token expires during the
    run, and syncer mints a new one each time, without any step applied twice."""
    path = write_state(tmp_path, clock="2026-04-01T00:00:00Z",
                       faults={"latency_ms": [1000, 1000]},
                       apps=[{**APPS[0], "token_ttl_seconds": 2}])
    caplog.set_level(logging.INFO, logger="syncer.shopify.auth")
    runner = CliRunner()
    plan = runner.invoke(cli, ["plan", str(MANIFEST), "--store", str(path), "-o",
                               str(tmp_path / "plan.json")], env=env())
    assert plan.exit_code == 0, plan.output
    applied = runner.invoke(cli, ["apply", str(tmp_path / "plan.json")], env=env())
    assert applied.exit_code == 0, applied.output
    assert "Applied: 2 activated, 3 adjusted (+40/-2 units), 1 deactivated" in applied.stdout
    again = runner.invoke(cli, ["plan", str(MANIFEST), "--store", str(path),
                                "--detailed-exitcode"], env=env())
    assert again.exit_code == 0, again.output
    minted = [r for r in caplog.records if r.getMessage().startswith("Minted an access token")]
    assert len(minted) >= 4  # one per run at least, and more as tokens expired mid-run
    assert any("rejected the access token (expired?)" in r.getMessage() for r in caplog.records)


def test_plan_over_http_with_client_credentials(tmp_path, http_emulator):
    emulator = Emulator.load(write_state(tmp_path))
    server = http_emulator(emulator)
    store = f"http://127.0.0.1:{server.server_address[1]}"
    result = CliRunner().invoke(cli, ["plan", str(MANIFEST), "--store", store],
                                env=env(READ_ID, READ_SECRET))
    assert result.exit_code == 0, result.output
    assert "Plan: 2 to activate, 3 to adjust" in result.stdout
    wrong = CliRunner().invoke(cli, ["plan", str(MANIFEST), "--store", store],
                               env=env(READ_ID, "shpss_nope"))
    assert wrong.exit_code == 1
    assert wrong.stderr.strip().splitlines()[-1] == (
        f"Error: {store} refused to mint an access token (HTTP 400, Oauth error "
        "invalid_client): the client secret in SHOPIFY_CLIENT_SECRET does not match the client "
        "id: copy the app's current secret from the Dev Dashboard (a rotated secret stops "
        "working)")


def test_a_shopify_store_without_credentials_says_what_to_set():
    with pytest.raises(UsageError) as info:
        HttpTransport.for_store(parse_store("us.myshopify.com"), env={})
    assert str(info.value) == (
        "store us.myshopify.com needs credentials: set SHOPIFY_CLIENT_ID and "
        "SHOPIFY_CLIENT_SECRET (a Dev Dashboard app installed on the store), or "
        "SHOPIFY_ACCESS_TOKEN (an Admin API access token)")


def test_token_source_describes_itself_without_secrets():
    source = auth.token_source(Credentials("client_credentials", ("A", "B"), client_id="i",
                                           client_secret=READ_SECRET), Minter(), "the store")
    assert READ_SECRET not in repr(source) and source.describe() == (
        "client credentials from A and B")


def test_a_read_only_apps_apply_is_refused_before_any_write(tmp_path):
    """Issue 26: a plan made with a read-only app applies with it: refused before the first
    write, naming the missing scope (it used to reach the store, every field answered
    ACCESS_DENIED, and it stopped with exit 5)."""
    path = write_state(tmp_path)
    runner = CliRunner()
    plan = runner.invoke(cli, ["plan", str(MANIFEST), "--store", str(path), "-o",
                               str(tmp_path / "plan.json")], env=env(READ_ID, READ_SECRET))
    assert plan.exit_code == 0, plan.output
    before = json.loads(path.read_text())["levels"]
    refused = runner.invoke(cli, ["apply", str(tmp_path / "plan.json")],
                            env=env(READ_ID, READ_SECRET))
    assert refused.exit_code == 1, refused.output
    assert "lacks the access scope write_inventory that apply needs" in refused.stderr
    assert "nothing was applied" in refused.stderr
    assert json.loads(path.read_text())["levels"] == before
    applied = runner.invoke(cli, ["apply", str(tmp_path / "plan.json")], env=env())
    assert applied.exit_code == 0, applied.output
