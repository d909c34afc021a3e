"""Property tests for the manifest loader (hypothesis)."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncer.errors import ManifestError
from syncer.manifest.files import decode_manifest
from syncer.manifest.load import parse_manifest
from syncer.manifest.schema import _validators, level_ok
from syncer.model import ADJUSTABLE, Policy, SafetyLimits

# NEL (U+0085) is left out: pyyaml dumps it in a quoted key that pyyaml reads back as a space.
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85")
PLAIN_TEXT = st.text(CHARACTERS, min_size=1, max_size=12)
LOCATIONS = PLAIN_TEXT.filter(lambda s: not s.startswith("gid://")) | st.integers(1, 10**12).map(
    lambda n: f"gid://shopify/Location/{n}"
)
ITEMS = PLAIN_TEXT.filter(lambda s: not s.startswith("gid://")) | st.integers(1, 10**12).map(
    lambda n: f"gid://shopify/InventoryItem/{n}"
)
QUANTITY = st.integers(0, 1_000_000_000)
LEVEL = st.fixed_dictionaries(
    {"active": st.booleans()}, optional={name: QUANTITY for name in ADJUSTABLE}
)
POLICY = st.fixed_dictionaries(
    {},
    optional={
        "unmanaged": st.sampled_from(["ignore", "deactivate"]),
        "tolerance": st.fixed_dictionaries({}, optional={name: QUANTITY for name in ADJUSTABLE}),
    },
)
SAFETY = st.fixed_dictionaries(
    {},
    optional={
        "max_changed_percent": st.integers(0, 100) | st.floats(0, 100),
        "max_units_removed": st.none() | QUANTITY,
        "allow_deactivate_with_stock": st.booleans(),
    },
)
DOCUMENT = st.fixed_dictionaries(
    {
        "apiVersion": st.just("syncer/v1"),
        "kind": st.just("InventoryLevels"),
        "locations": st.dictionaries(
            LOCATIONS, st.dictionaries(ITEMS, LEVEL, max_size=5), max_size=4
        ),
    },
    optional={"policy": POLICY, "safety": SAFETY},
)
DUMP_OPTIONS = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, None, True]),
        "allow_unicode": st.booleans(),
        "sort_keys": st.booleans(),
        "indent": st.sampled_from([2, 4]),
    }
)


def _expected_levels(document):
    return sorted(
        (location, item, level["active"], {k: v for k, v in level.items() if k != "active"})
        for location, items in document["locations"].items()
        for item, level in items.items()
    )


def _levels(desired):
    return [(lv.location, lv.item, lv.active, dict(lv.quantities)) for lv in desired.levels]


def _document(desired):
    """A manifest document that declares ``desired`` (sources aside)."""
    locations = {location: {} for location in desired.location_sources}
    for level in desired.levels:
        locations[level.location][level.item] = {"active": level.active, **level.quantities}
    safety = desired.safety
    return {
        "apiVersion": "syncer/v1",
        "kind": "InventoryLevels",
        "policy": {
            "unmanaged": desired.policy.unmanaged,
            "tolerance": dict(desired.policy.tolerance),
        },
        "safety": {
            "max_changed_percent": safety.max_changed_percent,
            "max_units_removed": safety.max_units_removed,
            "allow_deactivate_with_stock": safety.allow_deactivate_with_stock,
        },
        "locations": locations,
    }


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT, DUMP_OPTIONS)
@pytest.mark.slow(seconds=2)
def test_a_dumped_document_loads_as_the_state_it_declares(document, options):
    desired = parse_manifest(yaml.safe_dump(document, **options), "gen.yaml")
    assert _levels(desired) == _expected_levels(document)
    policy = document.get("policy", {})
    assert desired.policy == Policy(
        unmanaged=policy.get("unmanaged", "ignore"), tolerance=policy.get("tolerance", {})
    )
    safety = document.get("safety", {})
    assert desired.safety == SafetyLimits(
        max_changed_percent=float(safety.get("max_changed_percent", 30)),
        max_units_removed=safety.get("max_units_removed"),
        allow_deactivate_with_stock=safety.get("allow_deactivate_with_stock", False),
    )
    assert set(desired.location_sources) == set(document["locations"])
    # Loading, dumping and loading again gives the same desired state, sources aside.
    again = parse_manifest(yaml.safe_dump(_document(desired), **options), "gen.yaml")
    assert _levels(again) == _levels(desired)
    assert (again.policy, again.safety) == (desired.policy, desired.safety)
    assert set(again.location_sources) == set(desired.location_sources)


FRAGMENTS = st.sampled_from(
    [
        "apiVersion: syncer/v1\n", "kind: InventoryLevels\n", "locations:\n", "  East:\n",
        "    MUG: ", "{active: true, available: 3}", "active", "available", "on_hand", ": ",
        "\n", "  ", "- ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "!!int ", "!!python/x ",
        "? ", "---\n", "'", '"', "-1", "2.5", "true", "null", "~", "#", "\t", "\x00", "\u00e9",
        "policy: ", "safety: ", "tolerance: ", "gid://shopify/Location/", "x",
    ]
)


@settings(max_examples=300)
@given(st.lists(FRAGMENTS, max_size=40).map("".join) | st.text(max_size=200))
def test_any_text_raises_nothing_but_manifest_error(text):
    try:
        parse_manifest(text, "fuzz.yaml")
    except ManifestError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.source.file == "fuzz.yaml" and problem.message


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_any_bytes_raise_nothing_but_manifest_error(data):
    text, problem = decode_manifest(data, "fuzz.yaml")
    if problem is None:
        try:
            parse_manifest(text, "fuzz.yaml")
        except ManifestError:
            pass


VALUES = st.one_of(
    st.integers(-5, 1_000_000_005), st.booleans(), st.none(), st.floats(allow_nan=False),
    st.text(max_size=3), st.lists(st.integers(), max_size=2),
)
LEVELISH = st.dictionaries(
    st.sampled_from(["active", *ADJUSTABLE, "on_hand", "committed", "x"]), VALUES, max_size=4
) | VALUES


@settings(max_examples=500)
@given(ITEMS | st.text(max_size=30), LEVELISH)
def test_the_fast_level_check_never_accepts_what_the_schema_rejects(item, level):
    if level_ok(item, level):
        assert not list(_validators()[1].iter_errors({item: level}))
