"""Transport: throttling waits, retries with the same body, HTTP errors, versions, token hygiene."""

import http.server
import json
import logging
import random
import threading

import pytest

from syncer.errors import RefusedError, StoreError, UsageError
from syncer.shopify.http_transport import HttpTransport
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.stores import StoreSpec, check_api_version, parse_store
from syncer.shopify.transport import RetryPolicy

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
QUERY = "query Q { shop { name } }"


def ok(requested=10, actual=10, available=1990.0, maximum=2000.0, rate=100.0, data=None):
    return 200, {
        "data": data if data is not None else {"shop": {"name": "x"}},
        "extensions": {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": maximum,
                    "currentlyAvailable": available,
                    "restoreRate": rate,
                },
            }
        },
    }


def throttled(requested, available, rate=100.0, maximum=2000.0):
    return 200, {
        "data": None,
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": maximum,
                    "currentlyAvailable": available,
                    "restoreRate": rate,
                },
            }
        },
    }


class Script:
    """A handler answering from a list, recording what it was sent."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.seen = []

    def __call__(self, body, headers, path):
        self.seen.append((json.loads(json.dumps(body)), dict(headers), path))
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply


class Clock:
    """A fake clock whose ``sleep`` records and advances time."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def local(script, clock=None, **kwargs):
    clock = clock or Clock()
    return LocalTransport(
        script, sleep=clock.sleep, clock=clock, rng=random.Random(7), **kwargs
    ), clock


def test_returns_full_response_and_counts_calls_and_cost():
    script = Script(ok(requested=12, actual=7))
    transport, _ = local(script, token=TOKEN)
    response = transport.execute(QUERY, {"a": 1})
    assert response["data"] == {"shop": {"name": "x"}}
    assert response["extensions"]["cost"]["actualQueryCost"] == 7
    assert (transport.calls, transport.cost_points) == (1, 7)
    body, headers, path = script.seen[0]
    assert body == {"query": QUERY, "variables": {"a": 1}}
    assert headers["X-Shopify-Access-Token"] == TOKEN
    assert path == "/admin/api/2026-10/graphql.json"


def test_throttled_waits_exactly_what_the_bucket_needs_then_retries_same_body():
    script = Script(throttled(requested=752, available=52.0, rate=100.0), ok())
    transport, clock = local(script)
    transport.execute(QUERY, {"first": 250})
    assert clock.sleeps == [pytest.approx(7.0)]  # (752 - 52) / 100
    assert script.seen[0][0] == script.seen[1][0]
    assert transport.calls == 2


def test_throttled_rate_50():
    script = Script(throttled(requested=300, available=100.0, rate=50.0), ok())
    transport, clock = local(script)
    transport.execute(QUERY)
    assert clock.sleeps == [pytest.approx(4.0)]


def test_throttled_a_hair_short_still_waits():
    """A bucket short by float rounding must not be retried in a tight loop."""
    script = Script(
        throttled(requested=502, available=501.99999999999994),
        throttled(requested=502, available=502.0),
        ok(),
    )
    transport, clock = local(script)
    transport.execute(QUERY)
    assert clock.sleeps == [0.001, 0.001]


def test_throttled_query_larger_than_bucket_is_an_error():
    transport, _ = local(Script(throttled(requested=3000, available=10.0, maximum=2000.0)))
    with pytest.raises(StoreError, match="3000 points"):
        transport.execute(QUERY)


def test_throttling_forever_is_bounded():
    replies = [throttled(requested=10, available=0.0)] * 4
    transport, _ = local(Script(*replies), retry=RetryPolicy(max_throttle_waits=3))
    with pytest.raises(StoreError, match="kept throttling"):
        transport.execute(QUERY)


def test_paces_before_sending_when_last_status_says_cost_is_not_available():
    script = Script(ok(requested=700, available=100.0, rate=100.0), ok(requested=700))
    transport, clock = local(script)
    transport.execute(QUERY)
    clock.now += 1.0  # one second later the bucket holds 200
    transport.execute(QUERY)
    assert clock.sleeps == [pytest.approx(5.0)]  # (700 - 200) / 100


def test_no_pacing_when_enough_points():
    script = Script(ok(requested=100, available=1500.0), ok(requested=100))
    transport, clock = local(script)
    transport.execute(QUERY)
    transport.execute(QUERY)
    assert clock.sleeps == []


@pytest.mark.parametrize("failure", [(500, None), (502, {"errors": "bad gateway"}), (503, None)])
def test_5xx_retried_with_backoff_and_same_body(failure):
    script = Script(failure, failure, ok())
    transport, clock = local(script)
    variables = {"idempotencyKey": "k-1", "input": {"changes": [{"delta": 1}]}}
    transport.execute("mutation M { x }", variables)
    assert len(script.seen) == 3
    assert script.seen[0][0] == script.seen[1][0] == script.seen[2][0]
    assert script.seen[2][0]["variables"]["idempotencyKey"] == "k-1"
    # equal jitter: attempt n waits in [base*2**(n-1)/2, base*2**(n-1)]
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0


def test_backoff_is_deterministic_with_injected_rng():
    waits = []
    for _ in range(2):
        transport, clock = local(Script((500, None), (500, None), ok()))
        transport.execute(QUERY)
        waits.append(clock.sleeps)
    assert waits[0] == waits[1]


def test_connection_errors_retried():
    script = Script(ConnectionResetError("reset"), ok())
    transport, clock = local(script)
    transport.execute(QUERY)
    assert len(script.seen) == 2 and len(clock.sleeps) == 1


def test_429_honours_retry_after_over_http(emulated_http):
    server = emulated_http([(429, {"errors": "Too many"}, {"Retry-After": "2.5"}), ok()])
    clock = Clock()
    transport = HttpTransport(server.endpoint, sleep=clock.sleep, clock=clock)
    transport.execute(QUERY)
    assert clock.sleeps == [2.5]
    assert server.bodies[0] == server.bodies[1]


def test_gives_up_after_bounded_attempts():
    transport, clock = local(Script(*[(503, None)] * 5), retry=RetryPolicy(max_attempts=3))
    with pytest.raises(StoreError, match="after 3 attempts: HTTP 503"):
        transport.execute(QUERY)
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, ["rejected the access token", "SHOPIFY_ACCESS_TOKEN"]),
        (403, ["read_inventory", "write_inventory"]),
        (404, ["shop domain", "2026-10"]),
    ],
)
def test_auth_and_not_found_messages(status, words):
    body = {"errors": f"[API] Invalid API key or access token {TOKEN}"}
    transport, _ = local(Script((status, body)), token=TOKEN)
    with pytest.raises(StoreError) as info:
        transport.execute(QUERY)
    for word in words:
        assert word in str(info.value)
    assert TOKEN not in str(info.value)


def test_other_4xx_is_a_store_error():
    transport, _ = local(Script((400, {"errors": [{"message": "Bad JSON"}]})))
    with pytest.raises(StoreError, match="HTTP 400: Bad JSON"):
        transport.execute(QUERY)


def test_echoed_token_is_masked_in_messages():
    body = {"errors": [{"message": f"token {TOKEN} is malformed"}]}
    transport, _ = local(Script((400, body)), token=TOKEN)
    with pytest.raises(StoreError) as info:
        transport.execute(QUERY)
    assert TOKEN not in str(info.value) and "token *** is malformed" in str(info.value)


@pytest.mark.parametrize("version", ["2025-10", "2026-01", "2024-04"])
def test_versions_before_2026_04_refused(version):
    with pytest.raises(UsageError, match="discards its quantities"):
        check_api_version(version)
    with pytest.raises(UsageError):
        LocalTransport(Script(), api_version=version)


@pytest.mark.parametrize("version", ["unstable", "2026-4", "", "2026-05"])
def test_malformed_versions_refused(version):
    with pytest.raises(UsageError, match="not a Shopify release"):
        check_api_version(version)


def test_newer_version_used_in_path():
    script = Script(ok())
    transport, _ = local(script, api_version="2026-07")
    transport.execute(QUERY)
    assert script.seen[0][2] == "/admin/api/2026-07/graphql.json"


# --- store parsing ------------------------------------------------------------------------------


def test_parse_store_kinds(tmp_path):
    state = tmp_path / "store.json"
    state.write_text("{}")
    assert parse_store(str(state)) == StoreSpec("file", str(state))
    assert parse_store("http://127.0.0.1:8080") == StoreSpec("http", "http://127.0.0.1:8080")
    assert parse_store("http://localhost:9/") == StoreSpec("http", "http://127.0.0.1:9")
    assert parse_store("US-Flagship.myshopify.com") == StoreSpec(
        "shopify", "us-flagship.myshopify.com"
    )
    assert parse_store("https://us.myshopify.com/").kind == "shopify"
    assert (
        StoreSpec("shopify", "us.myshopify.com").endpoint()
        == "https://us.myshopify.com/admin/api/2026-10/graphql.json"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no store given"),
        ("http://example.com:80", "not allowed"),
        ("http://10.0.0.2:8080", "not allowed"),
        ("http://127.0.0.1", "not allowed"),
        ("https://example.com", "not allowed"),
        ("http://127.0.0.1:80/admin", "must be just scheme, host and port"),
        ("us-flagship", "us-flagship.myshopify.com"),
        ("stores/missing.json", "neither an existing state file"),
        ("/dev/zero", "'/dev/zero' is not a regular file"),
        ("http://127.0.0.1:99999", "port 99999 is not a TCP port"),
        ("http://localhost:0", "port 0 is not a TCP port"),
    ],
)
def test_parse_store_refusals(value, message):
    with pytest.raises(UsageError, match=message):
        parse_store(value)


def test_parse_store_directory(tmp_path):
    with pytest.raises(UsageError, match="directory"):
        parse_store(str(tmp_path))


def test_shopify_store_needs_token():
    with pytest.raises(UsageError, match="SHOPIFY_ACCESS_TOKEN"):
        HttpTransport.for_store(StoreSpec("shopify", "us.myshopify.com"), env={})
    transport = HttpTransport.for_store(
        StoreSpec("shopify", "us.myshopify.com"), env={"SHOPIFY_ACCESS_TOKEN": TOKEN}
    )
    assert transport.url == "https://us.myshopify.com/admin/api/2026-10/graphql.json"
    assert TOKEN not in repr(transport)


# --- HTTP ---------------------------------------------------------------------------------------


class _Server:
    def __init__(self, replies):
        self.replies = list(replies)
        self.bodies = []
        self.headers = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                outer.headers.append(dict(self.headers))
                reply = outer.replies.pop(0)
                status, body = reply[0], reply[1]
                extra = reply[2] if len(reply) > 2 else {}
                data = json.dumps(body).encode() if body is not None else b"<html>oops</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.endpoint = self.url + "/admin/api/2026-04/graphql.json"
        # A short poll: shutdown() waits for it (the standard library's 0.5 s, every test).
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def emulated_http():
    servers = []

    def make(replies):
        server = _Server(replies)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def test_http_round_trip_keeps_errors_and_extensions(emulated_http):
    errors = [{"message": "Access denied", "extensions": {"code": "ACCESS_DENIED"}}]
    status, body = ok(requested=5, actual=3, data={"shop": None})
    body["errors"] = errors
    server = emulated_http([(status, body)])
    transport = HttpTransport(server.endpoint, token=TOKEN)
    response = transport.execute(QUERY, {"x": 1})
    assert response["errors"] == errors
    assert response["extensions"]["cost"]["actualQueryCost"] == 3
    assert server.headers[0]["X-Shopify-Access-Token"] == TOKEN
    assert server.bodies[0]["variables"] == {"x": 1}
    transport.close()


def test_http_5xx_html_body_retried(emulated_http):
    server = emulated_http([(502, None), ok()])
    clock = Clock()
    transport = HttpTransport(server.endpoint, sleep=clock.sleep, clock=clock, rng=random.Random(1))
    assert transport.execute(QUERY)["data"]
    assert len(clock.sleeps) == 1 and server.bodies[0] == server.bodies[1]


def test_http_throttled_then_ok(emulated_http):
    server = emulated_http([throttled(requested=300, available=100.0), ok()])
    clock = Clock()
    transport = HttpTransport(server.endpoint, sleep=clock.sleep, clock=clock)
    transport.execute(QUERY)
    assert clock.sleeps == [pytest.approx(2.0)]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_http_status_errors(emulated_http, status):
    server = emulated_http([(status, {"errors": "[API] Invalid API key or access token"})])
    transport = HttpTransport(server.endpoint, token=TOKEN)
    with pytest.raises(StoreError, match=f"HTTP {status}"):
        transport.execute(QUERY)


def test_http_connection_refused_is_one_clear_line_and_not_retried():
    """Nothing listens on the port: retrying cannot heal that, so the first attempt says so."""
    server = _Server([])
    endpoint = server.endpoint
    server.close()
    clock = Clock()
    transport = HttpTransport(
        endpoint,
        token=TOKEN,
        sleep=clock.sleep,
        clock=clock,
        retry=RetryPolicy(max_attempts=5),
        timeout=2,
    )
    with pytest.raises(RefusedError) as info:
        transport.execute(QUERY)
    message = str(info.value)
    assert message == (f"cannot reach {endpoint.split('/admin/')[0]}: connection refused; check "
                       "that the store (or `syncer emulator`) is running at that address")
    assert TOKEN not in message and TOKEN not in repr(info.value)
    assert (transport.calls, clock.sleeps) == (1, [])


def test_a_host_name_that_does_not_resolve_is_not_retried():
    clock = Clock()
    transport = HttpTransport("http://no-such-host.invalid:8080/admin/api/2026-04/graphql.json",
                              sleep=clock.sleep, clock=clock, timeout=5)
    with pytest.raises(RefusedError, match="the host name no-such-host.invalid does not "
                                           "resolve; check the store address"):
        transport.execute(QUERY)
    assert (transport.calls, clock.sleeps) == (1, [])


def test_connection_errors_are_shortened_at_a_word_boundary():
    from syncer.shopify.http_transport import _first_line

    text = _first_line(OSError("word " * 100))
    assert text.endswith("word ...") and len(text) < 220


def test_token_never_leaks(emulated_http, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    server = emulated_http(
        [
            (503, None),
            throttled(requested=50, available=0.0),
            ok(),
            (401, {"errors": f"bad token {TOKEN}"}),
        ]
    )
    clock = Clock()
    transport = HttpTransport(
        server.endpoint, token=TOKEN, sleep=clock.sleep, clock=clock, rng=random.Random(3)
    )
    transport.execute(QUERY, {"v": 1})
    with pytest.raises(StoreError) as info:
        transport.execute(QUERY)
    captured = capsys.readouterr()
    texts = [
        caplog.text,
        captured.out,
        captured.err,
        str(info.value),
        repr(info.value),
        repr(transport),
        str(info.value.__cause__),
        str(info.value.__context__),
    ]
    assert all(TOKEN not in text for text in texts)
    assert any("Throttled" in r.getMessage() for r in caplog.records)
    local_transport = LocalTransport(Script(), token=TOKEN)
    assert TOKEN not in repr(local_transport) and TOKEN not in str(vars(local_transport).keys())
