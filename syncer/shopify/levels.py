"""Reading inventory levels, inactive ones included: location scans and point reads.

``scan`` pages through a location's ``inventoryLevels``; unless every level is wanted, it stops
as soon as point reads of the items still missing would cost no more than the pages already
read, and leaves those items to them. ``point_reads`` reads the pending (location, items) groups
with ``inventoryLevel`` aliases, packing groups into queries by cost and halving a query the
store prices too high. ``reader.py`` chooses which locations to scan (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncer.errors import RemoteError
from syncer.shopify import decode, documents
from syncer.shopify.paging import Pager, chunks
from syncer.shopify.variables import levels_by_item_variables


def scan(pager: Pager, location_id: str, items: list[str], read_all: bool) -> None:
    remaining = set(items)
    spent = 0
    name = pager.builder.locations[location_id].name

    def levels(data: dict[str, Any]) -> object:
        location = data.get("location")
        if not isinstance(location, dict):
            raise decode.malformed(
                f"location {location_id} ({name}) is {decode.shown(location)} while reading "
                "its levels"
            )
        return location.get("inventoryLevels")

    pages = pager.pages(documents.LOCATION_LEVELS_QUERY, {"locationId": location_id},
                        pager.limits.levels_page, levels, f"{name}'s inventoryLevels")
    for page, first in pages:
        for node in page.nodes:
            level = pager.builder.add_level(location_id, node)
            remaining.discard(level.item_id)
        spent += documents.location_levels_cost(first)
        pager.tick(len(page.nodes), len(page.nodes), f" ({name})")
        if page.has_next and not read_all and (
            documents.levels_by_item_cost([len(remaining)]) <= spent
        ):
            if remaining:
                pager.pending.append((location_id, sorted(remaining)))
            return


def point_reads(pager: Pager) -> None:
    """Read the pending (location, items) groups, packing groups into queries by cost."""
    size = pager.limits.items_per_point_query
    groups = [
        (loc_id, chunk) for loc_id, items in pager.pending for chunk in chunks(items, size)
    ]
    batch: list[tuple[str, list[str]]] = []
    for group in groups:
        shape = [len(items) for _, items in [*batch, group]]
        if batch and (
            documents.levels_by_item_cost(shape) > documents.MAX_QUERY_COST
            or sum(shape) > size
        ):
            _point_read(pager, batch)
            batch = []
        batch.append(group)
    if batch:
        _point_read(pager, batch)
    pager.pending = []


def _point_read(pager: Pager, groups: Sequence[tuple[str, Sequence[str]]]) -> None:
    document = documents.levels_by_item_query([len(items) for _, items in groups])
    try:
        data = pager.query(document, levels_by_item_variables(groups))
    except RemoteError as exc:
        count = sum(len(items) for _, items in groups)
        if count < 2 or decode.smaller_page(count, exc) is None:
            raise
        for half in _halves(groups):
            _point_read(pager, half)
        return
    found = 0
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
                pager.builder.add_level(location_id, node)
                found += 1
    pager.tick(sum(len(items) for _, items in groups), found)


def _halves(groups: Sequence[tuple[str, Sequence[str]]]) -> list[list[Any]]:
    if len(groups) > 1:
        middle = len(groups) // 2
        return [list(groups[:middle]), list(groups[middle:])]
    location_id, items = groups[0]
    middle = len(items) // 2
    return [[(location_id, items[:middle])], [(location_id, items[middle:])]]
