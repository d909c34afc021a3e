"""Code discounts on the wire: the documents, reading the discounts manifests name, the toggles.

A discount named by code is read with ``codeDiscountNodeByCode`` (Shopify matches codes
ignoring case), one named by id with ``codeDiscountNode``; many per query, by alias. The
fragment reads every kind of code discount (basic, BXGY, free shipping, app), which all carry
the schedule syncer needs. ``discountCodeActivate``/``discountCodeDeactivate`` take no
idempotency key: the applier re-reads a discount just before its write instead.
tests/test_documents.py validates these documents against the real schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from syncer.errors import RemoteError
from syncer.model import DISCOUNT_GID, DesiredDiscount, LiveDiscount
from syncer.shopify import decode
from syncer.shopify.documents import MAX_QUERY_COST, OBJECT_COST
from syncer.shopify.transport import Transport

_SCHEDULE = "title status startsAt endsAt"
DISCOUNT_FRAGMENT = f"""
fragment SyncerDiscount on DiscountCodeNode {{
  id
  codeDiscount {{
    ... on DiscountCodeBasic {{ {_SCHEDULE} }}
    ... on DiscountCodeBxgy {{ {_SCHEDULE} }}
    ... on DiscountCodeFreeShipping {{ {_SCHEDULE} }}
    ... on DiscountCodeApp {{ {_SCHEDULE} }}
  }}
}}
"""
_CODE = "codes(first: 1) { nodes { code } }"
LIST_QUERY = f"""
query SyncerDiscountList($first: Int!, $after: String) {{
  codeDiscountNodes(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      ...SyncerDiscount
      codeDiscount {{
        ... on DiscountCodeBasic {{ {_CODE} }}
        ... on DiscountCodeBxgy {{ {_CODE} }}
        ... on DiscountCodeFreeShipping {{ {_CODE} }}
        ... on DiscountCodeApp {{ {_CODE} }}
      }}
    }}
  }}
}}
""" + DISCOUNT_FRAGMENT
#: Discounts per page of ``LIST_QUERY``: each costs 5 points (node, discount, codes, a code).
LIST_PAGE_SIZE = 100

#: One discount as ``SyncerDiscount`` selects it: the node and its discount.
DISCOUNT_COST = OBJECT_COST + OBJECT_COST
#: Discounts one read query asks for (well under the 1000-point limit).
DISCOUNTS_PER_QUERY = min(100, MAX_QUERY_COST // DISCOUNT_COST)

TOGGLES = {True: "discountCodeActivate", False: "discountCodeDeactivate"}


def discounts_query(refs: Sequence[str]) -> str:
    """A query reading ``refs`` (codes or DiscountCodeNode gids): field ``d<i>``, variable
    ``$d<i>``. The document depends only on which refs are gids, never on their values."""
    params, fields = [], []
    for i, ref in enumerate(refs):
        if ref.startswith(DISCOUNT_GID):
            params.append(f"$d{i}: ID!")
            fields.append(f"  d{i}: codeDiscountNode(id: $d{i}) {{ ...SyncerDiscount }}")
        else:
            params.append(f"$d{i}: String!")
            fields.append(f"  d{i}: codeDiscountNodeByCode(code: $d{i}) {{ ...SyncerDiscount }}")
    body = "\n".join(fields)
    return f"query SyncerDiscounts({', '.join(params)}) {{\n{body}\n}}\n" + DISCOUNT_FRAGMENT


def toggle_document(active: bool) -> str:
    """The mutation that activates (``active``) or deactivates one discount, ``$id``."""
    name = TOGGLES[active]
    return (f"mutation SyncerDiscountToggle($id: ID!) {{\n  {name}(id: $id) {{\n"
            "    codeDiscountNode { ...SyncerDiscount }\n"
            "    userErrors { code field message }\n  }\n}\n" + DISCOUNT_FRAGMENT)


def parse_discount(node: Mapping[str, Any]) -> LiveDiscount:
    """A ``LiveDiscount`` from a ``SyncerDiscount`` node; ``RemoteError`` when malformed."""
    what = "a code discount"
    discount = decode.require(node, "codeDiscount", Mapping, what)
    ends = discount.get("endsAt")
    if ends is not None and not isinstance(ends, str):
        raise decode.malformed(f"{what} has endsAt {decode.shown(ends)}")
    return LiveDiscount(
        decode.require(node, "id", str, what),
        decode.require(discount, "title", str, what),
        decode.require(discount, "status", str, what),
        decode.require(discount, "startsAt", str, what),
        ends,
    )


def read_discounts(
    transport: Transport, desired: Iterable[DesiredDiscount], per_query: int = DISCOUNTS_PER_QUERY
) -> Mapping[str, LiveDiscount]:
    """The live discounts ``desired`` names, by ``DesiredDiscount.key``; unknown ones absent."""
    wanted = list(desired)
    found: dict[str, LiveDiscount] = {}
    for start in range(0, len(wanted), per_query):
        batch = wanted[start:start + per_query]
        refs = [d.ref for d in batch]
        data = decode.raise_for_errors(transport.execute(
            discounts_query(refs), {f"d{i}": ref for i, ref in enumerate(refs)}))
        for i, d in enumerate(batch):
            node = data.get(f"d{i}")
            if node is not None:
                found[d.key] = parse_discount(node)
    return MappingProxyType(found)


def list_discounts(
    transport: Transport, page_size: int = LIST_PAGE_SIZE
) -> list[tuple[LiveDiscount, str | None]]:
    """Every code discount of the store with its first code (None without one), in id order."""
    found, after = [], None
    while True:
        data = decode.raise_for_errors(
            transport.execute(LIST_QUERY, {"first": page_size, "after": after}))
        page = decode.page(data.get("codeDiscountNodes"), "codeDiscountNodes")
        for node in page.nodes:
            discount = parse_discount(node)  # checks node and node["codeDiscount"] are objects
            found.append((discount, _first_code(node["codeDiscount"].get("codes"))))
        if not page.has_next:
            return found
        if page.end_cursor == after:
            raise decode.malformed("codeDiscountNodes returned the same endCursor twice")
        after = page.end_cursor


def _first_code(codes: object) -> str | None:
    nodes = codes.get("nodes") if isinstance(codes, Mapping) else None
    first = nodes[0] if isinstance(nodes, list) and nodes else None
    code = first.get("code") if isinstance(first, Mapping) else None
    return code if isinstance(code, str) and code else None


def read_discount(transport: Transport, discount_id: str) -> LiveDiscount | None:
    """One discount by id, as it is now (None when it no longer exists)."""
    data = decode.raise_for_errors(
        transport.execute(discounts_query([discount_id]), {"d0": discount_id}))
    node = data.get("d0")
    return None if node is None else parse_discount(node)


def toggle_discount(transport: Transport, discount_id: str, active: bool) -> LiveDiscount:
    """Activate or deactivate one discount; the discount as the store answers after it.

    Raises ``RemoteError`` with the store's user errors when it refuses.
    """
    name = TOGGLES[active]
    data = decode.raise_for_errors(transport.execute(toggle_document(active), {"id": discount_id}))
    payload = data.get(name)
    errors = decode.user_errors(payload)
    if errors:
        text = "; ".join(f"{e['message']} ({e['code'] or 'no code'})" for e in errors)
        raise RemoteError(f"{name} refused {discount_id}: {text}")
    node = payload.get("codeDiscountNode") if isinstance(payload, Mapping) else None
    if node is None:
        raise decode.malformed(f"{name} answered without the discount")
    return parse_discount(node)
