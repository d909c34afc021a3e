import gc
import gzip
import re
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings

# No deadline on hypothesis examples: the default (200 ms an example) is a wall-clock assertion,
# and under six xdist workers on two cores a correct example can take longer (the likely cause
# of one unexplained failure of test_manifest_properties; several tests had already turned it
# off one by one).
settings.register_profile("syncer", deadline=None)
settings.load_profile("syncer")

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "shopify_schema"
# The versions whose real SDL is vendored in tests/shopify_schema/
VENDORED_VERSIONS = ("2026-04", "2026-07")
# Every version syncer supports: 2026-10 has no SDL here and is built (``sdl_2026_10``).
SDL_VERSIONS = (*VENDORED_VERSIONS, "2026-10")
# Shopify's changelog, "Removal of ITEM_NOT_STOCKED_AT_LOCATION error" (2026-10):
# https://shopify.dev/changelog/removal-of-itemnotstockedatlocation-error
NOT_STOCKED_ENUMS = ("InventoryAdjustQuantitiesUserErrorCode",
                     "InventoryMoveQuantitiesUserErrorCode",
                     "InventorySetOnHandQuantitiesUserErrorCode",
                     "InventorySetQuantitiesUserErrorCode")


def sdl_2026_10(sdl_2026_07: str) -> str:
    """The 2026-10 SDL: 2026-07 without ITEM_NOT_STOCKED_AT_LOCATION in the four quantity
    mutations' error codes, and with IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED in
    InventorySetQuantitiesUserErrorCode (already there in the vendored 2026-04 and 2026-07)."""
    for enum in NOT_STOCKED_ENUMS:
        body = re.search(rf"^enum {enum} {{\n(.*?)^}}", sdl_2026_07, re.M | re.S)
        assert body and "  ITEM_NOT_STOCKED_AT_LOCATION\n" in body.group(1), enum
        values = body.group(1).replace("  ITEM_NOT_STOCKED_AT_LOCATION\n", "")
        if enum == "InventorySetQuantitiesUserErrorCode" and "PREVIOUS_ATTEMPT" not in values:
            values += "  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED\n"
        sdl_2026_07 = sdl_2026_07.replace(body.group(0), f"enum {enum} {{\n{values}}}")
    return sdl_2026_07


@cache
def load_real_schema(version: str = "2026-04"):
    """The real Shopify Admin schema of ``version`` (vendored, description-free), built once;
    2026-10 is 2026-07 with the changelog's changes (``sdl_2026_10``)."""
    from graphql import build_ast_schema, parse

    vendored = "2026-07" if version == "2026-10" else version
    path = SCHEMAS / f"admin-{vendored}.graphql.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        sdl = fh.read()
    if version == "2026-10":
        sdl = sdl_2026_10(sdl)
    # The SDL's own source locations are never shown (the documents checked against it have
    # theirs), and the garbage collector would scan the half-built schema's hundreds of
    # thousands of objects many times over: 0.4 s a version instead of 1.1-1.8 s. Frozen
    # afterwards, later collections in this worker skip it too.
    gc.disable()
    try:
        # assume_valid: the real SDL has deprecation mismatches on interface fields that
        # graphql-core 3.3 rejects in schema validation; we validate documents, not Shopify's.
        schema = build_ast_schema(parse(sdl, no_location=True), assume_valid=True)
    finally:
        gc.enable()
    gc.freeze()
    return schema


@pytest.fixture(scope="session")
def real_schema():
    """The real Shopify Admin 2026-04 schema."""
    return load_real_schema("2026-04")


@pytest.fixture(scope="session", params=SDL_VERSIONS)
def real_schemas(request):
    """The real Shopify Admin schema of each version syncer supports, as (version, schema)."""
    return request.param, load_real_schema(request.param)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite the expected files of golden tests instead of comparing",
    )


@pytest.fixture
def update_golden(request):
    """True when pytest runs with --update-golden."""
    return request.config.getoption("--update-golden")


class EmulatorServers:
    """HTTP emulator servers shared by a test session (one process; each xdist worker has its
    own). ``serve(emulator)`` points a free server at ``emulator`` and returns it (``.url``,
    ``.server_address``); ``release()`` frees them all for the next test. Starting and stopping
    a server per test cost a thread and a shutdown poll each."""

    def __init__(self) -> None:
        self.free: list = []
        self.busy: list = []

    def serve(self, emulator):
        from syncer.emulator import serve

        if self.free:
            server = self.free.pop()
        else:
            server = serve(None, port=0)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        server.emulator = emulator
        self.busy.append(server)
        return server

    def release(self) -> None:
        for server in self.busy:
            server.emulator = None
        self.free += self.busy
        self.busy.clear()

    def close(self) -> None:
        self.release()
        for server in self.free:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def _emulator_servers():
    servers = EmulatorServers()
    yield servers
    servers.close()


@pytest.fixture
def http_emulator(_emulator_servers):
    """``http_emulator(emulator)`` serves ``emulator`` over HTTP for this test; returns the
    server (``server.url`` is its GraphQL endpoint). Servers are shared across the session."""
    yield _emulator_servers.serve
    _emulator_servers.release()


@pytest.hookimpl(tryfirst=True)  # before xdist names the groups in the node ids
def pytest_collection_modifyitems(config, items):
    """Start the longest tests first (``@pytest.mark.slow(seconds=N)``, N their rough serial
    time), longest first, the rest in file order. CI hands the tests to the xdist workers in
    this order, a unit at a time (``--dist loadgroup``: a test is its own unit unless it is in
    a group), so this is longest-processing-time-first scheduling: a long test never starts
    when the rest of the suite is nearly done."""

    def seconds(item) -> float:
        mark = item.get_closest_marker("slow")
        return 0.0 if mark is None else float(mark.kwargs.get("seconds", 1.0))

    items.sort(key=lambda item: -seconds(item))  # stable: file order within equal times
    # The tests that build a real Shopify schema run in one worker (``--dist loadgroup``): each
    # build costs about half a second, once per worker that needs it.
    for item in items:
        if {"real_schema", "real_schemas"} & set(getattr(item, "fixturenames", ())) or (
            item.module is not None and item.module.__name__.endswith("test_api_versions")
        ):
            item.add_marker(pytest.mark.xdist_group("real-sdl"))
        # Tests whose fixture is costly (the wheelhouse, about 8 s of CPU; the layering test's
        # copy of the package) run in one worker for each, so it is built once. Those
        # fixtures are session-scoped: the sort above interleaves the modules' tests, and a
        # module-scoped fixture is built again each time its module's tests resume.
        module = item.module.__name__ if item.module is not None else ""
        if "wheelhouse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("wheel"))
        elif module.endswith("test_layering"):
            item.add_marker(pytest.mark.xdist_group("test_layering"))


# --- the built wheel and its dependencies, for the tests that install syncer as users do ------

@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """A folder of wheels: syncer's, built from this tree (hatchling from the test environment,
    ``--no-build-isolation``), and every dependency it needs at the pinned versions, with
    hatchling's for building from source. Made once, with one resolution against the package
    indexes; the wheel test and the pre-commit hook test then install from it alone
    (``--no-index``), as a user's pip would from an index. Their tests share the xdist group
    ``wheel`` so it is made once (conftest's ``pytest_collection_modifyitems``)."""
    from helpers import pip_for  # not at the top: tests/shopify_schema/prune.py imports this

    folder = tmp_path_factory.mktemp("wheelhouse")
    built = subprocess.run(
        [*pip_for(sys.executable), "wheel", "-q", "--no-build-isolation", "-w", str(folder),
         "-c", str(ROOT / "constraints.txt"), str(ROOT), "hatchling"],
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    return folder
