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

The pieces: ``paging.py`` (page sizes, queries, the pagination loop, progress lines),
``catalog.py`` (locations and items, names to ids), ``levels.py`` (scans and point reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from syncer.errors import plural
from syncer.model import ITEM_GID, DesiredState, LiveLevel, LiveState
from syncer.shopify import decode, documents
from syncer.shopify.bulk import (
    BulkPolicy,
    BulkUnavailable,
    Fetch,
    bulk_objects,
    collect,
    collect_store,
)
from syncer.shopify.catalog import managed_items, read_items, read_locations, resolve_locations
from syncer.shopify.levels import point_reads, scan
from syncer.shopify.paging import Pager, ReadLimits
from syncer.shopify.transport import Transport

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
    pager = Pager(transport, limits or ReadLimits(), progress)
    read_all = prune or desired.policy.unmanaged == "deactivate"
    if read not in READ_MODES:
        raise ValueError(f"read must be one of {READ_MODES}, not {read!r}")
    bulk = read == "bulk" or (read == "auto" and len(desired.levels) >= BULK_MIN_LEVELS)
    if bulk and fetch is None:
        pager.progress("Bulk read not available for this store; reading page by page")
    elif bulk and fetch is not None:
        return _read_bulk(pager, desired, read_all, fetch, bulk_policy)
    return _read_paged(pager, desired, read_all)


def _read_paged(pager: Pager, desired: DesiredState, read_all: bool) -> LiveState:
    read_locations(pager)
    read_items(pager, desired.locations, (level.item for level in desired.levels))
    targets = resolve_locations(pager, desired.locations)
    managed = managed_items(pager, desired, targets)
    pager.expected = sum(len(items) for items in managed.values())
    pager.progress(f"Reading {plural(len(targets), 'location')} ...")
    for location_id in sorted(managed):
        items = managed[location_id]
        point_cost = documents.levels_by_item_cost([len(items)])
        page_cost = documents.location_levels_cost(pager.limits.levels_page)
        if not read_all and point_cost <= page_cost:
            pager.pending.append((location_id, items))
        else:
            scan(pager, location_id, items, read_all)
    point_reads(pager)
    live = pager.builder.build()
    pager.progress(pager.summary(live, managed))
    return live


def _read_bulk(pager: Pager, desired: DesiredState, read_all: bool, fetch: Fetch,
               policy: BulkPolicy | None) -> LiveState:
    """Locations page by page, items and levels from one bulk query (or paged on failure)."""
    read_locations(pager)
    read_items(pager, desired.locations, ())  # location gids the listing did not show
    targets = resolve_locations(pager, desired.locations)
    refs = {level.item for level in desired.levels}
    pager.progress("Reading items and levels with a bulk query ...")
    try:
        collect(pager.builder, bulk_objects(pager.transport, fetch, pager.progress, policy),
                skus={r for r in refs if not r.startswith(ITEM_GID)},
                ids={r for r in refs if r.startswith(ITEM_GID)}, targets=set(targets),
                read_all=read_all, progress=pager.progress)
    except BulkUnavailable as exc:
        pager.progress(f"Bulk read unavailable: {exc}; reading page by page instead")
        pager.builder = decode.LiveBuilder()
        return _read_paged(pager, desired, read_all)
    live = pager.builder.build()
    pager.progress(pager.summary(live, managed_items(pager, desired, targets)))
    return live


def read_shop(transport: Transport) -> tuple[str, str | None]:
    """The shop's ``myshopifyDomain`` (``acme.myshopify.com``), which names it for good, and
    its name (what people call it; None if the store sent none)."""
    data = decode.raise_for_errors(transport.execute(documents.SHOP_QUERY, None))
    shop = data.get("shop") if isinstance(data, dict) else None
    domain: str = decode.require(shop, "myshopifyDomain", str, "shop")
    name = shop.get("name") if isinstance(shop, dict) else None
    return domain, name if isinstance(name, str) and name else None


def read_levels(
    transport: Transport,
    keys: Iterable[tuple[str, str]],
    *,
    limits: ReadLimits | None = None,
) -> dict[tuple[str, str], LiveLevel]:
    """Point-read the levels ``(location_id, item_id)`` now, inactive ones included.

    Returns ``{(location_id, item_id): LiveLevel}``; a level that does not exist is absent.
    The applier uses it to classify a stale compare-and-set.
    """
    pager = Pager(transport, limits or ReadLimits(), None)
    by_location: dict[str, set[str]] = {}
    for location_id, item_id in keys:
        by_location.setdefault(location_id, set()).add(item_id)
    pager.pending = [(loc, sorted(items)) for loc, items in sorted(by_location.items())]
    point_reads(pager)
    return dict(pager.builder.levels)


def read_store(
    transport: Transport,
    locations: Iterable[str] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    limits: ReadLimits | None = None,
    read: str = "auto",
    fetch: Fetch | None = None,
    bulk_policy: BulkPolicy | None = None,
) -> LiveState:
    """Every level (inactive ones included) at ``locations`` (names or gids; ``None``: all).

    The result lists every location of the store, the levels at the chosen ones, and every item
    sharing a SKU with an item found there (so a SKU that two items carry can be told apart).
    ``syncer import`` writes manifests from it. ``read``: ``paged`` reads page by page; ``bulk``
    with one bulk query; ``auto`` with a bulk query when a page of item ids shows the chosen
    locations may hold ``BULK_MIN_LEVELS`` levels or more (as ``plan`` reads a large store),
    else page by page; back to pages if the bulk query fails. Without ``fetch``, always page
    by page.
    """
    if read not in READ_MODES:
        raise ValueError(f"read must be one of {READ_MODES}, not {read!r}")
    pager = Pager(transport, limits or ReadLimits(), progress)
    read_locations(pager)
    chosen = (sorted(pager.builder.locations) if locations is None
              else resolve_locations(pager, locations))
    if fetch is None and read == "bulk":
        pager.progress("Bulk read not available for this store; reading page by page")
    bulk = fetch is not None and read != "paged"

    paged = True
    if bulk and (read == "bulk" or _holds_many_levels(pager, len(chosen))):
        pager.progress(f"Reading levels with a bulk query (a store of {BULK_MIN_LEVELS:,} levels "
                       "or more) ...")
        builder = decode.LiveBuilder()
        builder.locations, builder.shop = dict(pager.builder.locations), pager.builder.shop
        try:
            collect_store(builder, bulk_objects(transport, cast(Fetch, fetch), pager.progress,
                                                bulk_policy),
                          targets=set(chosen), progress=pager.progress)
        except BulkUnavailable as exc:
            pager.progress(f"Bulk read unavailable: {exc}; reading page by page instead")
            pager.builder.levels.clear()
            pager.builder.items.clear()
            _scan_all(pager, chosen)
        else:
            pager.builder, paged = builder, False
    else:
        _scan_all(pager, chosen)
    if paged:  # every item sharing a SKU with one found (the bulk read kept them already)
        read_items(pager, (), {item.sku for item in pager.builder.items.values() if item.sku})
    live = pager.builder.build()
    pager.progress(pager.summary(live, dict.fromkeys(chosen)))
    return live


def _scan_all(pager: Pager, chosen: list[str]) -> None:
    for location_id in chosen:
        scan(pager, location_id, [], read_all=True)


def _holds_many_levels(pager: Pager, locations: int) -> bool:
    """Whether ``locations`` may hold ``BULK_MIN_LEVELS`` levels or more: more items than it
    takes at that many locations (one small query, ``ITEMS_PROBE_QUERY``)."""
    if locations == 0:
        return False
    first = min(-(-BULK_MIN_LEVELS // locations), pager.limits.items_page)
    data = decode.raise_for_errors(pager.transport.execute(documents.ITEMS_PROBE_QUERY,
                                                           {"first": first}))
    page = decode.page(data.get("inventoryItems"), "inventoryItems")
    return page.has_next or len(page.nodes) * locations >= BULK_MIN_LEVELS
