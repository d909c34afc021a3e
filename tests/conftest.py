import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_SDL = Path(
    os.environ.get(
        "SYNCER_SHOPIFY_SCHEMA",
        ROOT.parent / "shared" / "shopify-schema" / "admin-2026-04.schema.graphql",
    )
)


@pytest.fixture(scope="session")
def real_schema():
    """The real Shopify Admin 2026-04 schema (../shared), built once per test session."""
    from graphql import build_schema

    if not REAL_SDL.is_file():
        pytest.fail(f"real Shopify schema not found at {REAL_SDL}; set SYNCER_SHOPIFY_SCHEMA")
    # assume_valid: the real SDL has deprecation mismatches on interface fields that
    # graphql-core 3.3 rejects in schema validation; we validate documents, not Shopify's schema.
    return build_schema(REAL_SDL.read_text(encoding="utf-8"), assume_valid=True)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite the expected files of golden tests instead of comparing",
    )


@pytest.fixture
def update_golden(request):
    """True when pytest runs with --update-golden."""
    return request.config.getoption("--update-golden")
