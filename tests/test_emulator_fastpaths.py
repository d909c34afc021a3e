"""The emulator's fast paths answer exactly as the slow ones: indexed search."""

import random

from syncer.emulator.connections import search
from syncer.emulator.fastquery import execute_fast
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


# -- queries answered without graphql-core's executor -----------------------------------------

LOC = "gid://shopify/Location/"


def shop(seed):
    rng = random.Random(seed)
    items = [{"id": f"{ITEM}{i}", "sku": None if i % 9 == 0 else f"SKU-{rng.randrange(30)}",
              **({"unit_cost": {"amount": f"{i}.5", "currencyCode": rng.choice(["EUR", "JPY"])}}
                 if i % 4 else {})}  # every fourth item has no cost
             for i in range(1, 41)]
    levels = [{"item": f"{ITEM}{i}", "location": f"{LOC}{n}", "active": rng.random() < 0.7,
               "quantities": {"available": rng.randrange(-3, 50), "committed": rng.randrange(3),
                              "incoming": rng.randrange(2), "reserved": rng.randrange(2)}}
              for i in range(1, 41) for n in range(1, 5) if rng.random() < 0.8]
    return {"shop": "fast.myshopify.com",
            "locations": [{"id": f"{LOC}{n}", "name": f"Loc {n}"} for n in range(1, 5)],
            "items": items, "levels": levels,
            "discounts": [{"id": f"gid://shopify/DiscountCodeNode/{n}", "title": f"D{n}",
                           "code": f"C{n}", "startsAt": "2026-01-01T00:00:00Z",
                           "endsAt": None if n % 2 else "2026-02-01T00:00:00Z"}
                          for n in range(1, 6)],
            "metafields": [{"namespace": "$app:syncer-p", "key": f"k{n}", "type": "json",
                            "value": "{}"} for n in range(1, 4)]}


def requests_syncer_sends(rng):
    """``(document, variables)``: every read syncer sends, with first pages and later ones."""
    from syncer.shopify import discounts, documents
    from syncer.shopify.bulk import POLL_QUERY
    from syncer.shopify.variables import levels_by_item_variables, sku_search

    after = [None, "eyJsYXN0X2lkIjogM30=", "eyJsYXN0X2lkIjogOTk5fQ==", "not a cursor"]
    skus = [f"SKU-{n}" for n in rng.sample(range(40), 8)]
    groups = [(f"{LOC}{rng.randint(0, 5)}", [f"{ITEM}{rng.randint(0, 44)}" for _ in range(3)])
              for _ in range(rng.randint(1, 3))]
    return [
        (documents.SHOP_QUERY, {}),
        (documents.LOCATIONS_QUERY, {"first": rng.choice([1, 2, 250]), "after": rng.choice(after)}),
        (documents.ITEMS_BY_SKU_QUERY, {"query": sku_search(skus), "first": rng.choice([2, 250]),
                                        "after": rng.choice(after)}),
        (documents.NODES_QUERY, {"ids": [f"{ITEM}{rng.randint(0, 44)}", f"{LOC}2",
                                         "gid://shopify/Location/99", f"{ITEM}3"]}),
        (documents.LOCATION_LEVELS_QUERY, {"locationId": f"{LOC}{rng.randint(0, 5)}",
                                           "first": rng.choice([1, 5, 250]),
                                           "after": rng.choice(after)}),
        (documents.levels_by_item_query([len(items) for _, items in groups]),
         levels_by_item_variables(groups)),
        (documents.JOURNAL_QUERY, {"namespace": "$app:syncer-p", "after": rng.choice(after)}),
        (discounts.LIST_QUERY, {"first": rng.choice([2, 100]), "after": rng.choice(after)}),
        (POLL_QUERY, {"id": "gid://shopify/BulkOperation/1"}),
    ]


def test_the_queries_syncer_sends_get_graphql_cores_answers_without_it(monkeypatch):
    from syncer.emulator import Emulator, VirtualClock
    from syncer.emulator import handler as handler_module

    rng = random.Random(11)
    fast_answers = []

    def counted(*args):
        data = execute_fast(*args)
        fast_answers.append(data is not None)
        return data

    monkeypatch.setattr(handler_module, "execute_fast", counted)
    for seed in range(12):
        emu = Emulator.from_state(shop(seed), clock=VirtualClock(), timing="instant")
        for document, variables in requests_syncer_sends(rng):
            body = {"query": document, "variables": variables}
            fast = emu.handle(body, {})
            with monkeypatch.context() as slow:
                slow.setattr(handler_module, "execute_fast", lambda *args: None)
                assert emu.handle(body, {}) == fast, (document, variables)
    # Most are answered by the fast path; a bad cursor is graphql-core's to word.
    assert sum(fast_answers) > 12 * 7 and not all(fast_answers)


def test_the_limits_are_checked_in_full_whenever_a_literal_or_a_variable_could_break_one():
    from graphql import parse

    from syncer.emulator.checks import exceeds, limit_errors, literal_limits
    from syncer.emulator.schema import build_emulator_schema
    from syncer.emulator.versions import LATEST

    schema = build_emulator_schema(LATEST)
    paged = "query($n: Int!) { locations(first: $n) { nodes { id } } }"
    literal = "{ locations(first: %d) { nodes { id } } }"
    listed = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    nested = ("mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities("
              "input: $input) @idempotent(key: \"k\") { userErrors { message } } }")
    quantity = {"inventoryItemId": f"{ITEM}1", "locationId": f"{LOC}1", "quantity": 1,
                "changeFromQuantity": None}
    cases = [(paged, {"n": n}) for n in (1, 250, 251, 10**6)]
    cases += [(literal % n, {}) for n in (250, 251)]
    cases += [(listed, {"ids": [f"{ITEM}1"] * n}) for n in (250, 251)]
    cases += [(nested, {"input": {"reason": "correction", "name": "available",
                                  "quantities": [quantity] * n}}) for n in (250, 251)]
    refused = 0
    for text, variables in cases:
        document = parse(text)
        full = limit_errors(schema, document, variables, None)
        shortcut = limit_errors(schema, document, variables, None) \
            if literal_limits(document) or exceeds(variables) else []
        assert shortcut == full, text
        refused += bool(full)
    assert refused == 5
