"""HttpTransport sends with gql, through its public API, and its client knows the schema of the
version it targets: a document that version does not accept is refused before it is sent.

syncer ships the part of each version's schema its documents use (``syncer/shopify/sdl``),
generated from the vendored full SDLs by ``tests/shopify_schema/prune.py``.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest
from graphql import GraphQLInputObjectType, parse, validate

from syncer.emulator import Emulator
from syncer.errors import RefusedError
from syncer.shopify import http_transport
from syncer.shopify.http_transport import HttpTransport
from syncer.shopify.schema import client_schema, sdl_text
from syncer.shopify.stores import SUPPORTED_API_VERSIONS
from tests.conftest import load_real_schema
from tests.shopify_schema import prune
from tests.test_documents import APPLY_SHAPES, apply_request, read_requests

ROOT = Path(__file__).resolve().parent.parent
NEWER_FIELD = "query Q { shop { metafields(first: 1) { nodes { sizeInBytes } } } }"


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_the_shipped_schema_is_the_pruned_vendored_one(version):
    """Run ``python tests/shopify_schema/prune.py`` when this fails (a document reaches a type
    the shipped schema does not have, or the vendored SDL changed)."""
    assert sdl_text(version) == prune.prune(prune.full_sdl(version), prune.syncer_documents())


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_every_document_syncer_sends_is_valid_against_the_shipped_schema(version):
    schema = client_schema(version)
    documents = [document for document, _ in read_requests().values()]
    documents += [apply_request(shape)[0] for shape in APPLY_SHAPES.values()]
    documents += prune.syncer_documents()
    for document in documents:
        assert [e.message for e in validate(schema, parse(document))] == [], document


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_the_shipped_schema_accepts_nothing_the_real_one_refuses(version):
    """The pruned schema only removes: every type and field it has is the real schema's,
    with the same type (so whatever it accepts, the real schema accepts)."""
    real = load_real_schema(version)
    shipped = client_schema(version)
    for name, kind in shipped.type_map.items():
        if name.startswith("__"):
            continue
        assert name in real.type_map, name
        if isinstance(kind, GraphQLInputObjectType):  # an input keeps all its fields
            assert set(kind.fields) == set(real.type_map[name].fields), name
        for field, definition in getattr(kind, "fields", {}).items():
            real_field = real.type_map[name].fields[field]
            assert str(definition.type) == str(real_field.type), f"{name}.{field}"
            assert set(getattr(definition, "args", {})) == set(getattr(real_field, "args", {})), \
                f"{name}.{field}"


def test_a_document_the_version_does_not_accept_is_refused_before_it_is_sent(http_emulator):
    emulator = Emulator.from_state(json.loads(
        (ROOT / "examples" / "quickstart" / "store.json").read_text()))
    server = http_emulator(emulator)
    transport = HttpTransport(server.url.replace("2026-10", "2026-04"), api_version="2026-04")
    with pytest.raises(RefusedError) as info:
        transport.execute(NEWER_FIELD)
    assert str(info.value) == (
        "syncer's query Q is not valid for Admin API version 2026-04: Cannot query field "
        "'sizeInBytes' on type 'Metafield'; nothing was sent to "
        f"http://127.0.0.1:{server.server_address[1]} (a different --api-version may serve it)")
    assert emulator.requests == 0 and transport.calls == 1 and transport.cost_points == 0
    # 2026-07 has the field: its client lets the document through.
    assert validate(client_schema("2026-07"), parse(NEWER_FIELD)) == []
    assert transport.execute("query Q { shop { myshopifyDomain } }")["data"]
    assert emulator.requests == 1
    transport.close()


def test_gql_is_used_only_through_its_public_api():
    """No subclass of a gql class (so no private method overridden), no private name imported
    from gql, and no private attribute of anything used."""
    source = inspect.getsource(http_transport)
    for value in vars(http_transport).values():
        if inspect.isclass(value):
            assert not any(base.__module__.startswith("gql") for base in value.__mro__), value
    imports = [node for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.ImportFrom) and node.module.startswith("gql")]
    assert {node.module for node in imports} == {"gql", "gql.transport.requests",
                                                 "gql.transport.exceptions"}
    assert not [a.name for node in imports for a in node.names if a.name.startswith("_")]
    private = [node.attr for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Attribute) and node.attr.startswith("_")
               and not node.attr.endswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))]
    assert private == [], private
