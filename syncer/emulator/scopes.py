"""Access scopes: which scope each field syncer uses needs, and the denial Shopify answers.

A field the token's app lacks a scope for is not resolved (a mutation is not run): it is null,
with an error as live Shopify answers it (HTTP 200, the rest of ``data`` as usual)::

    {"message": "Access denied for locations field. Required access: `read_locations` access
     scope.", "locations": [...], "path": ["locations"], "extensions": {"code": "ACCESS_DENIED",
     "documentation": "https://shopify.dev/api/usage/access-scopes",
     "requiredAccess": "`read_locations` access scope."}}

Sources (README.md, "Access scopes"): Shopify's docs for each query and mutation; the
changelogs "The location object requires read_locations scope" (2024-07), "Location ID
queryable with inventory scopes" and "InventoryItem queryable and updatable with products
scopes" (2025-01); shop metafields need no scope (the Shop object has none), so syncer's apply
journal (app-owned shop metafields, ``metafieldsSet``) needs none. A write scope implies its
read scope. A field needing one of several scopes lists each.
"""

from __future__ import annotations

from graphql import GraphQLError

DOCUMENTATION = "https://shopify.dev/api/usage/access-scopes"
_INVENTORY = ("read_inventory",)
_ITEMS = ("read_inventory", "read_products")
_LOCATIONS = ("read_locations",)
_WRITE_INVENTORY = ("write_inventory",)

#: (type, field) -> the scopes of which the app needs one.
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("QueryRoot", "locations"): _LOCATIONS,
    ("QueryRoot", "locationsCount"): _LOCATIONS,
    ("QueryRoot", "location"): ("read_locations", "read_inventory"),
    ("Location", "name"): _LOCATIONS,
    ("Location", "isActive"): _LOCATIONS,
    ("Location", "legacyResourceId"): _LOCATIONS,
    ("Location", "inventoryLevel"): _INVENTORY,
    ("Location", "inventoryLevels"): _INVENTORY,
    ("QueryRoot", "inventoryItems"): _ITEMS,
    ("QueryRoot", "inventoryItem"): _ITEMS,
    ("InventoryItem", "sku"): _ITEMS,
    ("InventoryItem", "inventoryLevel"): _INVENTORY,
    ("InventoryItem", "inventoryLevels"): _INVENTORY,
    ("QueryRoot", "inventoryLevel"): _INVENTORY,
    ("Mutation", "inventoryActivate"): _WRITE_INVENTORY,
    ("Mutation", "inventoryDeactivate"): _WRITE_INVENTORY,
    ("Mutation", "inventoryBulkToggleActivation"): _WRITE_INVENTORY,
    ("Mutation", "inventoryAdjustQuantities"): _WRITE_INVENTORY,
    ("Mutation", "inventorySetQuantities"): _WRITE_INVENTORY,
    ("QueryRoot", "codeDiscountNode"): ("read_discounts",),
    ("QueryRoot", "codeDiscountNodeByCode"): ("read_discounts",),
    ("QueryRoot", "codeDiscountNodes"): ("read_discounts",),
    ("Mutation", "discountCodeActivate"): ("write_discounts",),
    ("Mutation", "discountCodeDeactivate"): ("write_discounts",),
}
#: Every scope the emulator knows: what a legacy access token (or an open store) is granted.
ALL_SCOPES = tuple(sorted({scope for scopes in REQUIRED.values() for scope in scopes}
                          | {"write_locations", "write_products"}))
DESCRIPTIONS = {
    "read_inventory": "Read inventory", "write_inventory": "Modify inventory",
    "read_locations": "Read locations", "write_locations": "Modify locations",
    "read_products": "Read products, variants and collections",
    "write_products": "Modify products, variants and collections",
    "read_discounts": "Read discounts", "write_discounts": "Modify discounts",
}


def effective(scopes) -> frozenset[str]:
    """``scopes`` with the read scope of each write scope (Shopify grants both).

    >>> sorted(effective(["write_inventory"]))
    ['read_inventory', 'write_inventory']
    """
    granted = set(scopes)
    return frozenset(granted | {"read_" + s[6:] for s in granted if s.startswith("write_")})


def required_text(scopes: tuple[str, ...]) -> str:
    """``\\`read_locations\\` access scope.`` (several: each, joined by ``or``)."""
    return " or ".join(f"`{scope}` access scope" for scope in scopes) + "."


def denial(field: str, scopes: tuple[str, ...]) -> GraphQLError:
    """The error for ``field`` read without any of ``scopes`` (graphql-core adds where)."""
    needed = required_text(scopes)
    return GraphQLError(f"Access denied for {field} field. Required access: {needed}",
                        extensions={"code": "ACCESS_DENIED", "documentation": DOCUMENTATION,
                                    "requiredAccess": needed})


def middleware(granted: frozenset[str] | None):
    """A graphql-core middleware that denies fields ``granted`` lacks a scope for (None: the
    app has every scope, and no middleware is needed)."""
    if granted is None:
        return None
    have = effective(granted)

    def check(resolve, source, info, **args):
        needed = REQUIRED.get((info.parent_type.name, info.field_name))
        if needed and not have.intersection(needed):
            raise denial(info.field_name, needed)
        return resolve(source, info, **args)

    return [check]
