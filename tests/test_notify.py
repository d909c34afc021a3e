"""``--notify URL`` (issue 25): plan, drift and apply post their outcome to a local receiver as
JSON with a Slack-style ``text``; no secret in it; a failing receiver is a warning that never
changes the exit code; the URL (a webhook's path is a secret) is never printed."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.engine import notify

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
TOKEN = "shpat_NotifyTestTokenNeverSent0123456789"


class Receiver:
    """A local HTTP receiver: records each body; answers ``status`` (a list: one per request)."""

    def __init__(self, statuses=(200,)):
        self.bodies: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 \
                    else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/secretpath"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args],
                                env={"SYNCER_STORE": "", "SHOPIFY_ACCESS_TOKEN": TOKEN,
                                     "GITHUB_RUN_ID": "", "CI_JOB_URL": "", **(env or {})})
    assert "Traceback" not in result.output
    return result


def test_plan_drift_and_apply_tell_the_receiver(tmp_path, receiver):
    got = receiver()
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    store = tmp_path / "store.json"
    env = {"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/stock"}
    plan = run("plan", QUICKSTART, "--store", store, "-o", tmp_path / "plan.json", "--notify",
               got.url, env=env)
    assert plan.exit_code == 0, plan.output
    body = got.bodies[-1]
    assert body["event"] == "plan" and body["exit_code"] == 2  # as with --detailed-exitcode
    assert body["shop"] == "quickstart.myshopify.com" and body["shop_name"] == "quickstart"
    assert body["counts"]["adjust"] == 3 and body["units"] == {"added": 40, "removed": 2}
    assert body["run"] == "https://github.com/acme/stock/actions/runs/42"
    assert body["value"] == {"added": {"EUR": "332.00"}, "removed": {"EUR": "17.00"},
                             "uncosted_units": 3,
                             "text": "+332.00/-17.00 EUR; +3/-0 units have no cost"}
    assert body["text"] == ("syncer plan on quickstart: 2 to activate, 3 to adjust, 1 to "
                            "deactivate (+40/-2 units), at cost +332.00/-17.00 EUR; +3/-0 units "
                            "have no cost (exit 2) "
                            "<https://github.com/acme/stock/actions/runs/42|run>")
    applied = run("apply", tmp_path / "plan.json", env={"SYNCER_NOTIFY": got.url})
    assert applied.exit_code == 0, applied.output
    assert got.bodies[-1]["event"] == "apply" and got.bodies[-1]["exit_code"] == 0
    assert got.bodies[-1]["counts"]["activated"] == 2
    drift = run("drift", QUICKSTART, "--store", store, "--notify", got.url)
    assert drift.exit_code == 0 and got.bodies[-1]["event"] == "drift"
    assert len(got.bodies) == 3
    assert TOKEN not in json.dumps(got.bodies)


def test_a_failing_receiver_is_a_warning_and_the_exit_code_stays(tmp_path, receiver):
    down = receiver(statuses=(500,))
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    result = run("plan", QUICKSTART, "--store", tmp_path / "store.json", "--detailed-exitcode",
                 "--notify", down.url, "--quiet")
    assert result.exit_code == 2
    assert len(down.bodies) == notify.ATTEMPTS  # bounded retries
    assert "the plan notification to http://127.0.0.1/... failed (HTTP 500)" in result.stderr
    assert "secretpath" not in result.output and "secretpath" not in result.stderr


def test_a_refusing_receiver_is_not_retried_and_a_bad_url_is_refused_before_work(tmp_path,
                                                                               receiver):
    refusing = receiver(statuses=(400,))
    sent = notify.send([refusing.url], {"event": "plan"}, sleep=lambda s: None)
    assert sent == 0 and len(refusing.bodies) == 1
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    before = (tmp_path / "store.json").read_bytes()
    bad = run("plan", QUICKSTART, "--store", tmp_path / "store.json", "--notify",
              "hooks.example.com/x")
    assert bad.exit_code == 64 and "give an http:// or https:// URL" in bad.stderr
    assert (tmp_path / "store.json").read_bytes() == before


def test_a_receiver_that_answers_late_is_retried_then_takes_it(receiver):
    flaky = receiver(statuses=(503, 200))
    waits = []
    assert notify.send([flaky.url], {"event": "drift"}, sleep=waits.append) == 1
    assert len(flaky.bodies) == 2 and waits == [notify.BACKOFF]


def test_a_store_folders_syncer_yaml_names_its_history_and_notify_variables(tmp_path, receiver):
    """``history:`` (a folder relative to syncer.yaml) and ``notify:`` (environment variables
    holding URLs: never the URL, a secret, in a committed file) serve drift and apply as the
    flags do, so a nightly job needs no flags."""
    got = receiver()
    folder = tmp_path / "stores" / "eu"
    shutil.copytree(QUICKSTART, folder)
    (folder / "syncer.yaml").write_text("store: store.json\nhistory: ../../history\n"
                                        "notify: [EU_WEBHOOK_URL, OPS_WEBHOOK_URL]\n")
    env = {"EU_WEBHOOK_URL": got.url}
    drift = run("drift", folder, env=env)
    assert drift.exit_code == 2, drift.output
    assert "OPS_WEBHOOK_URL, which is not set" in drift.stderr  # a warning; the rest goes on
    assert got.bodies[-1]["event"] == "drift"
    records = (tmp_path / "history" / "history.jsonl").read_text().splitlines()
    assert [json.loads(r)["kind"] for r in records] == ["drift"]
    assert run("plan", folder, "-o", tmp_path / "plan.json", env=env).exit_code == 0
    applied = run("apply", tmp_path / "plan.json", env=env)
    assert applied.exit_code == 0, applied.output
    assert [b["event"] for b in got.bodies] == ["drift", "plan", "apply"]
    records = (tmp_path / "history" / "history.jsonl").read_text().splitlines()
    assert [json.loads(r)["kind"] for r in records] == ["drift", "apply"]
    assert got.url not in drift.output + applied.output
    # the URL itself is refused in the file, and not echoed
    (folder / "syncer.yaml").write_text(f"store: store.json\nnotify: ['{got.url}']\n")
    refused = run("validate", folder)
    assert refused.exit_code == 1 and "SLACK_WEBHOOK_URL" in refused.stderr
    assert "secretpath" not in refused.output + refused.stderr


def test_a_store_folders_bad_history_or_notify_is_refused_before_anything_runs(tmp_path):
    folder = tmp_path / "stores" / "eu"
    shutil.copytree(QUICKSTART, folder)
    (tmp_path / "taken").write_text("a file, not a folder\n")
    (folder / "syncer.yaml").write_text("store: store.json\nhistory: ../../taken\n")
    before = (folder / "store.json").read_bytes()
    for command in (("drift", folder), ("apply", folder, "--auto-approve")):
        refused = run(*command)
        assert refused.exit_code == 64, refused.output
        assert "syncer.yaml's history: " in refused.stderr and "is a file" in refused.stderr
    (folder / "syncer.yaml").write_text("store: store.json\nnotify: [EU_WEBHOOK_URL]\n")
    assert run("plan", folder, "-o", tmp_path / "plan.json").exit_code == 0
    env = {"EU_WEBHOOK_URL": "ftp://hooks.example/secretpath"}
    for command in (("apply", tmp_path / "plan.json"), ("apply", folder, "--auto-approve"),
                    ("drift", folder)):
        refused = run(*command, env=env)
        assert refused.exit_code == 64, refused.output
        assert "$EU_WEBHOOK_URL (syncer.yaml's notify)" in refused.stderr
        assert "secretpath" not in refused.output + refused.stderr
    assert (folder / "store.json").read_bytes() == before  # nothing was applied
