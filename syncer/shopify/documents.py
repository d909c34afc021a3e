"""Every GraphQL document syncer sends to the Admin API, with its requested cost.

Pure: no I/O. The reads (locations, items by SKU, nodes by id, a location's levels, levels by
item) and the one mutation document apply sends (aliased fields, one per step) are built here,
each next to its cost by Shopify's rules, so the reader can pick the largest page that stays
under the 1000-point limit. tests/test_documents.py validates every document, and every shape
of the apply document, against the real schema of each supported version. Their variables are
built in ``variables.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncer.model import QUANTITY_NAMES

#: Shopify refuses a query whose requested cost is above this.
MAX_QUERY_COST = 1000
#: Largest ``first`` Shopify accepts, and largest input array.
MAX_PAGE_SIZE = 250
MAX_INPUT_ITEMS = 250

# Requested cost by Shopify's published rules: scalars and enums 0, an object 1 plus its
# selection, a connection 2 plus `first` times one node (pageInfo included in the 2), a list of
# objects without `first` (quantities(names:), nodes(ids:)) priced as one element, a mutation 10.
# tests/test_documents.py checks every figure below against the emulator's cost calculator.
OBJECT_COST = 1
CONNECTION_COST = 2
MUTATION_COST = 10
#: An inventory item as syncer reads it: the item and its ``unitCost`` (a ``MoneyV2`` object,
#: the plan's value at cost): 2 points where ``{ id sku }`` alone is 1.
ITEM_COST = OBJECT_COST + OBJECT_COST
ITEM_FIELDS = "id sku unitCost { amount currencyCode }"
#: One level as ``SyncerLevel`` selects it: the level, its item (with its cost), its quantities.
LEVEL_COST = OBJECT_COST + ITEM_COST + OBJECT_COST


def connection_cost(first: int, node_cost: int) -> int:
    """Requested cost of a connection asking for ``first`` nodes.

    >>> connection_cost(250, 1)
    252
    """
    return CONNECTION_COST + first * node_cost


def largest_page(node_cost: int, overhead: int = 0, budget: int = MAX_QUERY_COST) -> int:
    """The largest ``first`` whose connection, plus ``overhead``, costs at most ``budget``.

    >>> largest_page(3, overhead=1)
    250
    >>> largest_page(10, overhead=1)
    99
    """
    return max(1, min(MAX_PAGE_SIZE, (budget - overhead - CONNECTION_COST) // node_cost))


_QUANTITY_LIST = ", ".join(f'"{name}"' for name in QUANTITY_NAMES)

LEVEL_FRAGMENT = f"""
fragment SyncerLevel on InventoryLevel {{
  id
  isActive
  canDeactivate
  deactivationAlert
  item {{ {ITEM_FIELDS} }}
  quantities(names: [{_QUANTITY_LIST}]) {{ name quantity }}
}}
"""

# --- reads ------------------------------------------------------------------------------------

LOCATIONS_QUERY = """
query SyncerLocations($first: Int!, $after: String) {
  shop { name myshopifyDomain }
  locations(first: $first, after: $after, includeInactive: true) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive }
  }
}
"""
LOCATIONS_PAGE_SIZE = largest_page(OBJECT_COST, overhead=OBJECT_COST)  # and the shop


def locations_cost(first: int) -> int:
    """Requested cost of ``LOCATIONS_QUERY`` (the ``shop`` object is 1 more point)."""
    return connection_cost(first, OBJECT_COST) + OBJECT_COST


#: ``syncer import``'s look at a store's size before it reads it: are there more items than
#: ``first``? (Each item is stocked at some of the locations: items x locations bounds the
#: levels.) About ``first`` + 2 points.
ITEMS_PROBE_QUERY = """
query SyncerItemsProbe($first: Int!) {
  inventoryItems(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes { id }
  }
}
"""

ITEMS_BY_SKU_QUERY = f"""
query SyncerItemsBySku($query: String!, $first: Int!, $after: String) {{
  inventoryItems(first: $first, after: $after, query: $query) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ITEM_FIELDS} }}
  }}
}}
"""
ITEMS_PAGE_SIZE = largest_page(ITEM_COST)
#: SKUs per search query: 100 keeps the search string a few KB (Shopify documents no length
#: limit) while a page of 250 still holds every match in the usual case; duplicates page on.
SKUS_PER_QUERY = 100


def items_cost(first: int) -> int:
    """Requested cost of ``ITEMS_BY_SKU_QUERY``."""
    return connection_cost(first, ITEM_COST)


NODES_QUERY = f"""
query SyncerNodes($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    ... on InventoryItem {{ {ITEM_FIELDS} }}
    ... on Location {{ id name isActive }}
  }}
}}
"""
IDS_PER_QUERY = MAX_INPUT_ITEMS
#: Requested cost of ``NODES_QUERY`` for up to ``IDS_PER_QUERY`` ids (a plain list, priced as
#: its costliest element: an item with its cost).
NODES_COST = ITEM_COST

LOCATION_LEVELS_QUERY = (
    """
query SyncerLocationLevels($locationId: ID!, $first: Int!, $after: String) {
  location(id: $locationId) {
    id
    inventoryLevels(first: $first, after: $after, includeInactive: true) {
      pageInfo { hasNextPage endCursor }
      nodes { ...SyncerLevel }
    }
  }
}
"""
    + LEVEL_FRAGMENT
)
LEVELS_PAGE_SIZE = largest_page(LEVEL_COST, overhead=OBJECT_COST)


def location_levels_cost(first: int) -> int:
    """Requested cost of ``LOCATION_LEVELS_QUERY``: the location plus one page of levels."""
    return OBJECT_COST + connection_cost(first, LEVEL_COST)


def levels_by_item_query(shape: Sequence[int]) -> str:
    """A query reading chosen levels: ``shape[i]`` items at the i-th location, by alias.

    Variables are ``l<i>`` (location ids) and ``l<i>i<j>`` (item ids); see
    ``variables.levels_by_item_variables``. The document depends only on the shape, never on
    the ids.
    """
    params, blocks = [], []
    for i, count in enumerate(shape):
        params.append(f"$l{i}: ID!")
        fields = []
        for j in range(count):
            params.append(f"$l{i}i{j}: ID!")
            fields.append(
                f"    i{j}: inventoryLevel(inventoryItemId: $l{i}i{j}, includeInactive: true)"
                " { ...SyncerLevel }"
            )
        blocks.append(f"  l{i}: location(id: $l{i}) {{\n    id\n" + "\n".join(fields) + "\n  }")
    body = "\n".join(blocks)
    return f"query SyncerLevelsByItem({', '.join(params)}) {{\n{body}\n}}\n" + LEVEL_FRAGMENT


def levels_by_item_cost(shape: Sequence[int]) -> int:
    """Requested cost of ``levels_by_item_query(shape)``."""
    return sum(OBJECT_COST + count * LEVEL_COST for count in shape)


#: Items per location that one point-read query can hold (a single location group).
ITEMS_PER_POINT_QUERY = (MAX_QUERY_COST - OBJECT_COST) // LEVEL_COST

# --- the apply mutation -------------------------------------------------------------------------

#: Aliased mutation fields one request may carry: each mutation costs 10 of the 1000 points.
MAX_FIELDS_PER_REQUEST = MAX_QUERY_COST // MUTATION_COST

#: The kinds of apply field, in the order the applier's steps use them.
APPLY_KINDS = ("activate", "bulk_toggle", "adjust", "deactivate")

# One aliased field per apply step: (variable definitions, field). ``{i}`` is the field's index.
# ``changeFromQuantity`` (compare-and-set, required from 2026-04) travels in ``$input{i}``.
# inventoryBulkToggleActivation does not document @idempotent support, so it carries no key:
# activation is idempotent by nature (activating an active level changes nothing).
_APPLY_FIELDS = {
    "activate": (
        "$item{i}: ID!, $location{i}: ID!, $key{i}: String!",
        "s{i}: inventoryActivate(inventoryItemId: $item{i}, locationId: $location{i}) "
        "@idempotent(key: $key{i}) {{ inventoryLevel {{ id }} userErrors {{ field message }} }}",
    ),
    "bulk_toggle": (
        "$item{i}: ID!, $updates{i}: [InventoryBulkToggleActivationInput!]!",
        "s{i}: inventoryBulkToggleActivation(inventoryItemId: $item{i}, "
        "inventoryItemUpdates: $updates{i}) "
        "{{ inventoryLevels {{ id }} userErrors {{ code field message }} }}",
    ),
    "adjust": (
        "$input{i}: InventoryAdjustQuantitiesInput!, $key{i}: String!",
        "s{i}: inventoryAdjustQuantities(input: $input{i}) @idempotent(key: $key{i}) "
        "{{ inventoryAdjustmentGroup {{ id createdAt }} userErrors {{ code field message }} }}",
    ),
    "deactivate": (
        "$level{i}: ID!, $key{i}: String!",
        "s{i}: inventoryDeactivate(inventoryLevelId: $level{i}) @idempotent(key: $key{i}) "
        "{{ userErrors {{ field message }} }}",
    ),
}


#: The apply journal's field: the last of every apply request (``syncer.apply.journal``).
#: Fields run in order, so its record is written exactly when the fields before it ran.
JOURNAL_FIELD = ("journal: metafieldsSet(metafields: $journal) "
                 "{ metafields { key } userErrors { code field message } }")
JOURNAL_VARIABLE = "$journal: [MetafieldsSetInput!]!"


def apply_document(kinds: Sequence[str], journal: bool = True) -> str:
    """One mutation with an aliased field ``s0``, ``s1``, ... per apply step of ``kinds``,
    then (``journal``) the apply journal's ``metafieldsSet`` field.

    Fields run in order (GraphQL executes mutation fields serially); each has its own variables
    (see ``variables.apply_field_variables``) and, except bulk toggles, its own idempotency key.
    """
    most = MAX_FIELDS_PER_REQUEST - journal
    if not kinds or len(kinds) > most:
        raise ValueError(f"an apply request carries 1 to {most} fields")
    unknown = sorted(set(kinds) - set(_APPLY_FIELDS))
    if unknown:
        raise ValueError(f"unknown apply field kind {unknown[0]!r}")
    defs = ", ".join([_APPLY_FIELDS[k][0].format(i=i) for i, k in enumerate(kinds)]
                     + [JOURNAL_VARIABLE] * journal)
    fields = "\n  ".join([_APPLY_FIELDS[k][1].format(i=i) for i, k in enumerate(kinds)]
                         + [JOURNAL_FIELD] * journal)
    return f"mutation SyncerApply({defs}) {{\n  {fields}\n}}\n"


def apply_cost(kinds: Sequence[str], journal: bool = True) -> int:
    """Requested cost of ``apply_document(kinds, journal)``: 10 points per mutation field."""
    return MUTATION_COST * (len(kinds) + journal)


#: A request that only writes the apply journal (a run's closing record).
JOURNAL_WRITE = f"mutation SyncerJournal({JOURNAL_VARIABLE}) {{\n  {JOURNAL_FIELD}\n}}\n"

#: The apply journal of one plan: the shop's metafields in the plan's namespace, a page at a time.
JOURNAL_PAGE_SIZE = 100
JOURNAL_QUERY = f"""
query SyncerJournalRead($namespace: String!, $after: String) {{
  shop {{
    id
    metafields(namespace: $namespace, first: {JOURNAL_PAGE_SIZE}, after: $after) {{
      nodes {{ key value }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""
JOURNAL_QUERY_COST = OBJECT_COST + connection_cost(JOURNAL_PAGE_SIZE, OBJECT_COST)


#: Every fixed document syncer sends; the point reads and the apply mutation are built per
#: shape by ``levels_by_item_query`` and ``apply_document``.
#: The shop's identity: a saved plan records it, and apply checks the store still answers it.
SHOP_QUERY = """
query SyncerShop {
  shop {
    name
    myshopifyDomain
  }
}
"""

QUERIES = {
    "shop": SHOP_QUERY,
    "locations": LOCATIONS_QUERY,
    "items_by_sku": ITEMS_BY_SKU_QUERY,
    "items_probe": ITEMS_PROBE_QUERY,
    "nodes": NODES_QUERY,
    "location_levels": LOCATION_LEVELS_QUERY,
    "journal": JOURNAL_QUERY,
    "journal_write": JOURNAL_WRITE,
}
