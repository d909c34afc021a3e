"""Reading inventory with one bulk query: run it, poll it with backoff, stream its JSONL.

``bulk_objects`` starts ``bulkOperationRunQuery`` with ``BULK_LEVELS_QUERY`` (every inventory
item with its SKU and its levels, inactive ones included, with quantities), polls
``bulkOperation(id:)`` with growing intervals, and yields the result file's objects one line at a
time: the file is never held whole. Anything that stops the bulk read (refused, ``FAILED``,
canceled, too slow, a download that keeps breaking) raises ``BulkUnavailable`` with the reason,
so the reader can fall back to paginated queries and say why.

Costs (Shopify's and the emulator's rules): the run mutation 10 points, each poll 1; the bulk
query itself is not charged, so a read of any size costs a few dozen points.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from syncer.errors import RemoteError, StoreError, quoted
from syncer.model import QUANTITY_NAMES, Item, nfc
from syncer.progress import Tick
from syncer.shopify import decode
from syncer.shopify.transport import Transport

_QUANTITIES = ", ".join(f'"{name}"' for name in QUANTITY_NAMES)
BULK_LEVELS_QUERY = (
    "{ inventoryItems { edges { node { id sku unitCost { amount currencyCode } "
    "inventoryLevels(includeInactive: true) { edges { node { "
    "id isActive canDeactivate deactivationAlert location { id } "
    f"quantities(names: [{_QUANTITIES}]) {{ name quantity }} }} }} }} }} }} }} }}"
)
RUN_MUTATION = """
mutation SyncerBulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status objectCount url }
    userErrors { field message code }
  }
}
"""
POLL_QUERY = """
query SyncerBulkPoll($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount url }
}
"""
CANCEL_MUTATION = """
mutation SyncerBulkCancel($id: ID!) {
  bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } }
}
"""
#: Fetches a result URL: an iterable of byte chunks (raises ``OSError`` if the transfer breaks).
Fetch = Callable[[str], Iterable[bytes]]
FAILED = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")


class BulkUnavailable(Exception):
    """The bulk read could not be done; the message says why (for the fallback line)."""


@dataclass(frozen=True, slots=True)
class BulkPolicy:
    """Polling: first wait, growth factor, longest wait; give up after ``timeout`` seconds.

    The longest wait is 5 s: a poll costs 1 point, and with 15 s an export that finished just
    after a poll kept the run waiting up to 15 s more (a quarter of a minute-long import).
    """

    first_poll: float = 1.0
    factor: float = 1.5
    max_poll: float = 5.0
    timeout: float = 1800.0
    download_attempts: int = 3


def bulk_objects(transport: Transport, fetch: Fetch, progress: Callable[[str], None],
                 policy: BulkPolicy | None = None) -> Iterator[dict[str, Any]]:
    """Run the bulk read and yield its JSONL objects; ``BulkUnavailable`` if it cannot."""
    policy = policy or BulkPolicy()
    url = _run(transport, progress, policy)
    for attempt in range(1, policy.download_attempts + 1):
        try:
            yield from _lines(fetch(url))
            return
        except OSError as exc:
            if attempt == policy.download_attempts:
                raise BulkUnavailable(f"the result download broke {attempt} times ({exc})") \
                    from None
            progress(f"Bulk result download broke ({exc}); downloading again ...")
            yield _RESTART


#: Yielded when a download starts over: the consumer drops what it has read so far.
_RESTART: dict[str, Any] = {"__restart__": True}


def is_restart(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` tells the consumer that the result is being read again from the start."""
    return obj is _RESTART


def _run(transport: Transport, progress: Callable[[str], None], policy: BulkPolicy) -> str:
    """Start the operation and poll it; the result URL."""
    try:
        response = transport.execute(RUN_MUTATION, {"query": BULK_LEVELS_QUERY})
        data = decode.raise_for_errors(response)
    except (RemoteError, StoreError) as exc:
        raise BulkUnavailable(f"the store refused the bulk query ({exc})") from None
    payload = data.get("bulkOperationRunQuery") or {}
    errors = payload.get("userErrors") or []
    operation = payload.get("bulkOperation")
    if errors or not isinstance(operation, dict) or not isinstance(operation.get("id"), str):
        detail = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
        raise BulkUnavailable(f"the store refused the bulk query: {detail or 'no operation'}")
    op_id = operation["id"]
    if operation.get("status") == "COMPLETED":
        # Shopify answers a just-created operation; a local store without simulated timing
        # has already finished it, and then there is nothing to wait for.
        return _result(operation, op_id, 0.0, progress)
    waited, delay = 0.0, policy.first_poll
    while True:
        transport.wait(delay)
        waited += delay
        try:
            data = decode.raise_for_errors(transport.execute(POLL_QUERY, {"id": op_id}))
        except (RemoteError, StoreError) as exc:
            raise BulkUnavailable(f"polling bulk operation {op_id} failed ({exc})") from None
        state = data.get("bulkOperation") or {}
        status = state.get("status")
        if status == "COMPLETED":
            return _result(state, op_id, waited, progress)
        objects = int(state.get("objectCount") or 0)
        progress(Tick(f"Bulk operation {status}, {objects:,} objects, {waited:.0f} s", objects))
        if status in FAILED or status is None:
            code = state.get("errorCode")
            raise BulkUnavailable(f"bulk operation {op_id} is {status}"
                                  + (f" ({code})" if code else ""))
        if waited >= policy.timeout:
            _cancel(transport, op_id)
            raise BulkUnavailable(f"bulk operation {op_id} did not finish in "
                                  f"{policy.timeout:.0f} s (canceled)")
        delay = min(policy.max_poll, delay * policy.factor, policy.timeout - waited)


def _result(state: dict[str, Any], op_id: str, waited: float,
            progress: Callable[[str], None]) -> str:
    """The result URL of a completed operation (``BulkUnavailable`` if it has none)."""
    url = state.get("url")
    if not isinstance(url, str):  # nothing matched
        raise BulkUnavailable(f"bulk operation {op_id} completed without a result file")
    objects = int(state.get("objectCount") or 0)
    progress(f"Bulk operation COMPLETED: {objects:,} objects in {waited:.0f} s")
    return url


def _cancel(transport: Transport, op_id: str) -> None:
    try:
        transport.execute(CANCEL_MUTATION, {"id": op_id})
    except (RemoteError, StoreError):
        pass  # best effort: the operation times out on its own


def _lines(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """JSON objects from JSONL byte chunks, without holding more than one chunk and a line."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            if line.strip():
                yield _object(line)
    if rest.strip():
        yield _object(rest)


def _object(line: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError:
        raise RemoteError(f"malformed bulk result line: {_shown(line)}") from None
    if not isinstance(obj, dict):
        raise RemoteError(f"malformed bulk result line: {_shown(line)}")
    return obj


def _shown(line: bytes) -> str:
    """The start of a result line for a message: its text, quoted."""
    text = line[:80].decode("utf-8", "replace")
    return quoted(text + ("..." if len(line) > 80 else ""))


def local_fetch(open_result: Callable[[str], tuple[int, Iterable[bytes]] | None]) -> Fetch:
    """A ``Fetch`` over an in-process emulator's ``bulk.open(path)``."""

    def fetch(url: str) -> Iterator[bytes]:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
        result = open_result(path)
        if result is None:
            raise OSError(f"no bulk result at {url}")
        yield from result[1]

    return fetch


def collect(builder: decode.LiveBuilder, objects: Iterable[dict[str, Any]], *, skus: set[str],
            ids: set[str], targets: set[str], read_all: bool,
            progress: Callable[[str], None],
            seen: dict[str, Item] | None = None) -> None:
    """Add what the manifests need from the bulk objects to ``builder`` (a ``LiveBuilder``).

    Items whose SKU or id the manifests name (SKUs compare in NFC, as the paged read and the
    planner do); levels at ``targets`` of those items (of every item with ``read_all``): the
    same live state the paginated reads give. ``seen``, when given, gets every item.
    """
    skus = {nfc(sku) for sku in skus}
    seen = {} if seen is None else seen
    kept: set[str] = set()
    count = 0
    for obj in objects:
        if is_restart(obj):
            builder.items.clear()
            builder.levels.clear()
            seen.clear()
            kept.clear()
            count = 0
            continue
        count += 1
        if count % 50_000 == 0:
            progress(Tick(f"Reading bulk result: {count:,} objects", count))
        parent = obj.get("__parentId")
        if parent is None:
            item = decode.parse_item(obj)
            seen[item.id] = item
            if item.id in ids or (item.sku is not None and nfc(item.sku) in skus):
                builder.items[item.id] = item
                kept.add(item.id)
            continue
        location = obj.get("location")
        location_id = location.get("id") if isinstance(location, dict) else None
        if not isinstance(location_id, str):
            raise RemoteError(f"malformed bulk result: level {obj.get('id')} has no location id")
        if location_id not in targets or not (read_all or parent in kept):
            continue
        owner = seen.get(parent)
        if owner is None:
            raise RemoteError(f"malformed bulk result: level {obj.get('id')} comes before its "
                              f"item {parent}")
        obj["item"] = {"id": parent}
        builder.items.setdefault(parent, owner)
        builder.add_level(location_id, obj)


def collect_store(builder: decode.LiveBuilder, objects: Iterable[dict[str, Any]], *,
                  targets: set[str], progress: Callable[[str], None]) -> None:
    """Add every level at ``targets`` from the bulk objects to ``builder``, with its item, and
    every other item carrying the SKU of one of those items (``syncer import`` tells items that
    share a SKU apart): the live state ``reader.read_store`` reads page by page."""
    seen: dict[str, Item] = {}
    collect(builder, objects, skus=set(), ids=set(), targets=targets, read_all=True,
            progress=progress, seen=seen)
    shared = {nfc(item.sku) for item in builder.items.values() if item.sku}
    for item_id, item in seen.items():
        if item_id not in builder.items and item.sku and nfc(item.sku) in shared:
            builder.items[item_id] = item
