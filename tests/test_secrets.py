"""The access token never leaks: not to stdout, stderr, logs at any level, exceptions or plans.

The emulator is served over HTTP with a token; ``syncer plan`` and ``syncer drift`` run with
``SHOPIFY_ACCESS_TOKEN`` set and every logger at DEBUG, in good runs and failing ones (wrong
token, 500s until retries give up, malformed answers, a store that echoes the token back).
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import API_PATH, Emulator, serve
from syncer.errors import SyncerError
from syncer.shopify.http_transport import HttpTransport
from syncer.shopify.stores import parse_store
from syncer.shopify.transport import TOKEN_HEADER
from tests.test_hostile_input import TamperServer

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
MANIFEST = QUICKSTART / "inventory.yaml"
SECRET = "shpat_Zq9SecretTokenNeverPrint0123456789"
WRONG = "shpat_Wr0ngTokenAlsoNeverPrinted98765"
CREDENTIAL_WORDS = ("token", "secret", "password", "credential", "authorization", "api_key")


@pytest.fixture
def emulator(tmp_path):
    state = json.loads((QUICKSTART / "store.json").read_text())
    state["access_token"] = SECRET
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state))
    emulator = Emulator.load(path)
    emulator.path = None  # plans never write; keep the file as it is
    return emulator


@pytest.fixture
def server(emulator, http_emulator):
    return http_emulator(emulator)


@pytest.fixture
def captured(caplog):
    """Every log record at DEBUG, through caplog and a plain root handler with a formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    for name in ("gql", "gql.transport.requests", "urllib3", "syncer"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog, stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _run(args, token=SECRET):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"SHOPIFY_ACCESS_TOKEN": token})


def _assert_no_secret(result, captured, *secrets, files=()):
    caplog, stream = captured
    texts = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "caplog": caplog.text,
        "records": "\n".join(
            f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
        ),
        "root handler": stream.getvalue(),
        "exception": f"{result.exception!s} {result.exception!r}",
    }
    for path in files:
        texts[str(path)] = Path(path).read_text()
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"the token leaked into {where}"
    assert "Traceback" not in result.output


def test_plan_and_drift_over_http_never_show_the_token(server, captured, tmp_path):
    store = f"http://127.0.0.1:{server.server_address[1]}"
    out = tmp_path / "plan.json"
    result = _run(["plan", MANIFEST, "--store", store, "-o", out])
    assert result.exit_code == 0, result.output
    assert "Plan: 2 to activate, 3 to adjust" in result.stdout
    assert captured[0].records, "DEBUG logging captured nothing: the check would be empty"
    _assert_no_secret(result, captured, SECRET, files=[out])
    drift = _run(["drift", MANIFEST, "--store", store, "--format", "json"])
    assert drift.exit_code == 2, drift.output
    _assert_no_secret(drift, captured, SECRET)


def test_saved_plan_holds_no_credentials(server, tmp_path):
    out = tmp_path / "plan.json"
    store = f"http://127.0.0.1:{server.server_address[1]}"
    result = _run(["plan", MANIFEST, "--store", store, "-o", out])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert SECRET not in text
    document = json.loads(text)
    assert document["store"] == store

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    suspicious = [k for k in keys(document) if any(w in k.lower() for w in CREDENTIAL_WORDS)]
    assert suspicious == []
    assert "shpat_" not in text and TOKEN_HEADER.lower() not in text.lower()


def test_plan_from_a_state_file_with_a_token_saves_no_token(emulator, tmp_path):
    state = tmp_path / "store.json"
    out = tmp_path / "plan.json"
    result = _run(["plan", MANIFEST, "--store", state, "-o", out])
    assert result.exit_code == 0, result.output
    assert SECRET not in out.read_text() and SECRET not in result.output


def test_wrong_token_is_refused_without_showing_either_token(server, captured):
    store = f"http://127.0.0.1:{server.server_address[1]}"
    result = _run(["plan", MANIFEST, "--store", store], token=WRONG)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {store} rejected the access token (HTTP 401): check SHOPIFY_ACCESS_TOKEN "
        "(an Admin API access token for this shop)"
    )
    _assert_no_secret(result, captured, SECRET, WRONG)


def test_missing_token_is_refused(server, captured):
    store = f"http://127.0.0.1:{server.server_address[1]}"
    result = CliRunner().invoke(cli, ["plan", str(MANIFEST), "--store", store], env={
        "SHOPIFY_ACCESS_TOKEN": ""})
    assert result.exit_code == 1
    # No token was given, so none was "rejected": the message says what to set.
    assert "needs an access token and none was given (HTTP 401)" in result.stderr
    _assert_no_secret(result, captured, SECRET)


def _echo(status, headers=None):
    """A store that answers ``status`` with the token it was sent in its error message."""

    def tamper(document, _status, _body):
        return status, {"errors": f"header X-Shopify-Access-Token {SECRET} rejected"}, headers or {}

    return tamper


def _failing_server(emulator, tamper):
    return TamperServer(emulator, tamper)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_echo(500, {"Retry-After": "0"}), "still failing after 5 attempts: HTTP 500"),
        (_echo(503, {"Retry-After": "0"}), "still failing after 5 attempts: HTTP 503"),
        (_echo(400), "answered HTTP 400: header X-Shopify-Access-Token *** rejected"),
        (_echo(402), "answered HTTP 402: header X-Shopify-Access-Token *** rejected"),
        (
            lambda d, s, b: (200, {"errors": [{"message": f"token {SECRET} is odd",
                                               "extensions": {"code": "ODD_TOKEN"}}]}),
            "Error: Shopify answered with errors: ODD_TOKEN: token *** is odd",
        ),
        (
            lambda d, s, b: (200, {"data": {"locations": {"nodes": [{"name": SECRET}],
                                                          "pageInfo": {"hasNextPage": False}}}}),
            "malformed answer from the store: a location field 'id' is missing in "
            '{"name": "***"}',
        ),
        (lambda d, s, b: (200, f"<html>{SECRET}</html>".encode()),
         "did not answer with GraphQL JSON"),
    ],
    ids=["500s", "503s", "400 echo", "402 echo", "error echo", "malformed echo", "html echo"],
)
def test_failing_runs_never_show_the_token(emulator, captured, tmp_path, tamper, expected):
    out = tmp_path / "plan.json"
    with _failing_server(emulator, tamper) as server:
        result = _run(["plan", MANIFEST, "--store", server.store, "-o", out])
        sent = [r["headers"].get(TOKEN_HEADER) for r in server.requests]
    assert sent and set(sent) == {SECRET}  # the token did go to the store, and only there
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not out.exists()
    _assert_no_secret(result, captured, SECRET)


def test_transport_errors_and_reprs_hold_no_token(emulator):
    with _failing_server(emulator, _echo(500, {"Retry-After": "0"})) as server:
        spec = parse_store(server.store)
        transport = HttpTransport.for_store(spec, env={"SHOPIFY_ACCESS_TOKEN": SECRET},
                                            sleep=lambda s: None)
        with pytest.raises(SyncerError) as caught:
            transport.execute("{ shop { name } }")
        transport.close()
    assert "still failing after 5 attempts: HTTP 500" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(transport), str(vars(caught.value))):
        assert SECRET not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def _post(url, token=None):
    body = json.dumps({"query": "{ shop { name } }"}).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    if token is not None:
        request.add_header(TOKEN_HEADER, token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_emulator_refuses_requests_without_the_right_token(server):
    url = server.url
    status, body = _post(url)
    assert status == 401 and "Invalid API key or access token" in body["errors"]
    status, body = _post(url, WRONG)
    assert status == 401 and SECRET not in json.dumps(body) and WRONG not in json.dumps(body)
    status, body = _post(url, SECRET + "x")
    assert status == 401
    status, body = _post(url, SECRET)
    assert status == 200 and body["data"]["shop"]["name"]


def test_emulator_binds_to_localhost_by_default(emulator):
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    server = serve(emulator)
    try:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith(API_PATH)
    finally:
        server.server_close()
    host = next(p for p in cli.commands["emulator"].params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_emulator_state_keeps_its_token_out_of_the_cli_output(tmp_path, captured):
    state = tmp_path / "store.json"
    data = json.loads((QUICKSTART / "store.json").read_text())
    data["access_token"] = SECRET
    state.write_text(json.dumps(data))
    shutil.copy(MANIFEST, tmp_path / "inventory.yaml")
    result = _run(["drift", tmp_path / "inventory.yaml", "--store", state], token="")
    assert result.exit_code == 2, result.output
    _assert_no_secret(result, captured, SECRET)


def test_apply_over_http_never_shows_the_token(server, captured, tmp_path):
    """apply, with -v, a report file, a conflict and a resume: no output or file holds the token."""
    store = f"http://127.0.0.1:{server.server_address[1]}"
    out, report = tmp_path / "plan.json", tmp_path / "report.json"
    assert _run(["plan", MANIFEST, "--store", store, "-o", out]).exit_code == 0
    applied = _run(["apply", out, "--store", store, "-v", "--report", report])
    assert applied.exit_code == 0, applied.output
    assert "Applied: 2 activated, 3 adjusted" in applied.stdout
    _assert_no_secret(applied, captured, SECRET, files=[out, report])
    again = _run(["apply", out, "--store", store, "-v", "--report", report])
    assert again.exit_code == 0, again.output
    _assert_no_secret(again, captured, SECRET, files=[report])
    wrong = _run(["apply", out, "--store", store], token=WRONG)
    assert wrong.exit_code == 1 and "rejected the access token" in wrong.stderr
    _assert_no_secret(wrong, captured, SECRET, WRONG)


CLIENT_SECRET = "shpss_ClientSecretNeverPrinted0123456789"


def test_client_credentials_never_show_the_secret_or_the_minted_token(tmp_path, captured,
                                                                      http_emulator):
    """plan and apply over HTTP with only SHOPIFY_CLIENT_ID/SECRET, every logger at DEBUG, a
    token that expires mid-run and a wrong secret: neither the client secret nor any token the
    store minted appears in an output, a log, an error or a file."""
    state = json.loads((QUICKSTART / "store.json").read_text())
    state["apps"] = [{"client_id": "cid", "client_secret": CLIENT_SECRET,
                      "scopes": ["write_inventory", "read_locations"]}]
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state))
    emulator = Emulator.load(path)
    minted = []
    post = emulator.oauth.post

    def recording(form):
        status, text = post(form)
        if status == 200:
            minted.append(json.loads(text)["access_token"])
        return status, text

    emulator.oauth.post = recording
    server = http_emulator(emulator)
    store = f"http://127.0.0.1:{server.server_address[1]}"
    env = {"SHOPIFY_CLIENT_ID": "cid", "SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
           "SHOPIFY_ACCESS_TOKEN": ""}
    out, report = tmp_path / "plan.json", tmp_path / "report.json"
    plan = CliRunner().invoke(cli, ["plan", str(MANIFEST), "--store", store, "-o", str(out)],
                              env=env)
    assert plan.exit_code == 0, plan.output
    emulator.oauth.ttl = 0  # every token minted from now on is expired at once
    applied = CliRunner().invoke(cli, ["apply", str(out), "--store", store, "-v", "--report",
                                       str(report)], env=env)
    assert applied.exit_code == 1
    assert "rejected an access token it had just minted (HTTP 401 twice)" in applied.stderr
    emulator.oauth.ttl = None
    applied = CliRunner().invoke(cli, ["apply", str(out), "--store", store, "-v", "--report",
                                       str(report)], env=env)
    assert applied.exit_code == 0, applied.output
    wrong = CliRunner().invoke(cli, ["plan", str(MANIFEST), "--store", store],
                               env={**env, "SHOPIFY_CLIENT_SECRET": WRONG})
    assert wrong.exit_code == 1 and "Oauth error invalid_client" in wrong.stderr
    assert len(minted) == 4 and captured[0].records
    for result in (plan, applied, wrong):
        _assert_no_secret(result, captured, CLIENT_SECRET, WRONG, *minted, files=[out, report])
