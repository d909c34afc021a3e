"""A transport that calls an in-process handler (the embedded emulator): no socket.

Everything else (retries, pacing, token refresh, masking) is ``transport._BaseTransport``'s, so
a local state file is read and written exactly as a store over HTTP is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from syncer.shopify.stores import api_path
from syncer.shopify.transport import VERSION_HEADER, _BaseTransport, _ConnectionLost, _Reply

#: What ``LocalTransport`` calls: ``handler(body, headers, path)`` -> ``(status, json)`` or
#: ``(status, json, response headers)``.
LocalHandler = Callable[[dict[str, Any], dict[str, str], str],
                        tuple[int, Any] | tuple[int, Any, dict[str, str]]]


class LocalTransport(_BaseTransport):
    """Calls ``handler(body, headers, path)`` in process, with no socket; it returns
    ``(status, json)`` or ``(status, json, response headers)``."""

    where = "the local store"

    def __init__(self, handler: LocalHandler, **kwargs: Any):
        super().__init__(**kwargs)
        self._handler = handler

    def __repr__(self) -> str:
        return f"LocalTransport(api_version={self.api_version!r}, calls={self.calls})"

    def _send(self, document: str, variables: dict[str, Any]) -> _Reply:
        body = {"query": document, "variables": copy.deepcopy(variables)}
        try:
            answer = self._handler(body, self._headers(), api_path(self.api_version))
        except OSError as exc:
            raise _ConnectionLost(type(exc).__name__) from None
        status, payload, headers = (*answer, {}) if len(answer) == 2 else answer
        served = {k.lower(): v for k, v in headers.items()}.get(VERSION_HEADER.lower())
        return _Reply(int(status), payload, served=served)
