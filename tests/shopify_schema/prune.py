"""Regenerate syncer's pruned Admin API schemas (``syncer/shopify/sdl/``) from the vendored SDLs.

Usage (from the repository root): ``python tests/shopify_schema/prune.py``

syncer's gql client validates every document against the schema of the version it targets
before sending it. The full SDL takes about half a second to build, so syncer ships a subset:
the composite types its documents touch (found by walking every document syncer sends, plus
``EXTRA_TYPES``), each with every field whose type is kept (or a scalar or an enum), every
argument of those fields with the input types and enums they need, and every directive. A
document valid against the subset is valid against the full schema (the subset only removes);
a new document that reaches a type not kept is refused until this script is run again
(tests/test_gql_transport.py says so). 2026-10 is 2026-07 with the changelog's changes
(``tests/conftest.py``'s ``sdl_2026_10``).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_ast_schema,
    get_named_type,
    parse,
    visit,
)
from graphql.utilities import print_type

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "syncer" / "shopify" / "sdl"
VERSIONS = ("2026-04", "2026-07", "2026-10")
#: Types no document of syncer's reaches yet, kept for what a store check reads (``doctor``).
EXTRA_TYPES = ("ShopPlan", "App", "AccessScope", "AppInstallation", "BulkOperation")


def syncer_documents() -> list[str]:
    """Every document shape syncer sends (one of each builder's shapes: the types are the same)."""
    sys.path.insert(0, str(ROOT))
    from syncer.shopify import bulk, discounts, documents, scopes, storecheck

    return [*documents.QUERIES.values(),
            documents.levels_by_item_query([2, 1]),
            documents.apply_document(documents.APPLY_KINDS),
            bulk.RUN_MUTATION, bulk.POLL_QUERY, bulk.CANCEL_MUTATION,
            "query SyncerBulkLevels " + bulk.BULK_LEVELS_QUERY,
            discounts.LIST_QUERY,
            discounts.discounts_query(["SPRING", discounts.DISCOUNT_GID + "1"]),
            discounts.toggle_document(True), discounts.toggle_document(False),
            scopes.SCOPES_QUERY, storecheck.STORE_CHECK_QUERY]


def full_sdl(version: str) -> str:
    vendored = "2026-07" if version == "2026-10" else version
    with gzip.open(HERE / f"admin-{vendored}.graphql.gz", "rt", encoding="utf-8") as fh:
        text = fh.read()
    if version == "2026-10":
        sys.path.insert(0, str(ROOT))
        from tests.conftest import sdl_2026_10

        text = sdl_2026_10(text)
    return text


def reached_types(schema, documents: list[str]) -> set[str]:
    """The composite types ``documents`` select from (with every member of a union or
    interface they reach), the roots included."""
    found: set[str] = {"QueryRoot", "Mutation", *EXTRA_TYPES}

    class Collect(Visitor):
        def enter(self, *_args):
            for kind in (info.get_parent_type(), info.get_type()):
                named = get_named_type(kind) if kind is not None else None
                if isinstance(named, GraphQLObjectType | GraphQLInterfaceType
                              | GraphQLUnionType):
                    found.add(named.name)

    for document in documents:
        info = TypeInfo(schema)
        visit(parse(document), TypeInfoVisitor(info, Collect()))
    return found


def prune(sdl: str, documents: list[str]) -> str:
    """The subset of ``sdl`` that ``documents`` need (see the module docstring)."""
    schema = build_ast_schema(parse(sdl, no_location=True), assume_valid=True)
    composite = reached_types(schema, documents)

    def kept(named: GraphQLNamedType) -> bool:
        return isinstance(named, GraphQLScalarType | GraphQLEnumType) or named.name in composite

    out: dict[str, str] = {}
    pending: list[GraphQLNamedType] = []

    def need(named: GraphQLNamedType) -> None:
        if named.name not in out and named not in pending:
            pending.append(named)

    def need_arguments(args) -> None:
        for arg in args.values():
            need(get_named_type(arg.type))

    for name in sorted(composite):
        need(schema.type_map[name])
    for directive in schema.directives:
        need_arguments(directive.args)
    while pending:
        named = pending.pop()
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            fields = {name: f for name, f in named.fields.items()
                      if kept(get_named_type(f.type))}
            for f in fields.values():
                need(get_named_type(f.type))
                need_arguments(f.args)
            interfaces = [i for i in named.interfaces if i.name in composite]
            kind = type(named)
            copy = kind(named.name, fields=fields, interfaces=interfaces)
        elif isinstance(named, GraphQLUnionType):
            copy = GraphQLUnionType(named.name, [t for t in named.types if t.name in composite])
        elif isinstance(named, GraphQLInputObjectType):
            for f in named.fields.values():
                need(get_named_type(f.type))
            copy = named
        else:
            copy = named
        if named.name in ("String", "Int", "Float", "Boolean", "ID"):
            out[named.name] = ""
            continue
        out[named.name] = print_type(copy)
    directives = "\n\n".join(_print_directive(d) for d in schema.directives
                             if d.name not in ("skip", "include", "deprecated", "specifiedBy",
                                               "oneOf"))
    body = "\n\n".join(text for _name, text in sorted(out.items()) if text)
    return ("schema {\n  query: QueryRoot\n  mutation: Mutation\n}\n\n" + directives + "\n\n"
            + body + "\n")


def _print_directive(directive) -> str:
    from graphql.utilities.print_schema import print_directive

    return print_directive(directive)


def main() -> None:
    documents = syncer_documents()
    OUT.mkdir(exist_ok=True)
    for version in VERSIONS:
        text = prune(full_sdl(version), documents)
        path = OUT / f"admin-{version}.graphql"
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(text):,} characters")


if __name__ == "__main__":
    main()
