"""syncer's copy of the Admin API schema of each version it supports, for its gql client.

``sdl/admin-VERSION.graphql`` is the part of Shopify's schema that syncer's documents use
(generated from the vendored full SDLs by ``tests/shopify_schema/prune.py``): a document the
target version does not accept is refused before it is sent. Each is built once, on first use
(a few milliseconds; the full schema would take half a second of every start).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from syncer.shopify.stores import DEFAULT_API_VERSION, SUPPORTED_API_VERSIONS

if TYPE_CHECKING:  # graphql-core is imported when a client is built
    from graphql import GraphQLSchema


def sdl_text(api_version: str) -> str:
    """The pruned SDL of ``api_version`` (a version newer than syncer knows: the latest)."""
    known = api_version if api_version in SUPPORTED_API_VERSIONS else DEFAULT_API_VERSION
    return resources.files("syncer.shopify").joinpath(f"sdl/admin-{known}.graphql") \
        .read_text("utf-8")


@cache
def client_schema(api_version: str) -> GraphQLSchema:
    """The ``GraphQLSchema`` a gql client validates documents of ``api_version`` against."""
    from graphql import build_ast_schema, parse

    # Generated and checked by the tests (test_gql_transport.py): not validated again here.
    return build_ast_schema(parse(sdl_text(api_version), no_location=True),
                            assume_valid=True, assume_valid_sdl=True)
