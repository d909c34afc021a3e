"""What ``syncer doctor`` reads from a store: who it is, what the app may do, what is running.

One query (about 6 cost points): the shop's name and ``myshopifyDomain``, the app's granted
``accessScopes``, ``locationsCount``, and the app's newest bulk query (``bulkOperations``, newest
first: an app runs one bulk query at a time, so only the newest can be in progress). A field the
token lacks a scope for is denied (``ACCESS_DENIED``, with ``data`` for the rest): the denial is
a finding, not a failure. The answer's ``throttleStatus`` is the plan's rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from syncer.errors import RemoteError
from syncer.shopify import decode
from syncer.shopify.transport import Transport

STORE_CHECK_QUERY = """
query SyncerStoreCheck {
  shop {
    name
    myshopifyDomain
  }
  currentAppInstallation {
    accessScopes {
      handle
    }
  }
  locationsCount {
    count
    precision
  }
  bulkOperations(first: 1, query: "operation_type:query") {
    nodes {
      id
      status
      createdAt
    }
  }
}
"""

#: A bulk operation in one of these is in progress: the app cannot start another bulk query.
IN_PROGRESS = ("CREATED", "RUNNING", "CANCELING")


@dataclass(frozen=True, slots=True)
class StoreFacts:
    """What the store said about itself and the app (None: not readable with this token)."""

    name: str
    domain: str
    scopes: tuple[str, ...] | None
    locations: int | None
    locations_exact: bool = True
    #: ``(id, status, createdAt)`` of a bulk query in progress, or None.
    bulk_running: tuple[str, str, str] | None = None
    #: The rate limit as ``throttleStatus`` showed it: maximumAvailable, restoreRate,
    #: currentlyAvailable (empty when the store sent none).
    throttle: Mapping[str, float] = field(default_factory=dict)
    #: Fields the token may not read -> the access Shopify says they need.
    denied: Mapping[str, str] = field(default_factory=dict)


def read_store_facts(transport: Transport) -> StoreFacts:
    """Ask the store (``STORE_CHECK_QUERY``); ``RemoteError`` for anything but a denied field."""
    response = transport.execute(STORE_CHECK_QUERY, None)
    denied: dict[str, str] = {}
    others = []
    for error in decode.graphql_errors(response):
        path = error.get("path")
        if decode.error_code(error) == "ACCESS_DENIED" and isinstance(path, list) and path:
            extensions = error.get("extensions") or {}
            denied[str(path[0])] = str(extensions.get("requiredAccess") or error.get("message"))
        else:
            others.append(error)
    if others:
        raise RemoteError("Shopify answered with errors: " + decode.error_text(others), others)
    data = response.get("data")
    if not isinstance(data, dict):
        raise RemoteError("the store answered without data")
    shop = data.get("shop")
    name = decode.require(shop, "name", str, "shop")
    domain = decode.require(shop, "myshopifyDomain", str, "shop")
    return StoreFacts(name, domain, _scopes(data.get("currentAppInstallation")),
                      *_count(data.get("locationsCount")),
                      bulk_running=_running(data.get("bulkOperations")),
                      throttle=_throttle(response), denied=denied)


def _scopes(installation: Any) -> tuple[str, ...] | None:
    if not isinstance(installation, dict):
        return None
    scopes = installation.get("accessScopes")
    if not isinstance(scopes, list):
        raise decode.malformed("currentAppInstallation.accessScopes")
    return tuple(sorted(s["handle"] for s in scopes
                        if isinstance(s, dict) and isinstance(s.get("handle"), str)))


def _count(count: Any) -> tuple[int | None, bool]:
    if not isinstance(count, dict):
        return None, True
    number = decode.require(count, "count", int, "locationsCount")
    return number, count.get("precision") != "AT_LEAST"


def _running(operations: Any) -> tuple[str, str, str] | None:
    nodes = operations.get("nodes") if isinstance(operations, dict) else None
    for node in nodes or ():
        if isinstance(node, dict) and node.get("status") in IN_PROGRESS:
            return (str(node.get("id")), str(node["status"]), str(node.get("createdAt") or ""))
    return None


def _throttle(response: Mapping[str, Any]) -> dict[str, float]:
    extensions = response.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(status, dict):
        return {}
    return {key: float(status[key]) for key in
            ("maximumAvailable", "restoreRate", "currentlyAvailable")
            if isinstance(status.get(key), int | float)}
