"""syncer's API versions against the emulator's: the default, the ones it knows, a newer one,
a store that answers another version than asked; and throttling paced by each plan's rate."""

import json
import logging
from pathlib import Path

import pytest

from syncer.emulator import Emulator, VirtualClock
from syncer.errors import RefusedError, UsageError
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.stores import (
    DEFAULT_API_VERSION,
    SUPPORTED_API_VERSIONS,
    check_api_version,
)

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
QUERY = "{ shop { name } }"


def emulator(**throttle) -> Emulator:
    state = json.loads(QUICKSTART.read_text())
    if throttle:
        state["throttle"] = throttle
    return Emulator.from_state(state, clock=VirtualClock())


def transport(handler, version, emu=None) -> LocalTransport:
    clock = (emu or emulator()).clock
    return LocalTransport(handler, api_version=version, sleep=clock.sleep, clock=clock.now)


def test_the_default_is_the_latest_version_syncer_knows():
    assert DEFAULT_API_VERSION == SUPPORTED_API_VERSIONS[-1] == "2026-10"
    assert SUPPORTED_API_VERSIONS == ("2026-04", "2026-07", "2026-10")


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_each_supported_version_talks_to_the_emulator(version):
    emu = emulator()
    body = transport(emu.respond, version, emu).execute(QUERY)
    assert body["data"] == {"shop": {"name": "quickstart"}}


def test_older_versions_are_refused_with_the_reason():
    with pytest.raises(UsageError, match="before 2026-04, deactivating an inventory level "
                                         "discards its quantities"):
        check_api_version("2026-01")


def test_a_newer_version_warns_and_stops_if_the_store_does_not_serve_it(caplog):
    emu = emulator()
    with caplog.at_level(logging.WARNING, logger="syncer.shopify.stores"):
        client = transport(emu.respond, "2027-04", emu)
    assert "API version 2027-04 is newer than syncer knows (up to 2026-10)" in caplog.text
    with pytest.raises(RefusedError, match=r"no GraphQL endpoint for API version 2027-04 "
                                           r"\(HTTP 404\).*syncer knows up to 2026-10"):
        client.execute(QUERY)


def test_a_newer_version_proceeds_when_the_store_answers_it(caplog):
    emu = emulator()

    def newer_store(body, headers, path):
        assert path == "/admin/api/2027-01/graphql.json"
        status, payload, _ = emu.respond(body, headers, "/admin/api/2026-10/graphql.json")
        return status, payload, {"x-shopify-api-version": "2027-01"}

    with caplog.at_level(logging.WARNING, logger="syncer.shopify.transport"):
        body = transport(newer_store, "2027-01", emu).execute(QUERY)
    assert body["data"] == {"shop": {"name": "quickstart"}}
    assert "serves API version 2027-01, which syncer does not know; proceeding" in caplog.text


def test_a_store_answering_another_version_is_refused_before_anything_runs():
    emu = emulator()

    def fell_forward(body, headers, path):
        status, payload, _ = emu.respond(body, headers, path)
        return status, payload, {"X-Shopify-API-Version": "2026-07"}

    with pytest.raises(RefusedError, match="answered with API version 2026-07, not 2026-04: it "
                                           "does not serve 2026-04 .*use --api-version 2026-07"):
        transport(fell_forward, "2026-04", emu).execute(QUERY)


@pytest.mark.parametrize("plan, rate", [("standard", 100), ("advanced", 200), ("plus", 1000),
                                        ("enterprise", 2000)])
def test_throttling_is_paced_by_the_plans_restore_rate_read_at_run_time(plan, rate):
    emu = emulator(plan=plan, maximumAvailable=500)  # a small bucket keeps the test short
    client = transport(emu.respond, DEFAULT_API_VERSION, emu)
    query = "{ locations(first: 250) { nodes { id name } } }"
    cost = client.execute(query)["extensions"]["cost"]
    requested, actual = cost["requestedQueryCost"], cost["actualQueryCost"]
    assert cost["throttleStatus"]["restoreRate"] == rate
    runs = 500 // actual + 50
    for _ in range(runs - 1):
        client.execute(query)
    restored = runs * actual - 500  # points the bucket had to restore
    assert restored / rate <= emu.clock.now() <= (restored + 2 * requested) / rate
    assert client.calls == runs  # paced by the rate it read, never throttled


def test_every_supported_version_is_one_the_documents_are_validated_against():
    from conftest import SDL_VERSIONS

    assert SUPPORTED_API_VERSIONS == SDL_VERSIONS  # tests/test_documents.py runs each


def test_the_built_2026_10_schema_has_the_changelog_changes():
    from conftest import NOT_STOCKED_ENUMS, load_real_schema

    old, new = load_real_schema("2026-07"), load_real_schema("2026-10")
    for enum in NOT_STOCKED_ENUMS:
        assert set(old.type_map[enum].values) - set(new.type_map[enum].values) == {
            "ITEM_NOT_STOCKED_AT_LOCATION"}
        assert set(new.type_map[enum].values) <= set(old.type_map[enum].values)
    assert "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in new.type_map[
        "InventorySetQuantitiesUserErrorCode"].values
