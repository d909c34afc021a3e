"""Relay connections and Shopify's search syntax, as every list field of the emulator serves them.

``connection`` pages rows already in id order (a cursor holds its row's id); ``search`` filters
rows by ``field:value`` terms joined by ``OR``.
"""

from __future__ import annotations

import base64
import json
import re

from graphql import GraphQLError


def _cursor(number: int) -> str:
    return base64.b64encode(json.dumps({"last_id": number}).encode()).decode()


def _after_id(cursor: str | None, argument: str) -> int | None:
    if cursor is None:
        return None
    try:
        return int(json.loads(base64.b64decode(cursor, validate=True))["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for '{argument}' argument.") from None


def connection(rows: list, number, args: dict) -> dict:
    """A Relay connection over ``rows`` (already in id order); ``number`` gives a row's id."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if (first is not None and first < 0) or (last is not None and last < 0):
        raise GraphQLError("first and last must be zero or more")
    rows = list(reversed(rows)) if args.get("reverse") else list(rows)
    keys = [number(row) for row in rows]
    start, end = 0, len(rows)
    after, before = _after_id(args.get("after"), "after"), _after_id(args.get("before"), "before")
    if after is not None:
        start = next((i + 1 for i, k in enumerate(keys) if k == after), end)
    if before is not None:
        end = next((i for i, k in enumerate(keys) if k == before), end)
    window = list(range(start, max(start, end)))
    has_next = has_previous = False
    if first is not None:
        has_next = len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = len(window) > last
        window = window[len(window) - last:] if last else []
    edges = [{"cursor": _cursor(keys[i]), "node": rows[i]} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next or (last is not None and end < len(rows) and bool(window)),
            "hasPreviousPage": has_previous or (first is not None and start > 0 and bool(window)),
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# -- search syntax -----------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(\w+):("(?:[^"\\]|\\.)*"|[^\s"]+)|(OR|AND)(?=\s|$)|(\S+))', re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)


def search(rows: list, query: str | None, fields: dict) -> list:
    """Filter ``rows`` by Shopify search syntax: ``field:value`` terms joined by ``OR``.

    Space-separated terms inside an OR branch must all match. Unknown fields match nothing.
    A quoted value may hold spaces, ``OR`` and backslash escapes (``\\"``, ``\\\\``).
    """
    if not query or not query.strip():
        return rows
    parsed: list = [[]]
    for name, value, word, other in _TOKEN.findall(query):
        if word == "OR":
            parsed.append([])
        elif other or parsed[-1] is None:
            parsed[-1] = None  # a term that is not field:value matches nothing
        elif name:
            if value.startswith('"') and value.endswith('"') and len(value) > 1:
                value = _ESCAPED.sub(r"\1", value[1:-1])
            parsed[-1].append((name, value))

    def matches(row, terms):
        return bool(terms) and all(
            name in fields and fields[name](row, value) for name, value in terms)

    # A branch of one term on an ``Exact`` field is looked up in an index of the rows (a
    # search for 100 SKUs among 10,000 items is 100 look-ups, not a million comparisons).
    looked_up, scanned, indexes = set(), [], {}
    for terms in parsed:
        if terms and len(terms) == 1 and isinstance(fields.get(terms[0][0]), Exact):
            name, value = terms[0]
            if name not in indexes:
                indexes[name] = fields[name].index(rows)
            looked_up.update(id(row) for row in indexes[name].get(value, ()))
        elif terms:
            scanned.append(terms)
    return [row for row in rows
            if id(row) in looked_up or any(matches(row, terms) for terms in scanned)]


class Exact:
    """A search field that matches when ``key(row)`` equals the value, and can be indexed."""

    def __init__(self, key) -> None:
        self.key = key

    def __call__(self, row, value: str) -> bool:
        return self.key(row) == value

    def index(self, rows: list) -> dict:
        """The rows by key."""
        found: dict = {}
        for row in rows:
            found.setdefault(self.key(row), []).append(row)
        return found
