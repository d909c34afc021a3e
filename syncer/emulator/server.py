"""Serve an ``Emulator`` over HTTP with the standard library (for demos and the CLI)."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from syncer.emulator.handler import API_PATH, NOT_FOUND

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one emulator; ``url`` is its GraphQL endpoint."""

    daemon_threads = True

    def __init__(self, emulator, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator

    @property
    def url(self) -> str:
        """``http://HOST:PORT/admin/api/2026-04/graphql.json``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PATH}"


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, {"errors": "Request Entity Too Large"})
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        status, payload = self.server.emulator.handle(body, dict(self.headers), self.path)
        self._reply(status, payload)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(404, NOT_FOUND)

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)


def serve(emulator, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Bind an HTTP server for ``emulator`` (port 0 picks a free port); call ``serve_forever``."""
    return EmulatorServer(emulator, (host, port))
