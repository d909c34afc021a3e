"""Regenerate the vendored, description-free Shopify Admin SDLs from the full introspected ones.

Usage (from the repository root):

    python tests/shopify_schema/vendor.py ../shared/shopify-schema/admin-2026-04.schema.graphql \
        ../shared/shopify-schema/admin-2026-07.schema.graphql

Each ``admin-VERSION.schema.graphql`` becomes ``tests/shopify_schema/admin-VERSION.graphql.gz``:
the same type system (types, fields, arguments, enum values, directives) with every description
removed, printed by graphql-core and gzipped with a fixed mtime so the output is reproducible.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

from graphql import parse, print_ast
from graphql.language import Visitor, visit

HERE = Path(__file__).resolve().parent


class _DropDescriptions(Visitor):
    def enter(self, node, *_args):
        if getattr(node, "description", None) is not None:
            object.__setattr__(node, "description", None)  # AST nodes are frozen in 3.3


def strip(sdl: str) -> str:
    """``sdl`` without descriptions or comments, printed canonically."""
    document = parse(sdl, no_location=True)
    visit(document, _DropDescriptions())
    return print_ast(document) + "\n"


def main(paths: list[str]) -> None:
    for name in paths:
        source = Path(name)
        version = re.search(r"(\d{4}-\d{2})", source.name).group(1)
        text = strip(source.read_text(encoding="utf-8"))
        out = HERE / f"admin-{version}.graphql.gz"
        with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                   filename="") as fh:
            fh.write(text.encode("utf-8"))
        print(f"{out.relative_to(Path.cwd())}: {len(text):,} characters, "
              f"{out.stat().st_size:,} bytes gzipped")


if __name__ == "__main__":
    main(sys.argv[1:])
