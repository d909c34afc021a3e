"""The access scopes each command needs, and what a token's app lacks of them.

Shopify grants a write scope's read scope with it. Discount scopes are needed only when the
manifests manage discount codes. ``auth.py`` mints the tokens; ``engine/doctor.py`` and the apply
workflow check the grant with these.
"""

from __future__ import annotations

#: Scopes each command needs (write scopes imply their read scopes on Shopify). Discounts are
#: needed only when the manifests manage discount codes (``DISCOUNT_SCOPES``).
COMMAND_SCOPES = {
    "plan": ("read_inventory", "read_locations"),
    "drift": ("read_inventory", "read_locations"),
    "import": ("read_inventory", "read_locations"),
    "apply": ("read_inventory", "read_locations", "write_inventory"),
}
DISCOUNT_SCOPES = {"plan": ("read_discounts",), "drift": ("read_discounts",),
                   "import": ("read_discounts",), "apply": ("read_discounts", "write_discounts")}
#: The app's granted scopes, as ``accessScopes { handle }`` lists them.
SCOPES_QUERY = "query SyncerScopes {\n  currentAppInstallation { accessScopes { handle } }\n}\n"


def missing_scopes(granted: set[str] | frozenset[str], command: str,
                   discounts: bool = False) -> list[str]:
    """The scopes ``command`` needs that ``granted`` lacks (a write scope implies its read one).

    >>> missing_scopes({"read_inventory", "write_inventory"}, "apply")
    ['read_locations']
    """
    have = set(granted) | {"read_" + s[len("write_"):] for s in granted if s.startswith("write_")}
    needed = COMMAND_SCOPES[command] + (DISCOUNT_SCOPES[command] if discounts else ())
    return [scope for scope in needed if scope not in have]
