"""The emulator's fast paths answer exactly as the slow ones: indexed search."""

import random

from syncer.emulator.connections import search
from syncer.emulator.reads import ITEM_FIELDS
from syncer.emulator.records import Item

ITEM = "gid://shopify/InventoryItem/"


def test_an_indexed_sku_search_finds_what_comparing_every_item_finds():
    rng = random.Random(5)
    skus = ["A", "a", "B-1", "Köln", "x y", 'q"t', None]
    items = [Item(f"{ITEM}{n}", rng.choice(skus)) for n in range(1, 60)]
    scanning = {**ITEM_FIELDS, "sku": lambda item, value: item.sku == value}
    terms = ["sku:A", "sku:a", "sku:B-1", "sku:Köln", 'sku:"x y"', 'sku:"q\\"t"', "sku:none",
             "id:3", f"id:{ITEM}4", "sku:A id:7", "title:A", "A", "OR", "AND"]
    for _ in range(400):
        query = " ".join(rng.choice(terms) for _ in range(rng.randint(1, 6)))
        found = search(items, query, ITEM_FIELDS)
        assert found == search(items, query, scanning), query
        assert len(found) == len(set(map(id, found)))
