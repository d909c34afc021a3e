"""The state file's schema check: the fast row predicates never change what is reported."""

import copy
import json
import random

from syncer.emulator.state_schema import _split, schema_problems, state_validator

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"


def document():
    return {
        "shop": "fast.myshopify.com",
        "locations": [{"id": f"{LOC}{n}", "name": f"Loc {n}"} for n in range(1, 4)],
        "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i}"} for i in range(1, 6)],
        "levels": [{"id": i * 10 + n, "item": f"{ITEM}{i}", "location": f"{LOC}{n}",
                    "active": bool(i % 2), "quantities": {"available": i, "committed": 1}}
                   for i in range(1, 6) for n in range(1, 4)],
        "discounts": [{"id": "gid://shopify/DiscountCodeNode/1", "title": "Spring",
                       "code": "SPRING", "startsAt": "2026-04-01T00:00:00Z", "endsAt": None}],
    }


# Values that JSON Schema treats in ways a quick check could get wrong: 1.0 is an integer,
# True is neither an integer nor a number, "" is too short, an unknown key is refused.
ODD = [None, True, False, 0, -3, 1.0, 2.5, "", " ", "x", "gid://shopify/Location/x",
       f"{ITEM}7", f"{LOC}2", [], {}, {"available": 1.0}, {"on_hand": 3}, {"available": "1"}]


def corrupt(doc, rng):
    name = rng.choice(["locations", "items", "levels", "discounts"])
    rows = doc[name]
    i = rng.randrange(len(rows))
    what = rng.random()
    if not isinstance(rows[i], dict) or what < 0.1:
        rows[i] = rng.choice(ODD)
    elif what < 0.25:
        rows[i].pop(rng.choice(sorted(rows[i])), None)
    elif what < 0.35:
        rows[i]["extra"] = 1
    else:
        rows[i][rng.choice(sorted(rows[i]) + ["quantities"])] = rng.choice(ODD)


def test_the_fast_check_reports_exactly_what_jsonschema_reports():
    rng = random.Random(23)
    broken = 0
    for _ in range(300):
        doc = copy.deepcopy(document())
        for _ in range(rng.randint(1, 4)):
            corrupt(doc, rng)
        doc = json.loads(json.dumps(doc))  # as a file gives it
        fast = schema_problems(doc)
        assert fast == schema_problems(doc, fast=False), doc
        broken += bool(fast)
    assert broken > 200


def test_valid_rows_are_not_given_to_jsonschema():
    rest, rows = _split(document(), state_validator().schema)
    assert rows == [] and rest["levels"] == [] and rest["items"] == []
    assert schema_problems(document()) == []
