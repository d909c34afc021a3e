"""Locations and items: reading the ones the manifests name, and resolving names to ids.

Every location is read page by page. Items are searched by SKU (as written, in NFC and in NFD)
and read by gid in ``nodes`` batches, together with any location gid the listing did not show.
Names and SKUs compare in NFC, as the planner does; an ambiguous name resolves to every match,
and an unknown one to none: the planner reports both, with the manifest's file:line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from syncer.model import ITEM_GID, LOCATION_GID, DesiredState, nfc
from syncer.shopify import decode, documents
from syncer.shopify.paging import Pager, chunks
from syncer.shopify.variables import sku_search


def read_locations(pager: Pager) -> None:
    """Every location, and the shop's name with the first page (so every plan can name its
    shop without a request of its own)."""
    def locations(data: dict[str, Any]) -> Any:
        pager.builder.add_shop(data)
        return data.get("locations")

    pages = pager.pages(documents.LOCATIONS_QUERY, {}, pager.limits.locations_page, locations,
                        "locations")
    for page, _first in pages:
        for node in page.nodes:
            pager.builder.add_location(node)


def resolve_locations(pager: Pager, refs: Iterable[str]) -> list[str]:
    """Ids of the locations the manifests name (every match of an ambiguous name)."""
    by_name: dict[str, list[str]] = {}
    for location in pager.builder.locations.values():
        by_name.setdefault(nfc(location.name), []).append(location.id)
    ids = set()
    for ref in refs:
        if ref.startswith(LOCATION_GID):
            if ref in pager.builder.locations:
                ids.add(ref)
        else:
            # Names compare in NFC, as the planner does: a name typed in NFD still matches.
            ids.update(by_name.get(nfc(ref), ()))
    return sorted(ids)


def read_items(pager: Pager, location_refs: Iterable[str], item_refs: Iterable[str]) -> None:
    """Items by SKU (search) and by gid, plus location gids the listing did not show."""
    refs = set(item_refs)
    # A SKU is searched as written and in NFC and NFD, so the planner can match it in NFC.
    skus = sorted({form for r in refs if not r.startswith(ITEM_GID)
                   for form in (r, nfc(r), unicodedata.normalize("NFD", r))})
    ids = sorted(r for r in refs if r.startswith(ITEM_GID))
    ids += sorted(
        r
        for r in set(location_refs)
        if r.startswith(LOCATION_GID) and r not in pager.builder.locations
    )
    for batch in chunks(skus, pager.limits.skus_per_query):
        pages = pager.pages(documents.ITEMS_BY_SKU_QUERY, {"query": sku_search(batch)},
                            pager.limits.items_page, lambda data: data.get("inventoryItems"),
                            "inventoryItems")
        for page, _first in pages:
            for node in page.nodes:
                pager.builder.add_item(node)
    for batch in chunks(ids, pager.limits.ids_per_query):
        data = pager.query(documents.NODES_QUERY, {"ids": batch})
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
                pager.builder.add_item(node)
            elif node_id.startswith(LOCATION_GID):
                pager.builder.add_location(node)


def managed_items(pager: Pager, desired: DesiredState,
                  targets: list[str]) -> dict[str, list[str]]:
    """For each target location id, the ids of the items the manifests name there."""
    by_sku: dict[str, list[str]] = {}
    for item in pager.builder.items.values():
        if item.sku:
            by_sku.setdefault(nfc(item.sku), []).append(item.id)
    by_location: dict[str, set[str]] = {loc_id: set() for loc_id in targets}
    resolved = {ref: resolve_locations(pager, [ref]) for ref in desired.locations}
    for level in desired.levels:
        loc_ids = resolved[level.location]
        if level.item.startswith(ITEM_GID):
            item_ids = [level.item] if level.item in pager.builder.items else []
        else:
            item_ids = by_sku.get(nfc(level.item), [])
        for loc_id in loc_ids:
            by_location[loc_id].update(item_ids)
    return {loc_id: sorted(items) for loc_id, items in by_location.items()}
