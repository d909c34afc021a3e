"""Reading live state from the emulator, in process and over HTTP."""


import pytest
from helpers import TransportWrapper

from syncer.emulator import Emulator, VirtualClock
from syncer.errors import RemoteError, Source, StoreError
from syncer.model import QUANTITY_NAMES, DesiredLevel, DesiredState, Policy
from syncer.progress import Tick
from syncer.shopify import documents, paging
from syncer.shopify.http_transport import HttpTransport
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.reader import ReadLimits, read_live

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
TOKEN = "shpat_reader_test_token_0000000000"


def make_state(locations, items, levels, **extra):
    """A state document: ``locations`` {n: name}, ``items`` {n: sku}, levels (item, loc, ...)."""
    return {
        "shop": "test.myshopify.com",
        "locations": [{"id": f"{LOC}{n}", "name": name} for n, name in locations.items()],
        "items": [{"id": f"{ITEM}{n}", "sku": sku} for n, sku in items.items()],
        "levels": [
            {
                "item": f"{ITEM}{item}",
                "location": f"{LOC}{loc}",
                "active": active,
                "quantities": quantities,
            }
            for item, loc, active, quantities in levels
        ],
        **extra,
    }


def desired(*pairs, unmanaged="ignore"):
    """A DesiredState from (location ref, item ref) pairs."""
    levels = tuple(
        DesiredLevel(loc, item, True, {}, Source("stores/test.yaml", line, 5))
        for line, (loc, item) in enumerate(sorted(pairs), start=3)
    )
    return DesiredState(levels, policy=Policy(unmanaged=unmanaged))


class Recorder(TransportWrapper):
    """Wraps a transport and records the operation name of every document sent."""

    def __init__(self, transport):
        super().__init__(transport)
        self.transport = transport
        self.sent = []

    def execute(self, document, variables=None):
        name = document.split("(", 1)[0].split()[-1]
        self.sent.append((name, variables))
        return self.transport.execute(document, variables)

    def names(self):
        return [name for name, _ in self.sent]


@pytest.fixture(params=["local", "http"])
def connect(request, http_emulator):
    """``connect(state)`` -> (transport, emulator), in process or over a real socket."""

    def make(state, token=None, wrap=None):
        clock = VirtualClock()
        emulator = Emulator.from_state(state, clock=clock)
        if request.param == "local":
            handler = wrap(emulator.handle) if wrap else emulator.handle
            transport = LocalTransport(handler, token=token, sleep=clock.sleep, clock=clock.now)
        else:
            transport = HttpTransport(http_emulator(emulator).url, token=token,
                                      sleep=clock.sleep, clock=clock.now)
        return Recorder(transport), emulator

    return make


SHOP = make_state(
    {1: "Warehouse East", 2: "Retail Soho", 3: "Empty Depot"},
    {1: "TSHIRT-RED-M", 2: "MUG-OLD", 3: "DUP", 4: "DUP", 5: "with space", 6: "UNMANAGED"},
    [
        (1, 1, True, {"available": 40, "damaged": 2, "committed": 3}),
        (2, 1, False, {"available": 7, "reserved": 1}),
        (2, 2, True, {"available": 4}),
        (3, 1, True, {"available": 1}),
        (4, 1, True, {"available": 2}),
        (5, 1, True, {"incoming": 9}),
        (6, 1, True, {"available": 99}),
    ],
)


def test_inactive_levels_are_read_with_quantities_and_deactivation_fields(connect):
    transport, _ = connect(SHOP)
    live = read_live(transport, desired(("Warehouse East", "MUG-OLD"), ("Retail Soho", "MUG-OLD")))
    inactive = live.levels[(f"{LOC}1", f"{ITEM}2")]
    assert not inactive.active
    assert set(inactive.quantities) == set(QUANTITY_NAMES)
    assert inactive.quantities["available"] == 7 and inactive.quantities["reserved"] == 1
    assert inactive.quantities["on_hand"] == 8
    assert inactive.id.startswith("gid://shopify/InventoryLevel/")
    active = live.levels[(f"{LOC}2", f"{ITEM}2")]
    assert active.active and active.quantities["available"] == 4
    assert active.can_deactivate is False  # the only active level of MUG-OLD
    assert "minimum of 1 location" in active.deactivation_alert
    assert set(live.locations) == {f"{LOC}1", f"{LOC}2", f"{LOC}3"}


def test_unknown_sku_and_location_are_simply_absent(connect):
    transport, _ = connect(SHOP)
    live = read_live(
        transport,
        desired(
            ("Warehouse East", "NO-SUCH-SKU"),
            ("Warehouse East", "TSHIRT-RED-M"),
            ("Nowhere", "TSHIRT-RED-M"),
            ("gid://shopify/Location/999", "TSHIRT-RED-M"),
            ("Warehouse East", "gid://shopify/InventoryItem/999"),
        ),
    )
    assert "NO-SUCH-SKU" not in live.items_by_sku
    assert f"{ITEM}999" not in live.items and f"{LOC}999" not in live.locations
    assert list(live.levels) == [(f"{LOC}1", f"{ITEM}1")]


def test_ambiguous_sku_is_visible_and_both_levels_read(connect):
    transport, _ = connect(SHOP)
    live = read_live(transport, desired(("Warehouse East", "DUP")))
    assert live.items_by_sku["DUP"] == (f"{ITEM}3", f"{ITEM}4")
    assert {(f"{LOC}1", f"{ITEM}3"), (f"{LOC}1", f"{ITEM}4")} <= set(live.levels)


def test_refs_by_gid_and_quoted_skus(connect):
    transport, _ = connect(SHOP)
    live = read_live(transport, desired((f"{LOC}1", f"{ITEM}6"), ("Warehouse East", "with space")))
    assert live.items[f"{ITEM}6"].sku == "UNMANAGED"
    assert live.levels[(f"{LOC}1", f"{ITEM}5")].quantities["incoming"] == 9
    assert live.items_by_sku["with space"] == (f"{ITEM}5",)


def test_few_managed_items_are_point_read_not_scanned(connect):
    transport, _ = connect(SHOP)
    live = read_live(transport, desired(("Warehouse East", "TSHIRT-RED-M")))
    assert "SyncerLocationLevels" not in transport.names()
    assert transport.names().count("SyncerLevelsByItem") == 1
    assert list(live.levels) == [(f"{LOC}1", f"{ITEM}1")]


@pytest.mark.parametrize("how", ["prune", "policy"])
def test_unmanaged_levels_are_read_when_they_matter(connect, how):
    transport, _ = connect(SHOP)
    pairs = [("Warehouse East", "TSHIRT-RED-M"), ("Empty Depot", "MUG-OLD")]
    if how == "prune":
        live = read_live(transport, desired(*pairs), prune=True)
    else:
        live = read_live(transport, desired(*pairs, unmanaged="deactivate"))
    assert "SyncerLevelsByItem" not in transport.names()
    at_east = {item for loc, item in live.levels if loc == f"{LOC}1"}
    assert at_east == {f"{ITEM}{n}" for n in (1, 2, 3, 4, 5, 6)}
    assert live.items[f"{ITEM}6"].sku == "UNMANAGED"  # unmanaged items are in the live state
    assert not any(loc == f"{LOC}2" for loc, _ in live.levels)  # not a manifest location


def big_shop(levels=30, locations=3):
    return make_state(
        {n: f"Loc {n}" for n in range(1, locations + 1)},
        {n: f"SKU-{n:03d}" for n in range(1, levels + 1)},
        [
            (item, loc, item % 4 != 0, {"available": item * 10 + loc})
            for loc in range(1, locations + 1)
            for item in range(1, levels + 1)
        ],
    )


def test_pagination_across_pages_and_batches(connect):
    transport, _ = connect(big_shop())
    limits = ReadLimits(locations_page=2, items_page=4, skus_per_query=7, levels_page=4)
    pairs = [(f"Loc {loc}", f"SKU-{n:03d}") for loc in (1, 3) for n in range(1, 31)]
    live = read_live(transport, desired(*pairs), prune=True, limits=limits)
    names = transport.names()
    assert names.count("SyncerLocations") == 2  # 3 locations, 2 per page
    # 30 SKUs in batches of 7 -> 5 searches; each batch pages by 4 (2 pages, 1 for the last)
    searches = [v for n, v in transport.sent if n == "SyncerItemsBySku"]
    assert len({v["query"] for v in searches}) == 5 and len(searches) == 9
    assert names.count("SyncerLocationLevels") == 2 * 8  # 30 levels, 4 per page, 2 locations
    assert len(live.levels) == 60 and len(live.items) == 30
    level = live.levels[(f"{LOC}3", f"{ITEM}8")]
    assert level.quantities["available"] == 83 and not level.active
    afters = [v["after"] for n, v in transport.sent if n == "SyncerLocationLevels"]
    assert afters.count(None) == 2 and len(set(afters)) == 15


def test_large_location_with_few_managed_items_switches_to_point_reads(connect):
    transport, _ = connect(big_shop(levels=40, locations=1))
    limits = ReadLimits(levels_page=4)
    pairs = [("Loc 1", f"SKU-{n:03d}") for n in (2, 17, 33, 38)]
    live = read_live(transport, desired(*pairs), limits=limits)
    names = transport.names()
    # 4 items cost 13 > one 4-level page (15)? no: 13 <= 15, so point reads right away
    assert names.count("SyncerLocationLevels") == 0 and names.count("SyncerLevelsByItem") == 1
    assert {item for _, item in live.levels} == {f"{ITEM}{n}" for n in (2, 17, 33, 38)}


def test_scan_switches_when_remaining_point_reads_cost_less_than_pages_read(connect):
    transport, _ = connect(big_shop(levels=40, locations=1))
    limits = ReadLimits(levels_page=2)  # a page costs 9 points; 3 items by point read cost 10
    pairs = [("Loc 1", f"SKU-{n:03d}") for n in (1, 30, 40)]
    live = read_live(transport, desired(*pairs), limits=limits)
    names = transport.names()
    assert names.count("SyncerLocationLevels") == 1  # page 1 held SKU-001; 2 left cost 7 <= 9
    assert names.count("SyncerLevelsByItem") == 1
    assert {(f"{LOC}1", f"{ITEM}{n}") for n in (1, 30, 40)} <= set(live.levels)


def test_sparse_location_is_scanned_to_the_end(connect):
    state = make_state(
        {1: "Sparse"},
        {n: f"S{n}" for n in range(1, 11)},
        [(n, 1, True, {"available": n}) for n in (1, 2, 3)],
    )
    transport, _ = connect(state)
    limits = ReadLimits(levels_page=2)
    live = read_live(
        transport, desired(*[("Sparse", f"S{n}") for n in range(1, 11)]), limits=limits
    )
    assert transport.names().count("SyncerLocationLevels") == 2
    assert "SyncerLevelsByItem" not in transport.names()
    assert len(live.levels) == 3


def test_point_reads_pack_locations_into_queries(connect):
    transport, _ = connect(big_shop(levels=5, locations=3))
    limits = ReadLimits(items_per_point_query=4)
    pairs = [(f"Loc {loc}", f"SKU-{n:03d}") for loc in (1, 2, 3) for n in (1, 2)]
    live = read_live(transport, desired(*pairs), limits=limits)
    assert transport.names().count("SyncerLevelsByItem") == 2  # 2+2 items, then 2
    assert len(live.levels) == 6


def test_default_page_sizes_on_a_bigger_store(connect):
    transport, _ = connect(big_shop(levels=300, locations=2))
    pairs = [("Loc 1", f"SKU-{n:03d}") for n in range(1, 301)]
    lines = []
    live = read_live(transport, desired(*pairs), prune=True, progress=lines.append)
    names = transport.names()
    assert names.count("SyncerItemsBySku") == 3  # 100 SKUs per search
    assert names.count("SyncerLocationLevels") == 2  # 300 levels, 250 a page
    assert len(live.levels) == 300
    assert lines[-1] == (
        f"Reading 1 location, 300 levels found (incl. 75 inactive) ... done "
        f"({transport.calls} calls, {transport.cost_points:,.0f} cost points)"
    )
    assert transport.calls == 1 + 3 + 2


def test_throttling_on_a_small_bucket_waits_and_completes(connect):
    state = big_shop(levels=60, locations=1)
    state["throttle"] = {"maximumAvailable": 300, "restoreRate": 10}
    transport, emulator = connect(state)
    # six 252-point searches (125 items with their costs)
    limits = ReadLimits(levels_page=20, skus_per_query=10, items_page=125)
    pairs = [("Loc 1", f"SKU-{n:03d}") for n in range(1, 61)]
    live = read_live(transport, desired(*pairs), prune=True, limits=limits)
    assert len(live.levels) == 60
    assert emulator.clock.now() > 0  # the transport waited on the emulator's virtual clock
    assert transport.transport.waited > 0


def test_summary_reports_calls_and_cost(connect):
    transport, _ = connect(SHOP)
    lines = []
    read_live(transport, desired(("Warehouse East", "MUG-OLD")), progress=lines.append)
    assert lines[0] == "Reading 1 location ..."
    assert lines[-1].startswith("Reading 1 location, 1 level found (incl. 1 inactive) ... done (")
    assert f"({transport.calls} calls, {transport.cost_points:,.0f} cost points)" in lines[-1]


def test_wrong_token_is_a_store_error(connect):
    transport, _ = connect({**SHOP, "access_token": TOKEN}, token="shpat_wrong")
    with pytest.raises(StoreError, match="HTTP 401"):
        read_live(transport, desired(("Warehouse East", "MUG-OLD")))
    transport, _ = connect({**SHOP, "access_token": TOKEN}, token=TOKEN)
    assert read_live(transport, desired(("Warehouse East", "MUG-OLD"))).levels


def _pricier_store(handler, limit=5, operation="SyncerLocationLevels"):
    """A store that prices ``operation``'s pages higher than our rules (MAX_COST_EXCEEDED above
    ``limit``)."""

    def wrapped(body, headers, path):
        variables = body.get("variables") or {}
        if operation in body["query"] and variables.get("first", 0) > limit:
            cost = 1 + 2 + variables["first"] * 200
            return 200, {
                "errors": [
                    {
                        "message": "too costly",
                        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": 1000},
                    }
                ]
            }
        return handler(body, headers, path)

    return wrapped


@pytest.mark.parametrize(
    ("operation", "default"),
    [
        ("SyncerLocationLevels", documents.LEVELS_PAGE_SIZE),
        ("SyncerLocations", documents.LOCATIONS_PAGE_SIZE),
        ("SyncerItemsBySku", documents.ITEMS_PAGE_SIZE),
    ],
)
def test_max_cost_exceeded_shrinks_the_page(operation, default):
    """Every connection pages through one helper: each shrinks its page when priced higher."""
    clock = VirtualClock()
    emulator = Emulator.from_state(big_shop(levels=12, locations=7), clock=clock)
    handler = _pricier_store(emulator.handle, operation=operation)
    transport = Recorder(LocalTransport(handler, sleep=clock.sleep, clock=clock.now))
    skus = [("Loc 1", f"SKU-{n:03d}") for n in range(1, 13)]
    live = read_live(transport, desired(*skus), prune=True)
    assert len(live.locations) == 7 and len(live.items) == 12
    assert len([lvl for lvl in live.levels.values() if lvl.location_id.endswith("/1")]) == 12
    firsts = [v["first"] for n, v in transport.sent if n == operation]
    assert firsts[0] == default and firsts[-1] <= 5 and len(firsts) > 2


def test_other_remote_errors_propagate():
    def broken(body, headers, path):
        return 200, {
            "data": None,
            "errors": [{"message": "nope", "extensions": {"code": "NEW_CODE"}}],
        }

    with pytest.raises(RemoteError, match="NEW_CODE: nope"):
        read_live(LocalTransport(broken), desired(("Loc 1", "SKU-001")))


def test_progress_counts_what_the_summary_counts():
    """The ticks and the summary both count the levels found (a point read of an item with no
    level at the location looks it up and finds none), and say so."""
    state = make_state({1: "East"}, {1: "A", 2: "B", 3: "C"},
                       [(1, 1, True, {}), (2, 1, False, {})])
    clock = VirtualClock()
    emulator = Emulator.from_state(state, clock=clock)
    transport = LocalTransport(emulator.handle, sleep=clock.sleep, clock=clock.now)
    lines = []
    read_live(transport, desired(("East", "A"), ("East", "B"), ("East", "C")),
              progress=lines.append)
    assert [str(line) for line in lines if isinstance(line, Tick)] == [
        "Reading levels: 2 found, 3 / 3 looked up"]
    assert lines[-1].startswith("Reading 1 location, 2 levels found (incl. 1 inactive) ... done")


def test_elapsed_time_counts_rate_limit_waits_once(monkeypatch):
    """A wait takes time on the transport's clock; the elapsed time shown counts it once (it
    was the clock's reading plus the waits: double when the waits were real sleeps)."""
    state = big_shop(levels=60, locations=1)
    state["throttle"] = {"maximumAvailable": 300, "restoreRate": 2}
    clock = VirtualClock()
    emulator = Emulator.from_state(state, clock=clock)
    transport = LocalTransport(emulator.handle, sleep=clock.sleep, clock=clock.now)
    monkeypatch.setattr(paging.time, "monotonic", clock.now)  # as real sleeps would move it
    lines = []
    pairs = [("Loc 1", f"SKU-{n:03d}") for n in range(1, 61)]
    read_live(transport, desired(*pairs), prune=True, progress=lines.append,
              limits=ReadLimits(levels_page=20, skus_per_query=10, items_page=125))
    ticks = [line for line in lines if isinstance(line, Tick)]
    assert transport.waited >= 2
    assert ticks[-1].endswith(f", {clock.now():.0f} s ({transport.waited:.0f} s waiting on the "
                              "rate limit) (Loc 1)")
