"""Serve an ``Emulator`` over HTTP with the standard library (for demos and the CLI)."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from syncer.emulator.bulk import PATH_PREFIX as BULK_PATH
from syncer.emulator.faults import DROP, ResponseLost
from syncer.emulator.handler import API_PATH, NOT_FOUND, UNAUTHORIZED
from syncer.emulator.oauth import TOKEN_PATH

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024
#: How often ``serve_forever`` looks for ``shutdown()`` (the standard library's 0.5 s made every
#: stop of a test server, or of ``syncer emulator serve``, wait up to half a second).
POLL_INTERVAL = 0.05
FAULTS_PATH = "/_emulator/faults"
STATE_PATH = "/_emulator/state"


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one emulator; ``url`` is its GraphQL endpoint."""

    daemon_threads = True

    def __init__(self, emulator, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator

    @property
    def emulator(self):
        """The emulator served; it serves its bulk results at this server's address."""
        return self._emulator

    @emulator.setter
    def emulator(self, emulator) -> None:
        self._emulator = emulator
        if emulator is not None:
            host, port = self.server_address[:2]
            emulator.bulk.base_url = f"http://{host}:{port}"

    def serve_forever(self, poll_interval: float = POLL_INTERVAL) -> None:
        """Serve until ``shutdown()``, which then returns within ``poll_interval`` seconds."""
        super().serve_forever(poll_interval)

    @property
    def url(self) -> str:
        """``http://HOST:PORT/admin/api/2026-10/graphql.json`` (the latest version served)."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PATH}"


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: an answer goes out as two writes (headers, then body); with Nagle's
    # algorithm the body waited for the client's delayed ACK of the headers, up to 40 ms a
    # request on a keep-alive connection (4.7 s of the 6.3 s a 10-plan soak took).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, {"errors": "Request Entity Too Large"})
            return
        raw = self.rfile.read(length)
        if self.path.split("?", 1)[0] == TOKEN_PATH:  # the client credentials grant
            status, kind, data = self.server.emulator.oauth.respond(
                raw, self.headers.get("Content-Type"))
            self._reply(status, None, raw_body=(kind, data))
            return
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        try:
            status, payload, headers = self.server.emulator.respond(body, dict(self.headers),
                                                                    self.path)
        except ResponseLost as lost:
            self._lose(lost)
            return
        self._reply(status, payload, headers=headers)

    def do_GET(self) -> None:  # noqa: N802
        """``/_emulator/faults`` (counters, sales, journal) and ``/_emulator/state``."""
        emulator = self.server.emulator
        path = self.path.split("?", 1)[0]
        if path.startswith(BULK_PATH):
            self._bulk_result(emulator.bulk.open(path))
        elif path not in (FAULTS_PATH, STATE_PATH):
            self._reply(404, NOT_FOUND)
        elif not emulator.authorized(dict(self.headers)):
            self._reply(401, UNAUTHORIZED)
        elif path == FAULTS_PATH:
            self._reply(200, emulator.fault_report())
        else:
            self._reply(200, emulator.state())

    def _bulk_result(self, result) -> None:
        """A bulk operation's JSONL; the ``drop`` fault closes the socket half-way."""
        if result is None:
            self._reply(404, NOT_FOUND)
            return
        size, chunks = result
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except ConnectionResetError:
            self.wfile.flush()
            self.close_connection = True

    def _reply(self, status: int, payload: dict | None, part: bool = False,
               headers: dict | None = None, raw_body: tuple[str, bytes] | None = None) -> None:
        kind, data = raw_body or ("application/json; charset=utf-8", json.dumps(payload).encode())
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if part else data)

    def _lose(self, lost: ResponseLost) -> None:
        """The request was committed; send nothing, or the headers and half the body; close."""
        if lost.kind != DROP:
            self._reply(lost.status, lost.body, part=True)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)


def serve(emulator, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Bind an HTTP server for ``emulator`` (port 0 picks a free port); call ``serve_forever``."""
    return EmulatorServer(emulator, (host, port))
