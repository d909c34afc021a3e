"""Code discounts: look-ups by code, the ``codeDiscountNodes`` list, activate and deactivate.

A discount's status is derived from its schedule on the emulator's clock (``Discount.status``).
``discountCodeDeactivate`` ends an active discount now, and moves a scheduled one's start and end
to now (seed 003); ``discountCodeActivate`` removes the end date and keeps the start date.
Codes are unique in a store and matched case-insensitively, as Shopify matches them.
"""

from __future__ import annotations

from syncer.emulator.connections import connection, search
from syncer.emulator.records import Discount, gid_number, user_error
from syncer.emulator.store import Store

#: Shopify's answer to an id that names no code discount, as a live shop words it (issue 26;
#: see README).
UNKNOWN = "Code discount does not exist."


def _missing() -> dict:
    return {"codeDiscountNode": None, "userErrors": [user_error(UNKNOWN, ["id"], "INVALID")]}


def deactivate_discount(store: Store, discount_id: str, now_iso: str) -> dict:
    """``discountCodeDeactivate``: the discount ends now (a scheduled one starts now too)."""
    discount = store.discounts.get(discount_id)
    if discount is None:
        return _missing()
    if discount.starts_at > now_iso:
        discount.starts_at = now_iso
    if discount.ends_at is None or discount.ends_at > now_iso:
        discount.ends_at = now_iso
    return {"codeDiscountNode": discount_id, "userErrors": []}


def activate_discount(store: Store, discount_id: str, now_iso: str) -> dict:
    """``discountCodeActivate``: the end date goes (``endsAt`` null), the start date stays."""
    discount = store.discounts.get(discount_id)
    if discount is None:
        return _missing()
    discount.ends_at = None
    return {"codeDiscountNode": discount_id, "userErrors": []}


def discount_by_code(store: Store, code: str) -> Discount | None:
    """The discount whose code is ``code``, ignoring case."""
    wanted = code.casefold()
    return next((d for d in store.discounts.values()
                 if d.code is not None and d.code.casefold() == wanted), None)


def _number(discount: Discount) -> int:
    return gid_number(discount.id, "DiscountCodeNode")


def _fields(now_iso: str) -> dict:
    """The ``codeDiscountNodes(query:)`` fields the emulator filters on."""
    return {
        "code": lambda d, v: d.code is not None and d.code.casefold() == v.casefold(),
        "title": lambda d, v: d.title.casefold() == v.casefold(),
        "status": lambda d, v: d.status(now_iso) == v.upper(),
        "id": lambda d, v: v.isdigit() and _number(d) == int(v) or d.id == v,
    }


def _nodes(_root, info, query=None, **args):
    store, now = info.context.store, info.context.now_iso
    rows = search(sorted(store.discounts.values(), key=_number), query, _fields(now))
    return connection(rows, _number, args)


def _codes(discount: Discount, info, query=None, **args):
    """``DiscountCodeBasic.codes``: the discount's one redeem code (none without a code)."""
    rows = [] if discount.code is None else [discount]
    return connection(rows, _number, args)


RESOLVERS = {
    ("QueryRoot", "codeDiscountNode"): lambda _, info, id: info.context.store.discounts.get(id),
    ("QueryRoot", "codeDiscountNodeByCode"): lambda _, info, code:
        discount_by_code(info.context.store, code),
    ("QueryRoot", "codeDiscountNodes"): _nodes,
    ("DiscountCodeDeactivatePayload", "codeDiscountNode"): lambda p, info:
        info.context.store.discounts.get(p["codeDiscountNode"]) if p["codeDiscountNode"] else None,
    ("DiscountCodeActivatePayload", "codeDiscountNode"): lambda p, info:
        info.context.store.discounts.get(p["codeDiscountNode"]) if p["codeDiscountNode"] else None,
    ("DiscountCodeNode", "codeDiscount"): lambda d, info: d,
    ("DiscountCodeBasic", "startsAt"): lambda d, info: d.starts_at,
    ("DiscountCodeBasic", "endsAt"): lambda d, info: d.ends_at,
    ("DiscountCodeBasic", "status"): lambda d, info: d.status(info.context.now_iso),
    ("DiscountCodeBasic", "codes"): _codes,
    # A redeem code row is the discount itself (one code per discount here).
    ("DiscountRedeemCode", "id"): lambda d, info: f"gid://shopify/DiscountRedeemCode/{_number(d)}",
}
