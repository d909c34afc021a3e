"""Emulator fault injection: deterministic from a seed, in process and over HTTP, with journals."""

import http.client
import json
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from syncer.cli import cli
from syncer.emulator import (
    Emulator,
    FaultConfig,
    FaultConfigError,
    ResponseLost,
    StateError,
    VirtualClock,
)
from syncer.emulator.faults import COUNTERS
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.transport import RetryPolicy

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
ITEM, LOCATION = "gid://shopify/InventoryItem/2", "gid://shopify/Location/1"
ADJUST = """mutation { inventoryAdjustQuantities(input: {reason: "correction", name: "available",
  changes: [{inventoryItemId: "gid://shopify/InventoryItem/2",
             locationId: "gid://shopify/Location/1", delta: 1, changeFromQuantity: null}]})
  @idempotent(key: "KEY") { inventoryAdjustmentGroup { id } userErrors { code } } }"""
SHOP = "{ shop { name } }"
# With only drop_after_commit (or only close_mid_response) at 0.5, these seeds lose the first
# request's response and answer the second: each request draws five rolls, drop is the 4th.
DROP_SEED, CLOSE_SEED = 2, 6


def state(**extra):
    data = json.loads(QUICKSTART.read_text())
    data.update(extra)
    return data


def emulator(faults=None, **extra):
    return Emulator.from_state(state(**extra), clock=VirtualClock(), faults=faults)


def adjust(key="k-1"):
    return {"query": ADJUST.replace("KEY", key)}


def available(emu, item=ITEM, location=LOCATION):
    return emu.store.levels[(item, location)].quantity("available")


def total_available(emu):
    return sum(lv.quantity("available") for lv in emu.store.levels.values())


def outcome(emu, body):
    """A comparable summary of one request: status and error code, or the lost kind."""
    try:
        status, payload = emu.handle(body, {})
    except ResponseLost as lost:
        return ("lost", lost.kind)
    codes = [e.get("extensions", {}).get("code") for e in payload.get("errors", [])
             if isinstance(e, dict)] if isinstance(payload.get("errors"), list) else []
    return (status, tuple(codes))


MIXED = FaultConfig(seed=11, drop_after_commit=0.2, http_error=0.15, throttle=0.15,
                    close_mid_response=0.2, sales_rate=0.4, sales_max_units=3,
                    latency_ms=(5, 50))


def run_sequence(config, n=40):
    emu = emulator(config)
    outcomes = [outcome(emu, adjust(f"k-{i % 7}") if i % 2 else {"query": SHOP})
                for i in range(n)]
    return emu, outcomes


# -- configuration ---------------------------------------------------------------------------


def test_config_from_dict_normalizes_and_round_trips():
    config = FaultConfig.from_dict({"seed": 3, "throttle": 1, "latency_ms": 20,
                                    "sales_rate": 0.5, "sales_max_units": 4})
    assert config.throttle == 1.0 and config.latency_ms == (20.0, 20.0)
    assert config.to_dict() == {"seed": 3, "drop_after_commit": 0.0, "http_error": 0.0,
                                "throttle": 1.0, "close_mid_response": 0.0, "sales_rate": 0.5,
                                "latency_ms": 20.0, "sales_max_units": 4}
    assert FaultConfig.from_dict(config.to_dict()) == config
    ranged = FaultConfig.from_dict({"latency_ms": [5, 10]})
    assert ranged.latency_ms == (5.0, 10.0) and ranged.to_dict()["latency_ms"] == [5.0, 10.0]
    assert not FaultConfig().active and ranged.active


@pytest.mark.parametrize(("data", "field"), [
    ({"throttle": 1.5}, "throttle"),
    ({"http_error": -0.1}, "http_error"),
    ({"drop_after_commit": True}, "drop_after_commit"),
    ({"close_mid_response": "0.5"}, "close_mid_response"),
    ({"sales_rate": 2}, "sales_rate"),
    ({"seed": "x"}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"latency_ms": -1}, "latency_ms"),
    ({"latency_ms": [10, 5]}, "latency_ms"),
    ({"latency_ms": [1, 2, 3]}, "latency_ms"),
    ({"sales_max_units": 0}, "sales_max_units"),
    ({"sales_max_units": 1.5}, "sales_max_units"),
    ({"bogus": 1}, "bogus"),
])
def test_config_errors_name_the_field(data, field):
    with pytest.raises(FaultConfigError) as caught:
        FaultConfig.from_dict(data)
    assert [name for name, _ in caught.value.problems] == [field]
    assert str(caught.value).startswith(f"{field}: ")


def test_config_lists_every_problem_and_checks_the_constructor_too():
    with pytest.raises(FaultConfigError) as caught:
        FaultConfig.from_dict({"throttle": 3, "seed": None, "extra": 1})
    assert sorted(name for name, _ in caught.value.problems) == ["extra", "seed", "throttle"]
    with pytest.raises(FaultConfigError, match="^http_error: must be a number from 0 to 1"):
        FaultConfig(http_error=7)
    with pytest.raises(FaultConfigError, match="^faults: must be an object"):
        FaultConfig.from_dict([1])
    with pytest.raises(TypeError):
        emulator(faults={"throttle": 1})


# -- determinism ---------------------------------------------------------------------------


def test_same_seed_same_requests_same_faults():
    first, outcomes = run_sequence(MIXED)
    second, again = run_sequence(MIXED)
    assert outcomes == again
    assert first.faults.counts == second.faults.counts
    assert first.store.sales == second.store.sales
    assert first.store.journal == second.store.journal
    assert first.clock.now() == second.clock.now()
    assert first.state() == second.state()
    kinds = {o[1] if o[0] == "lost" else o[0] for o in outcomes}
    assert kinds >= {"drop_after_commit", "close_mid_response", 200}
    assert kinds & {500, 502, 503}
    counts = first.faults.counts
    assert set(counts) == set(COUNTERS)
    assert counts["latency"] == 40 and first.faults.requests == 40 == first.requests
    assert counts["sale"] == len(first.store.sales) > 0
    assert counts["sale_units"] == sum(s["units"] for s in first.store.sales)
    assert counts["throttled"] == sum(o == (200, ("THROTTLED",)) for o in outcomes) > 0
    http = sum(counts[f"http_{code}"] for code in (500, 502, 503))
    assert http == sum(o[0] in (500, 502, 503) for o in outcomes)
    assert counts["drop_after_commit"] == outcomes.count(("lost", "drop_after_commit"))


def test_a_different_seed_gives_different_faults():
    _, outcomes = run_sequence(MIXED)
    other = FaultConfig.from_dict({**MIXED.to_dict(), "seed": 12})
    _, different = run_sequence(other)
    assert outcomes != different


def test_set_faults_restarts_the_sequence_and_none_stops_it():
    emu = emulator(FaultConfig(seed=5, http_error=0.5))
    first = [emu.handle({"query": SHOP}, {})[0] for _ in range(12)]
    emu.set_faults(FaultConfig(seed=5, http_error=0.5))
    assert [emu.handle({"query": SHOP}, {})[0] for _ in range(12)] == first
    assert set(first) - {200} and 200 in first
    emu.set_faults(None)
    assert [emu.handle({"query": SHOP}, {})[0] for _ in range(12)] == [200] * 12
    assert emu.fault_report()["counts"] == {}


# -- each fault in process -------------------------------------------------------------------


def test_drop_after_commit_commits_then_a_retry_is_a_journaled_replay():
    emu = emulator(FaultConfig(seed=DROP_SEED, drop_after_commit=0.5))
    before = available(emu)
    with pytest.raises(ConnectionError) as caught:
        emu.handle(adjust(), {})
    assert isinstance(caught.value, ResponseLost) and caught.value.kind == "drop_after_commit"
    assert caught.value.body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert available(emu) == before + 1  # committed although the caller got nothing
    status, body = emu.handle(adjust(), {})
    assert status == 200
    assert body["data"]["inventoryAdjustQuantities"] == {
        "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"},
        "userErrors": []}
    assert available(emu) == before + 1  # not applied twice
    journal = emu.store.journal
    assert [(j["request"], j["mutation"], j["key"], j["replay"]) for j in journal] == [
        (1, "inventoryAdjustQuantities", "k-1", False),
        (2, "inventoryAdjustQuantities", "k-1", True)]
    assert journal[0]["digest"] == journal[1]["digest"]
    assert journal[0]["group"] == journal[1]["group"] == "gid://shopify/InventoryAdjustmentGroup/1"
    assert journal[0]["changes"] == [
        {"name": "available", "delta": 1, "item": ITEM, "location": LOCATION,
         "quantityAfterChange": before + 1},
        {"name": "on_hand", "delta": 1, "item": ITEM, "location": LOCATION,
         "quantityAfterChange": before + 1}]
    assert journal[1]["changes"] == []
    assert emu.faults.counts["drop_after_commit"] == 1


def test_queries_are_not_dropped_or_closed():
    emu = emulator(FaultConfig(drop_after_commit=1, close_mid_response=1))
    assert emu.handle({"query": SHOP}, {})[0] == 200
    assert emu.faults.counts["drop_after_commit"] == emu.faults.counts["close_mid_response"] == 0
    with pytest.raises(ResponseLost):
        emu.handle(adjust(), {})


def test_close_mid_response_commits_and_raises_a_connection_error():
    emu = emulator(FaultConfig(close_mid_response=1))
    before = available(emu)
    with pytest.raises(ConnectionResetError) as caught:
        emu.handle(adjust(), {})
    assert caught.value.kind == "close_mid_response" and caught.value.status == 200
    assert available(emu) == before + 1
    assert emu.faults.counts["close_mid_response"] == 1
    assert emu.store.journal[0]["replay"] is False


def test_http_error_answers_5xx_without_executing():
    emu = emulator(FaultConfig(seed=1, http_error=1))
    before = available(emu)
    statuses = [emu.handle(adjust(f"k-{i}"), {}) for i in range(30)]
    assert {s for s, _ in statuses} == {500, 502, 503}
    assert {(500, "Internal Server Error"), (502, "Bad Gateway"),
            (503, "Service Unavailable")} == {(s, b["errors"]) for s, b in statuses}
    assert available(emu) == before and emu.store.journal == []
    counts = emu.faults.counts
    assert counts["http_500"] + counts["http_502"] + counts["http_503"] == 30
    assert min(counts["http_500"], counts["http_502"], counts["http_503"]) > 0


def test_throttle_answers_throttled_with_a_cost_block_without_executing():
    emu = emulator(FaultConfig(throttle=1))
    before = available(emu)
    status, body = emu.handle(adjust(), {})
    assert status == 200 and available(emu) == before and emu.store.journal == []
    assert body == {
        "errors": [{"message": "Throttled", "extensions": {
            "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None,
                                "throttleStatus": {"maximumAvailable": 2000.0,
                                                   "currentlyAvailable": 2000.0,
                                                   "restoreRate": 100.0}}}}
    assert emu.faults.counts["throttled"] == 1


def test_latency_sleeps_on_the_virtual_clock():
    emu = emulator(FaultConfig(latency_ms=250))
    emu.handle({"query": SHOP}, {})
    emu.handle({"query": SHOP}, {})
    assert emu.clock.now() == pytest.approx(0.5)
    assert emu.faults.counts["latency"] == 2
    ranged = emulator(FaultConfig(seed=4, latency_ms=(100, 200)))
    for _ in range(10):
        start = ranged.clock.now()
        ranged.handle({"query": SHOP}, {})
        assert 0.1 <= ranged.clock.now() - start <= 0.2


def test_faults_do_not_apply_to_404_401_or_400():
    emu = emulator(FaultConfig(http_error=1), access_token="secret")
    assert emu.handle({"query": SHOP}, {}, "/admin/api/2027-01/graphql.json")[0] == 404
    assert emu.handle({"query": SHOP}, {})[0] == 401
    assert emu.handle({"nope": 1}, {"X-Shopify-Access-Token": "secret"})[0] == 400
    assert emu.faults.requests == 0 and emu.requests == 0
    assert emu.handle({"query": SHOP}, {"X-Shopify-Access-Token": "secret"})[0] >= 500


# -- the concurrent writer -------------------------------------------------------------------


def test_sales_are_journaled_and_reflected_in_state():
    emu = emulator(FaultConfig(seed=9, sales_rate=1, sales_max_units=3))
    total = total_available(emu)
    for _ in range(10):
        assert emu.handle({"query": SHOP}, {})[0] == 200
    sales = emu.store.sales
    assert [s["request"] for s in sales] == list(range(1, 11))
    assert all(1 <= s["units"] <= 3 for s in sales)
    assert sum(s["units"] for s in sales) == emu.faults.counts["sale_units"]
    assert emu.faults.counts["sale"] == 10
    assert total_available(emu) == total - emu.faults.counts["sale_units"]
    last = sales[-1]
    level = emu.store.levels[(last["item"], last["location"])]
    assert last["level"] == level.gid and level.active
    assert last["available_after"] == level.quantity("available") >= 0
    assert last["on_hand_after"] == level.quantity("on_hand")
    document = emu.state()
    levels = {(lv["item"], lv["location"]): lv for lv in document["levels"]}
    assert levels[(last["item"], last["location"])]["quantities"]["available"] == \
        last["available_after"]
    assert emu.fault_report()["sales"] == sales


def test_sales_move_on_hand_with_available_and_never_go_below_zero():
    emu = emulator(FaultConfig(seed=1, sales_rate=1, sales_max_units=50))
    on_hand = {k: lv.quantity("on_hand") for k, lv in emu.store.levels.items()}
    for _ in range(200):
        emu.handle({"query": SHOP}, {})
    assert all(lv.quantity("available") >= 0 for lv in emu.store.levels.values())
    sold: dict = {}
    for sale in emu.store.sales:
        key = (sale["item"], sale["location"])
        sold[key] = sold.get(key, 0) + sale["units"]
    for key, level in emu.store.levels.items():
        assert level.quantity("on_hand") == on_hand[key] - sold.get(key, 0)
    inactive = [k for k, lv in emu.store.levels.items() if not lv.active]
    assert inactive and not set(inactive) & set(sold)


def test_a_sale_between_requests_makes_a_cas_stale():
    emu = emulator(FaultConfig(seed=0, sales_rate=1, sales_max_units=1), levels=[
        {"id": 1, "item": ITEM, "location": LOCATION, "quantities": {"available": 5}}])
    query = ADJUST.replace("changeFromQuantity: null", "changeFromQuantity: 5")
    status, body = emu.handle({"query": query.replace("KEY", "cas")}, {})
    assert emu.store.sales[0]["units"] == 1 and available(emu) == 4  # sold 1, nothing applied
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == [
        {"code": "CHANGE_FROM_QUANTITY_STALE"}]


# -- the transport's retry path ---------------------------------------------------------------


def test_local_transport_retries_a_lost_response_and_gets_the_replay():
    emu = emulator(FaultConfig(seed=DROP_SEED, drop_after_commit=0.5))
    before = available(emu)
    transport = LocalTransport(emu.handle, sleep=emu.clock.sleep, clock=emu.clock.now,
                               retry=RetryPolicy(base_delay=0.1))
    body = transport.execute(ADJUST.replace("KEY", "t-1"))
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert transport.calls == 2
    assert available(emu) == before + 1
    assert [j["replay"] for j in emu.store.journal] == [False, True]


def test_local_transport_retries_http_errors_and_throttles():
    emu = emulator(FaultConfig(seed=3, http_error=0.3, throttle=0.3))
    before = available(emu)
    transport = LocalTransport(emu.handle, sleep=emu.clock.sleep, clock=emu.clock.now,
                               retry=RetryPolicy(base_delay=0.1, max_attempts=20))
    for i in range(10):
        body = transport.execute(ADJUST.replace("KEY", f"t-{i}"))
        assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert available(emu) == before + 10
    counts = emu.faults.counts
    faults = counts["throttled"] + counts["http_500"] + counts["http_502"] + counts["http_503"]
    assert faults > 0 and transport.calls == 10 + faults
    assert [j["replay"] for j in emu.store.journal] == [False] * 10


# -- the state file ---------------------------------------------------------------------------


def test_state_file_faults_section_round_trips(tmp_path):
    path = tmp_path / "store.json"
    section = {"seed": 4, "throttle": 0.5, "latency_ms": [1, 3], "sales_rate": 0.25}
    path.write_text(json.dumps(state(faults=section)))
    emu = Emulator.load(path, clock=VirtualClock())
    assert emu.faults.config == FaultConfig(seed=4, throttle=0.5, latency_ms=(1, 3),
                                            sales_rate=0.25)
    emu.handle(adjust(), {})  # may throttle or sell; either way the file is rewritten
    emu.save()
    saved = json.loads(path.read_text())
    assert saved["faults"] == {"seed": 4, "drop_after_commit": 0.0, "http_error": 0.0,
                               "throttle": 0.5, "close_mid_response": 0.0,
                               "sales_rate": 0.25, "latency_ms": [1.0, 3.0],
                               "sales_max_units": 1}
    assert Emulator.load(path).faults.config == emu.faults.config
    overridden = Emulator.load(path, faults=FaultConfig(http_error=1))
    assert overridden.faults.config.http_error == 1 and overridden.store.faults.throttle == 0.5
    assert "faults" not in emulator().state()


def test_state_file_faults_section_is_validated(tmp_path):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(faults={"throttle": 2, "sales_max_units": 0, "x": 1})))
    with pytest.raises(StateError) as caught:
        Emulator.load(path)
    message = str(caught.value)
    assert "faults.throttle: must be a number from 0 to 1, got 2" in message
    assert "faults.sales_max_units: must be an integer >= 1, got 0" in message
    assert "faults.x: unknown field" in message
    path.write_text(json.dumps(state(faults=[])))
    with pytest.raises(StateError, match="faults: must be an object"):
        Emulator.load(path)


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def served(http_emulator):
    """``with served(emu) as url``: ``emu`` over HTTP (the session's shared servers)."""

    @contextmanager
    def serve_url(emu):
        yield urlsplit(http_emulator(emu).url)

    return serve_url


def post(url, body, headers=None):
    """(status, raw body bytes, Content-Length) over a fresh connection."""
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        data = json.dumps(body).encode()
        connection.request("POST", url.path, body=data,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read(), int(response.headers["Content-Length"])
    finally:
        connection.close()


def get(url, path, headers=None):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_http_drop_after_commit_sends_nothing_and_the_retry_replays(served):
    emu = emulator(FaultConfig(seed=DROP_SEED, drop_after_commit=0.5))
    before = available(emu)
    with served(emu) as url:
        with pytest.raises(http.client.RemoteDisconnected):
            post(url, adjust("h-1"))
        status, document = get(url, "/_emulator/state")
        assert status == 200
        level = next(lv for lv in document["levels"]
                     if (lv["item"], lv["location"]) == (ITEM, LOCATION))
        assert level["quantities"]["available"] == before + 1
        status, raw, _ = post(url, adjust("h-1"))
        assert status == 200
        assert json.loads(raw)["data"]["inventoryAdjustQuantities"]["userErrors"] == []
        status, report = get(url, "/_emulator/faults")
    assert status == 200 and available(emu) == before + 1
    assert report["counts"]["drop_after_commit"] == 1 and report["requests"] == 2
    assert [(j["key"], j["replay"]) for j in report["journal"]] == [("h-1", False),
                                                                    ("h-1", True)]
    assert report["sales"] == []


def test_http_close_mid_response_sends_half_the_body(served):
    emu = emulator(FaultConfig(seed=CLOSE_SEED, close_mid_response=0.5))
    before = available(emu)
    with served(emu) as url:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request("POST", url.path, body=json.dumps(adjust("c-1")).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        length = int(response.headers["Content-Length"])
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        connection.close()
        assert len(caught.value.partial) == length // 2 > 0
        assert available(emu) == before + 1
        status, raw, _ = post(url, adjust("c-1"))
        assert status == 200 and len(raw) == length
        assert get(url, "/_emulator/faults")[1]["counts"]["close_mid_response"] == 1
    assert available(emu) == before + 1
    assert [j["replay"] for j in emu.store.journal] == [False, True]


def test_http_errors_throttle_latency_and_sales_over_http(served):
    emu = emulator(FaultConfig(seed=1, http_error=1))
    with served(emu) as url:
        status, raw, length = post(url, {"query": SHOP})
    assert status in (500, 502, 503) and len(raw) == length
    assert json.loads(raw) == {"errors": {500: "Internal Server Error", 502: "Bad Gateway",
                                          503: "Service Unavailable"}[status]}
    emu = emulator(FaultConfig(throttle=1, latency_ms=40, sales_rate=1))
    total = total_available(emu)
    with served(emu) as url:
        status, raw, _ = post(url, adjust())
        assert status == 200 and json.loads(raw)["errors"][0]["extensions"]["code"] == "THROTTLED"
        report = get(url, "/_emulator/faults")[1]
    assert report["counts"]["throttled"] == 1 and report["counts"]["latency"] == 1
    assert len(report["sales"]) == 1 and report["sales"][0]["request"] == 1
    assert total_available(emu) == total - 1
    assert emu.clock.now() == pytest.approx(0.04)  # virtual: no real sleep


def test_get_endpoints_need_the_token_and_other_gets_are_404(served):
    emu = emulator(FaultConfig(), access_token="secret")
    with served(emu) as url:
        assert get(url, "/_emulator/faults")[0] == 401
        assert get(url, "/_emulator/state")[0] == 401
        token = {"X-Shopify-Access-Token": "secret"}
        status, report = get(url, "/_emulator/faults", token)
        assert status == 200 and report == {"counts": dict.fromkeys(COUNTERS, 0), "requests": 0,
                                            "sales": [], "journal": []}
        status, document = get(url, "/_emulator/state", token)
        assert status == 200 and document["shop"] == "quickstart.myshopify.com"
        assert get(url, "/_emulator/other", token) == (404, {"errors": "Not Found"})
        assert get(url, url.path, token)[0] == 404


# -- the CLI ---------------------------------------------------------------------------------


class FakeServer:
    url = "http://127.0.0.1:1/admin/api/2026-04/graphql.json"

    def serve_forever(self):
        pass

    def server_close(self):
        pass


@pytest.fixture
def captured(monkeypatch):
    seen = {}

    def fake_serve(emu, host, port):
        seen["emulator"] = emu
        return FakeServer()

    monkeypatch.setattr("syncer.emulator.serve", fake_serve)
    return seen


def test_cli_help_lists_fault_flags_with_examples():
    result = CliRunner().invoke(cli, ["emulator", "--help"])
    assert result.exit_code == 0
    for flag in ("--fault-seed", "--drop-after-commit", "--http-error", "--throttle",
                 "--close-mid-response", "--latency-ms", "--sales-rate", "--sales-max-units"):
        assert flag in result.output
    assert "--drop-after-commit 0.2" in result.output


@pytest.mark.parametrize(("args", "flag"), [
    (["--throttle", "2"], "--throttle"),
    (["--http-error", "x"], "--http-error"),
    (["--drop-after-commit", "-0.5"], "--drop-after-commit"),
    (["--close-mid-response", "1.01"], "--close-mid-response"),
    (["--sales-rate", "5"], "--sales-rate"),
    (["--sales-max-units", "0"], "--sales-max-units"),
    (["--fault-seed", "abc"], "--fault-seed"),
    (["--latency-ms", "fast"], "--latency-ms"),
    (["--latency-ms", "20-10"], "--latency-ms"),
])
def test_cli_bad_fault_values_name_the_flag(args, flag, captured):
    result = CliRunner().invoke(cli, ["emulator", "--state", str(QUICKSTART), *args])
    assert result.exit_code == 64
    assert f"Invalid value for '{flag}'" in result.output
    assert "emulator" not in captured


def test_cli_flags_override_the_file_section(tmp_path, captured):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(faults={"seed": 1, "throttle": 0.5, "sales_rate": 0.1})))
    result = CliRunner().invoke(cli, [
        "emulator", "--state", str(path), "--fault-seed", "9", "--drop-after-commit", "0.25",
        "--http-error", "0.1", "--close-mid-response", "0.05", "--latency-ms", "10-20",
        "--sales-max-units", "3"])
    assert result.exit_code == 0, result.output
    config = captured["emulator"].faults.config
    assert config == FaultConfig(seed=9, throttle=0.5, sales_rate=0.1, drop_after_commit=0.25,
                                 http_error=0.1, close_mid_response=0.05, latency_ms=(10, 20),
                                 sales_max_units=3)
    assert "Fault injection:" in result.output
    assert json.loads(path.read_text())["faults"] == {
        "seed": 1, "throttle": 0.5, "sales_rate": 0.1}  # flags are not written to the file


def test_cli_without_flags_uses_the_file_section_or_nothing(tmp_path, captured):
    result = CliRunner().invoke(cli, ["emulator", "--state", str(QUICKSTART)])
    assert result.exit_code == 0 and captured["emulator"].faults is None
    assert "Fault injection" not in result.output
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state(faults={"latency_ms": 5})))
    result = CliRunner().invoke(cli, ["emulator", "--state", str(path), "--latency-ms", "7"])
    assert result.exit_code == 0
    assert captured["emulator"].faults.config.latency_ms == (7.0, 7.0)


@pytest.mark.parametrize(("kind", "seed"), [("drop_after_commit", DROP_SEED),
                                            ("close_mid_response", CLOSE_SEED)])
def test_http_transport_retries_a_lost_response_and_gets_the_replay(kind, seed, served):
    from syncer.shopify.http_transport import HttpTransport

    emu = emulator(FaultConfig(seed=seed, **{kind: 0.5}))
    before = available(emu)
    with served(emu) as url:
        transport = HttpTransport(url.geturl(), sleep=lambda _s: None,
                                  retry=RetryPolicy(base_delay=0.01))
        try:
            body = transport.execute(ADJUST.replace("KEY", "h-2"))
        finally:
            transport.close()
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert transport.calls == 2 and emu.faults.counts[kind] == 1
    assert available(emu) == before + 1
    assert [j["replay"] for j in emu.store.journal] == [False, True]
