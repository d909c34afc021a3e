"""Properties of ``plan``: deterministic, convergent (apply then re-plan is empty), no 0 delta."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncer.errors import Source
from syncer.model import (
    MOVES_ON_HAND,
    DesiredLevel,
    DesiredState,
    Item,
    LiveLevel,
    LiveState,
    Location,
    Policy,
    frozen_map,
)
from syncer.plan.changes import Activate, Adjust, Deactivate
from syncer.plan.planner import plan

LOCATIONS = [Location(f"gid://shopify/Location/{n}", name)
             for n, name in ((1, "East"), (2, "West"), (3, "Soho"))]
ITEMS = [Item(f"gid://shopify/InventoryItem/{n}", sku)
         for n, sku in ((1, "A"), (2, "B"), (3, "C"), (4, None), (5, "E"))]
NAMES = ("available", "damaged", "safety_stock")
small = st.integers(0, 6)


@st.composite
def scenarios(draw):
    live_levels = []
    n = 0
    for loc in LOCATIONS:
        for item in ITEMS:
            if draw(st.booleans()):
                n += 1
                q = {name: draw(small) for name in draw(st.sets(st.sampled_from(NAMES)))}
                q["committed"] = draw(st.integers(0, 2))
                q["on_hand"] = sum(v for k, v in q.items() if k != "on_hand")
                live_levels.append(LiveLevel(
                    f"gid://shopify/InventoryLevel/{n}?inventory_item_id={item.id[-1]}",
                    loc.id, item.id, draw(st.booleans()), frozen_map(q),
                    draw(st.sampled_from([True, True, True, False])),
                    draw(st.sampled_from([None, "Shopify says careful"]))))
    desired = []
    for loc in draw(st.sets(st.sampled_from(LOCATIONS), min_size=1)):
        for item in ITEMS:
            if draw(st.booleans()):
                ref = item.sku if item.sku and draw(st.booleans()) else item.id
                loc_ref = loc.name if draw(st.booleans()) else loc.id
                q = {name: draw(small) for name in draw(st.sets(st.sampled_from(NAMES)))}
                desired.append(DesiredLevel(loc_ref, ref, draw(st.booleans()), frozen_map(q),
                                            Source("m.yaml", len(desired) + 1, 5)))
    policy = Policy(draw(st.sampled_from(["ignore", "deactivate"])),
                    frozen_map({"available": draw(st.integers(0, 2))}))
    return live_levels, desired, policy, draw(st.booleans())


def _state(live_levels, desired, policy):
    live = LiveState.build(LOCATIONS, ITEMS, live_levels)
    return DesiredState(tuple(desired), policy), live


def simulate(live: LiveState, changes) -> LiveState:
    """Apply changes as the 2026-04 store would, checking every CAS value."""
    levels = dict(live.levels)
    for c in changes:
        key = c.level.key
        lv = levels.get(key)
        if isinstance(c, Activate):
            if lv is None:
                levels[key] = LiveLevel(f"new-{key}", *key, True, frozen_map({"available": 0}))
            else:
                assert not lv.active and c.reactivation
                levels[key] = replace(lv, active=True)
        elif isinstance(c, Adjust):
            q = dict(lv.quantities)
            assert q.get(c.quantity, 0) == c.before, "CAS would fail"
            q[c.quantity] = c.after
            if c.quantity in MOVES_ON_HAND:
                q["on_hand"] = q.get("on_hand", 0) + c.delta
            assert lv.active != c.inactive
            levels[key] = replace(lv, quantities=frozen_map(q))
        else:
            assert isinstance(c, Deactivate) and lv.active and lv.can_deactivate
            levels[key] = replace(lv, active=False)
    return LiveState.build(LOCATIONS, ITEMS, list(levels.values()))


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
@pytest.mark.slow(seconds=1.5)
def test_plan_is_deterministic_whatever_the_input_order(scenario, rnd):
    live_levels, desired, policy, prune = scenario
    d1, l1 = _state(live_levels, desired, policy)
    shuffled_live, shuffled_desired = list(live_levels), list(desired)
    rnd.shuffle(shuffled_live)
    rnd.shuffle(shuffled_desired)
    d2, l2 = _state(shuffled_live, shuffled_desired, policy)
    a, b = plan(d1, l1, prune=prune), plan(d2, l2, prune=prune)
    assert a.fingerprint == b.fingerprint
    assert a.to_dict() == b.to_dict()


@settings(max_examples=150, deadline=None)
@given(scenarios())
@pytest.mark.slow(seconds=2)
def test_applying_the_plan_converges(scenario):
    live_levels, desired, policy, prune = scenario
    d, live = _state(live_levels, desired, policy)
    first = plan(d, live, prune=prune)
    assert all(c.delta != 0 for c in first.changes if isinstance(c, Adjust))
    again = plan(d, simulate(live, first.changes), prune=prune)
    assert again.changes == ()
    assert [e.code for e in again.errors] == [e.code for e in first.errors]
