"""Where the store is: ``--store`` values, API versions, and the environment names syncer reads.

Pure apart from looking at the file system for a state file: ``parse_store`` classifies a
``--store`` / ``SYNCER_STORE`` value as a state file, a local emulator or a Shopify shop, and
``check_api_version`` refuses versions syncer cannot apply safely. Sending is ``transport.py``
(``http_transport.py`` over HTTP).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from syncer.errors import UsageError, quoted

log = logging.getLogger(__name__)

#: The Admin API versions syncer knows (its documents validate against each one's SDL).
SUPPORTED_API_VERSIONS = ("2026-04", "2026-07", "2026-10")
MIN_API_VERSION = SUPPORTED_API_VERSIONS[0]
DEFAULT_API_VERSION = SUPPORTED_API_VERSIONS[-1]  # the latest stable version syncer knows
TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"
STORE_ENV = "SYNCER_STORE"

_VERSION = re.compile(r"\d{4}-(01|04|07|10)")
_WARNED: set[str] = set()  # newer versions already warned about (once per process)
_SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def check_api_version(version: str) -> str:
    """``version`` if syncer supports it; ``UsageError`` otherwise.

    A release newer than syncer knows is allowed with a warning: the transport then proceeds
    only if the store answers with that very version (``X-Shopify-API-Version``).

    >>> check_api_version("2026-07")
    '2026-07'
    """
    if not _VERSION.fullmatch(version or ""):
        raise UsageError(
            f"API version {quoted(version)} is not a Shopify release like {DEFAULT_API_VERSION} "
            "(YYYY-01, -04, -07 or -10)"
        )
    if version < MIN_API_VERSION:
        raise UsageError(
            f"API version {version} is not supported: before {MIN_API_VERSION}, deactivating an "
            "inventory level discards its quantities, so an apply could destroy stock counts; "
            f"use --api-version {MIN_API_VERSION} or later"
        )
    if version > DEFAULT_API_VERSION and version not in _WARNED:
        _WARNED.add(version)
        log.warning("API version %s is newer than syncer knows (up to %s): syncer proceeds only "
                    "if the store serves it", version, DEFAULT_API_VERSION)
    return version


def api_path(api_version: str) -> str:
    """The GraphQL endpoint path for ``api_version``."""
    return f"/admin/api/{api_version}/graphql.json"


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Where the store is: ``kind`` is ``file`` (state file, in process), ``http`` or ``shopify``.

    ``address`` is the file path, the emulator's base URL, or the shop's domain.
    """

    kind: str
    address: str

    def endpoint(self, api_version: str = DEFAULT_API_VERSION) -> str:
        """The GraphQL URL of an ``http`` or ``shopify`` store."""
        if self.kind == "shopify":
            return f"https://{self.address}{api_path(api_version)}"
        if self.kind == "http":
            return f"{self.address}{api_path(api_version)}"
        raise UsageError(f"a {self.kind} store has no URL")


def parse_store(value: str) -> StoreSpec:
    """Classify a ``--store`` / ``SYNCER_STORE`` value.

    >>> parse_store("us-flagship.myshopify.com")
    StoreSpec(kind='shopify', address='us-flagship.myshopify.com')
    >>> parse_store("http://127.0.0.1:8080/")
    StoreSpec(kind='http', address='http://127.0.0.1:8080')
    >>> parse_store("http://localhost:8080/admin/api/2026-04/graphql.json")
    StoreSpec(kind='http', address='http://127.0.0.1:8080')
    """
    text = (value or "").strip()
    if not text:
        raise UsageError(f"no store given: pass --store or set {STORE_ENV}")
    if "://" in text:
        return _parse_url(text)
    if _SHOP.fullmatch(text.lower()):
        return StoreSpec("shopify", text.lower())
    path = Path(text).expanduser()
    if path.is_file():
        return StoreSpec("file", str(path))
    if path.is_dir():
        raise UsageError(f"store {quoted(text)} is a directory, not a store state file")
    if path.exists():
        raise UsageError(f"store {quoted(text)} is not a regular file (a device, FIFO or socket), "
                         "so it cannot be a store state file")
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", text.lower()):
        raise UsageError(
            f"store {quoted(text)} is not a file; for a Shopify store write "
            f"{text.lower()}.myshopify.com"
        )
    raise UsageError(
        f"store {quoted(text)} is neither an existing state file, an http://127.0.0.1:PORT "
        "emulator, "
        "nor SHOP.myshopify.com"
    )


def _parse_url(text: str) -> StoreSpec:
    # The endpoint itself (as the emulator's banner prints it) names the same store.
    match = re.fullmatch(r"(https?)://([^/?#]+)(?:/+admin/api/[^/]+/graphql\.json)?/*", text)
    if not match:
        raise UsageError(
            f"store URL {quoted(text)} must be just scheme, host and port (or the GraphQL endpoint "
            "URL, .../admin/api/VERSION/graphql.json)"
        )
    scheme, netloc = match.group(1), match.group(2).lower()
    if scheme == "https" and _SHOP.fullmatch(netloc):
        return StoreSpec("shopify", netloc)
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if scheme == "http" and host in _LOCAL_HOSTS and port.isdigit():
        if not 0 < int(port) < 65536:
            raise UsageError(f"store URL {quoted(text)}: port {int(port)} is not a TCP port "
                             "(1-65535)")
        # One spelling per address, so a plan made via localhost applies via 127.0.0.1.
        host = "127.0.0.1" if host == "localhost" else host
        return StoreSpec("http", f"http://{host}:{int(port)}")
    raise UsageError(
        f"store URL {quoted(text)} is not allowed: use http://127.0.0.1:PORT (or localhost) for an "
        "emulator, or SHOP.myshopify.com for a Shopify store"
    )
