"""The emulator's graphql-core schema: the SDL subset in ``schema.graphql`` with its resolvers.

The resolvers live with what they serve: inventory reads (``reads.py``), discounts
(``discounts.py``), metafields (``metafields.py``), mutations (``mutations.py``) and bulk
operations (``bulk.py``); this module only puts them on the schema of each API version.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

from syncer.emulator.bulk import RESOLVERS as BULK
from syncer.emulator.discounts import RESOLVERS as DISCOUNTS
from syncer.emulator.metafields import RESOLVERS as METAFIELDS
from syncer.emulator.mutations import MUTATIONS
from syncer.emulator.oauth import RESOLVERS as OAUTH
from syncer.emulator.reads import RESOLVERS as READS
from syncer.emulator.records import Discount, Item, Level, Location
from syncer.emulator.store import Store
from syncer.emulator.versions import OLDEST, sdl


@cache
def build_emulator_schema(api_version: str = OLDEST) -> GraphQLSchema:
    """The executable schema of ``api_version`` (built once each; resolvers are stateless)."""
    base = resources.files("syncer.emulator").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl(base, api_version))
    resolvers = {**READS, **DISCOUNTS, **MUTATIONS, **BULK, **METAFIELDS, **OAUTH}
    for (type_name, field_name), resolver in resolvers.items():
        schema.type_map[type_name].fields[field_name].resolve = resolver
    schema.type_map["Node"].resolve_type = _node_type
    schema.type_map["DiscountCode"].resolve_type = lambda obj, *_: "DiscountCodeBasic"
    return schema


def _node_type(obj, *_):
    names = {Location: "Location", Item: "InventoryItem", Level: "InventoryLevel",
             Store: "Shop", Discount: "DiscountCodeNode"}
    return names[type(obj)]
