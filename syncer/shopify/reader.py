"""Reading the live store: what the manifests name, inactive levels included.

``read_live`` resolves the manifests' locations and items, then reads the levels at those
locations in one of two ways, chosen per location by expected cost:

* **scan**: page through ``location.inventoryLevels(includeInactive: true)``. Needed when
  unmanaged levels matter (``policy.unmanaged: deactivate`` or ``prune=True``), and cheapest when
  a location holds few levels.
* **point reads**: ``location.inventoryLevel(inventoryItemId:, includeInactive: true)`` per
  managed item, many aliases per query. A location with 100,000 levels where the manifests name
  10 items costs one query instead of a thousand pages.

Without a level count per location the choice is made online: a location whose point reads fit
in one page's budget is point-read; otherwise it is scanned until the point reads left would cost
no more than the pages already read (so it never costs much more than twice the better choice).
With ``read="bulk"`` (or ``"auto"`` for manifests of ``BULK_MIN_LEVELS`` levels or more) items
and levels come from one bulk query instead (``bulk.py``): a few dozen cost points for any size.
If it fails, the reader says so and reads page by page.
Unknown names are not errors here: the reader returns what exists and the planner reports what
is missing or ambiguous, with the manifest's file:line.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from syncer.errors import RemoteError, plural
from syncer.model import ITEM_GID, LOCATION_GID, DesiredState, LiveState, nfc
from syncer.progress import Tick
from syncer.shopify import decode, documents
from syncer.shopify.bulk import BulkPolicy, BulkUnavailable, Fetch, bulk_objects, collect
from syncer.shopify.transport import Transport
from syncer.shopify.variables import levels_by_item_variables, sku_search


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Page and batch sizes; the defaults are the largest that keep each query <= 1000 points."""

    locations_page: int = documents.LOCATIONS_PAGE_SIZE
    items_page: int = documents.ITEMS_PAGE_SIZE
    skus_per_query: int = documents.SKUS_PER_QUERY
    ids_per_query: int = documents.IDS_PER_QUERY
    levels_page: int = documents.LEVELS_PAGE_SIZE
    items_per_point_query: int = documents.ITEMS_PER_POINT_QUERY


READ_MODES = ("auto", "bulk", "paged")
#: ``auto`` reads in bulk from this many manifest levels on. Paginated reads cost about 3 points
#: a level (benchmarks/performance.py), so below ~300 levels they stay under 1,000 points: they
#: fit in any plan's bucket at once and finish without waiting, while a bulk read waits for the
#: whole store to be exported. Above it, the bulk read's ~30 points win by more each level.
BULK_MIN_LEVELS = 300


def read_live(
    transport: Transport,
    desired: DesiredState,
    *,
    prune: bool = False,
    progress: Callable[[str], None] | None = None,
    limits: ReadLimits | None = None,
    read: str = "auto",
    fetch: Fetch | None = None,
    bulk_policy: BulkPolicy | None = None,
) -> LiveState:
    """Read the locations, items and levels ``desired`` needs from the store.

    Args:
        prune: also read unmanaged levels (implied by ``policy.unmanaged: deactivate``).
        progress: called with short status lines for the CLI.
        limits: page sizes (tests use small ones to exercise pagination).
        read: ``auto``, ``bulk`` or ``paged`` (see the module docstring).
        fetch: downloads a bulk result URL; without it the read is paged.
    """
    reader = _Reader(transport, limits or ReadLimits(), progress)
    read_all = prune or desired.policy.unmanaged == "deactivate"
    if read not in READ_MODES:
        raise ValueError(f"read must be one of {READ_MODES}, not {read!r}")
    bulk = read == "bulk" or (read == "auto" and len(desired.levels) >= BULK_MIN_LEVELS)
    if bulk and fetch is None:
        reader.progress("Bulk read not available for this store; reading page by page")
    elif bulk:
        return reader.read_bulk(desired, read_all, fetch, bulk_policy)
    return reader.read(desired, read_all)


class _Reader:
    def __init__(self, transport: Transport, limits: ReadLimits, progress) -> None:
        self.transport = transport
        self.limits = limits
        self.progress = progress or (lambda _text: None)
        self.builder = decode.LiveBuilder()
        self.pending: list[tuple[str, list[str]]] = []
        self._calls0 = getattr(transport, "calls", 0)
        self._waited0 = getattr(transport, "waited", 0.0)
        self._started = time.monotonic()
        self._levels_read = 0
        self._expected = 0
        self._cost0 = getattr(transport, "cost_points", 0)

    def _query(self, document: str, variables: dict) -> dict:
        return decode.raise_for_errors(self.transport.execute(document, variables))

    def _pages(
        self,
        document: str,
        variables: dict,
        first: int,
        connection: Callable[[dict], object],
        what: str,
    ) -> Iterator[tuple[decode.Page, int]]:
        """Every page of a connection, as ``(page, first)``; stop early by leaving the loop.

        ``connection`` picks the connection out of an answer's data. A store that prices a page
        higher than our rules (``MAX_COST_EXCEEDED``) gets smaller pages; one that repeats a
        cursor is an error rather than a loop forever.
        """
        after = None
        while True:
            try:
                data = self._query(document, {**variables, "first": first, "after": after})
            except RemoteError as exc:
                smaller = decode.smaller_page(first, exc)
                if smaller is None:
                    raise
                first = smaller
                continue
            page = decode.page(connection(data), what)
            yield page, first
            if not page.has_next:
                return
            if page.end_cursor == after:
                raise decode.malformed(
                    f"{what} returned the same endCursor {page.end_cursor!r} twice; stopped paging"
                )
            after = page.end_cursor

    def read(self, desired: DesiredState, read_all: bool) -> LiveState:
        self._read_locations()
        self._read_items(desired.locations, (level.item for level in desired.levels))
        targets = self._resolve_locations(desired.locations)
        managed = self._managed_items(desired, targets)
        self._expected = sum(len(items) for items in managed.values())
        self.progress(f"Reading {plural(len(targets), 'location')} ...")
        for location_id in sorted(managed):
            items = managed[location_id]
            point_cost = documents.levels_by_item_cost([len(items)])
            page_cost = documents.location_levels_cost(self.limits.levels_page)
            if not read_all and point_cost <= page_cost:
                self.pending.append((location_id, items))
            else:
                self._scan(location_id, items, read_all)
        self._point_reads()
        live = self.builder.build()
        self.progress(self._summary(live, managed))
        return live

    def read_bulk(self, desired: DesiredState, read_all: bool, fetch: Fetch,
                  policy: BulkPolicy | None) -> LiveState:
        """Locations page by page, items and levels from one bulk query (or paged on failure)."""
        self._read_locations()
        self._read_items(desired.locations, ())  # location gids the listing did not show
        targets = self._resolve_locations(desired.locations)
        refs = {level.item for level in desired.levels}
        self.progress("Reading items and levels with a bulk query ...")
        try:
            collect(self.builder, bulk_objects(self.transport, fetch, self.progress, policy),
                    skus={r for r in refs if not r.startswith(ITEM_GID)},
                    ids={r for r in refs if r.startswith(ITEM_GID)}, targets=set(targets),
                    read_all=read_all, progress=self.progress)
        except BulkUnavailable as exc:
            self.progress(f"Bulk read unavailable: {exc}; reading page by page instead")
            self.builder = decode.LiveBuilder()
            return self.read(desired, read_all)
        live = self.builder.build()
        self.progress(self._summary(live, self._managed_items(desired, targets)))
        return live

    def _tick(self, read: int, where: str = "") -> None:
        """``Reading levels: 42,000 / 100,000, 12 s`` (and the rate-limit wait, if any); a scan
        names its location (``where``)."""
        self._levels_read += read
        waited = getattr(self.transport, "waited", 0.0) - self._waited0
        elapsed = time.monotonic() - self._started + waited
        total = max(self._expected, self._levels_read)
        text = f"Reading levels: {self._levels_read:,} / {total:,}"
        if elapsed >= 1:
            text += f", {elapsed:.0f} s"
        if waited >= 1:
            text += f" ({waited:.0f} s waiting on the rate limit)"
        text += where
        self.progress(Tick(text, self._levels_read, total))

    def _summary(self, live: LiveState, managed: dict) -> str:
        levels = [lvl for lvl in live.levels.values() if lvl.location_id in managed]
        inactive = sum(1 for lvl in levels if not lvl.active)
        calls = getattr(self.transport, "calls", 0) - self._calls0
        cost = getattr(self.transport, "cost_points", 0) - self._cost0
        return (
            f"Reading {plural(len(managed), 'location')}, {plural(len(levels), 'level')} "
            f"(incl. {inactive:,} inactive) ... done ({plural(calls, 'call')}, "
            f"{cost:,.0f} cost points)"
        )

    # --- locations and items ----------------------------------------------------------------

    def _read_locations(self) -> None:
        pages = self._pages(documents.LOCATIONS_QUERY, {}, self.limits.locations_page,
                            lambda data: data.get("locations"), "locations")
        for page, _first in pages:
            for node in page.nodes:
                self.builder.add_location(node)

    def _resolve_locations(self, refs: Iterable[str]) -> list[str]:
        """Ids of the locations the manifests name (every match of an ambiguous name)."""
        by_name: dict[str, list[str]] = {}
        for location in self.builder.locations.values():
            by_name.setdefault(nfc(location.name), []).append(location.id)
        ids = set()
        for ref in refs:
            if ref.startswith(LOCATION_GID):
                if ref in self.builder.locations:
                    ids.add(ref)
            else:
                # Names compare in NFC, as the planner does: a name typed in NFD still matches.
                ids.update(by_name.get(nfc(ref), ()))
        return sorted(ids)

    def _read_items(self, location_refs: Iterable[str], item_refs: Iterable[str]) -> None:
        """Items by SKU (search) and by gid, plus location gids the listing did not show."""
        refs = set(item_refs)
        # A SKU is searched as written and in NFC and NFD, so the planner can match it in NFC.
        skus = sorted({form for r in refs if not r.startswith(ITEM_GID)
                       for form in (r, nfc(r), unicodedata.normalize("NFD", r))})
        ids = sorted(r for r in refs if r.startswith(ITEM_GID))
        ids += sorted(
            r
            for r in set(location_refs)
            if r.startswith(LOCATION_GID) and r not in self.builder.locations
        )
        for batch in _chunks(skus, self.limits.skus_per_query):
            pages = self._pages(documents.ITEMS_BY_SKU_QUERY, {"query": sku_search(batch)},
                                self.limits.items_page, lambda data: data.get("inventoryItems"),
                                "inventoryItems")
            for page, _first in pages:
                for node in page.nodes:
                    self.builder.add_item(node)
        for batch in _chunks(ids, self.limits.ids_per_query):
            data = self._query(documents.NODES_QUERY, {"ids": batch})
            nodes = data.get("nodes")
            if not isinstance(nodes, list) or len(nodes) != len(batch):
                raise decode.malformed(
                    f"nodes is {decode.shown(nodes)}, not a list of {len(batch)}"
                )
            for node in nodes:
                if node is None:
                    continue
                node_id = decode.require(node, "id", str, "a node")
                if node_id.startswith(ITEM_GID):
                    self.builder.add_item(node)
                elif node_id.startswith(LOCATION_GID):
                    self.builder.add_location(node)

    def _managed_items(self, desired: DesiredState, targets: list[str]) -> dict[str, list[str]]:
        """For each target location id, the ids of the items the manifests name there."""
        by_sku: dict[str, list[str]] = {}
        for item in self.builder.items.values():
            if item.sku:
                by_sku.setdefault(nfc(item.sku), []).append(item.id)
        by_location = {loc_id: set() for loc_id in targets}
        resolved = {ref: self._resolve_locations([ref]) for ref in desired.locations}
        for level in desired.levels:
            loc_ids = resolved[level.location]
            if level.item.startswith(ITEM_GID):
                item_ids = [level.item] if level.item in self.builder.items else []
            else:
                item_ids = by_sku.get(nfc(level.item), [])
            for loc_id in loc_ids:
                by_location[loc_id].update(item_ids)
        return {loc_id: sorted(items) for loc_id, items in by_location.items()}

    # --- levels -----------------------------------------------------------------------------

    def _scan(self, location_id: str, items: list[str], read_all: bool) -> None:
        remaining = set(items)
        spent = 0
        name = self.builder.locations[location_id].name

        def levels(data: dict) -> object:
            location = data.get("location")
            if not isinstance(location, dict):
                raise decode.malformed(
                    f"location {location_id} ({name}) is {decode.shown(location)} while reading "
                    "its levels"
                )
            return location.get("inventoryLevels")

        pages = self._pages(documents.LOCATION_LEVELS_QUERY, {"locationId": location_id},
                            self.limits.levels_page, levels, f"{name}'s inventoryLevels")
        for page, first in pages:
            for node in page.nodes:
                level = self.builder.add_level(location_id, node)
                remaining.discard(level.item_id)
            spent += documents.location_levels_cost(first)
            self._tick(len(page.nodes), f" ({name})")
            if page.has_next and not read_all and (
                documents.levels_by_item_cost([len(remaining)]) <= spent
            ):
                if remaining:
                    self.pending.append((location_id, sorted(remaining)))
                return

    def _point_reads(self) -> None:
        """Read the pending (location, items) groups, packing groups into queries by cost."""
        size = self.limits.items_per_point_query
        groups = [
            (loc_id, chunk) for loc_id, items in self.pending for chunk in _chunks(items, size)
        ]
        batch: list[tuple[str, list[str]]] = []
        for group in groups:
            shape = [len(items) for _, items in [*batch, group]]
            if batch and (
                documents.levels_by_item_cost(shape) > documents.MAX_QUERY_COST
                or sum(shape) > size
            ):
                self._point_read(batch)
                batch = []
            batch.append(group)
        if batch:
            self._point_read(batch)
        self.pending = []

    def _point_read(self, groups: Sequence[tuple[str, Sequence[str]]]) -> None:
        document = documents.levels_by_item_query([len(items) for _, items in groups])
        try:
            data = self._query(document, levels_by_item_variables(groups))
        except RemoteError as exc:
            count = sum(len(items) for _, items in groups)
            if count < 2 or decode.smaller_page(count, exc) is None:
                raise
            for half in _halves(groups):
                self._point_read(half)
            return
        for i, (location_id, items) in enumerate(groups):
            location = data.get(f"l{i}")
            if not isinstance(location, dict):
                raise decode.malformed(
                    f"location {location_id} is {decode.shown(location)} while reading its "
                    "levels by item"
                )
            for j, item_id in enumerate(items):
                if f"i{j}" not in location:
                    raise decode.malformed(
                        f"no level field for item {item_id} at location {location_id}"
                    )
                node = location[f"i{j}"]
                if node is not None:
                    self.builder.add_level(location_id, node)
        self._tick(sum(len(items) for _, items in groups))




def _halves(groups: Sequence[tuple[str, Sequence[str]]]) -> list[list]:
    if len(groups) > 1:
        middle = len(groups) // 2
        return [list(groups[:middle]), list(groups[middle:])]
    location_id, items = groups[0]
    middle = len(items) // 2
    return [[(location_id, items[:middle])], [(location_id, items[middle:])]]


def _chunks(values: Sequence, size: int) -> Iterable[list]:
    for start in range(0, len(values), max(1, size)):
        yield list(values[start : start + size])


def read_shop(transport: Transport) -> str:
    """The shop's ``myshopifyDomain`` (``acme.myshopify.com``), which names it for good."""
    data = decode.raise_for_errors(transport.execute(documents.SHOP_QUERY, None))
    shop = data.get("shop") if isinstance(data, dict) else None
    return decode.require(shop, "myshopifyDomain", str, "shop")


def read_levels(
    transport: Transport,
    keys: Iterable[tuple[str, str]],
    *,
    limits: ReadLimits | None = None,
) -> dict:
    """Point-read the levels ``(location_id, item_id)`` now, inactive ones included.

    Returns ``{(location_id, item_id): LiveLevel}``; a level that does not exist is absent.
    The applier uses it to classify a stale compare-and-set.
    """
    reader = _Reader(transport, limits or ReadLimits(), None)
    by_location: dict[str, set[str]] = {}
    for location_id, item_id in keys:
        by_location.setdefault(location_id, set()).add(item_id)
    reader.pending = [(loc, sorted(items)) for loc, items in sorted(by_location.items())]
    reader._point_reads()
    return dict(reader.builder.levels)


def read_store(
    transport: Transport,
    locations: Iterable[str] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    limits: ReadLimits | None = None,
) -> LiveState:
    """Every level (inactive ones included) at ``locations`` (names or gids; ``None``: all).

    The result lists every location of the store, the levels at the chosen ones, and every item
    sharing a SKU with an item found there (so a SKU that two items carry can be told apart).
    ``syncer import`` writes manifests from it. Reads page by page.
    """
    reader = _Reader(transport, limits or ReadLimits(), progress)
    reader._read_locations()
    if locations is None:
        chosen = sorted(reader.builder.locations)
    else:
        chosen = reader._resolve_locations(locations)
    for location_id in chosen:
        reader._scan(location_id, [], read_all=True)
    skus = {item.sku for item in reader.builder.items.values() if item.sku}
    reader._read_items((), skus)
    live = reader.builder.build()
    reader.progress(reader._summary(live, dict.fromkeys(chosen)))
    return live
