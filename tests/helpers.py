"""Test helpers: build DesiredState/LiveState from the compact files of ``tests/cases/``.

``live.json`` describes a store compactly::

    {"locations": {"1": "Warehouse East"},            # id number -> name
     "items": {"101": "TSHIRT-RED-M", "102": null},   # id number -> SKU (or null)
     "levels": {"Warehouse East": {                   # location name or id number
         "TSHIRT-RED-M": {"available": 40},           # SKU, or item id number
         "102": {"active": false, "available": 7, "can_deactivate": false,
                 "alert": "..."}}}}

Levels are active unless ``"active": false``; ``on_hand`` is derived from the other quantities
unless given. Level ids are numbered in file order. An optional ``"discounts"`` maps a code
discount's id number to ``{"code", "title", "status", "startsAt", "endsAt"}``, and a case's
optional ``discounts.yaml`` (a ``kind: DiscountCodes`` manifest) joins ``desired.yaml``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import yaml

from syncer.manifest.load import parse_manifest
from syncer.model import (
    DISCOUNT_GID,
    LOCATION_GID,
    MOVES_ON_HAND,
    DesiredState,
    Item,
    LiveDiscount,
    LiveLevel,
    LiveState,
    Location,
    Money,
    frozen_map,
)

ITEM = "gid://shopify/InventoryItem/"
LEVEL = "gid://shopify/InventoryLevel/"


def live_from_data(data: dict) -> LiveState:
    """A LiveState from the compact ``live.json`` description."""
    locations = [Location(LOCATION_GID + str(n), name) for n, name in data["locations"].items()]
    # an item is its SKU, or {"sku": SKU, "cost": [AMOUNT, CURRENCY]} for one with a unitCost
    items = [Item(ITEM + str(n), sku) if not isinstance(sku, dict) else
             Item(ITEM + str(n), sku["sku"], Money(Decimal(sku["cost"][0]), sku["cost"][1]))
             for n, sku in data["items"].items()]
    loc_ids = {loc.name: loc.id for loc in locations} | {n: LOCATION_GID + n
                                                          for n in data["locations"]}
    by_sku: dict[str, list[str]] = {}
    for item in items:
        if item.sku:
            by_sku.setdefault(item.sku, []).append(item.id)
    levels = []
    counter = 0
    for loc_ref, entries in data.get("levels", {}).items():
        for item_ref, spec in entries.items():
            counter += 1
            if item_ref in data["items"]:
                item_id = ITEM + item_ref
            else:
                (item_id,) = by_sku[item_ref]
            spec = dict(spec)
            active = spec.pop("active", True)
            can = spec.pop("can_deactivate", True)
            alert = spec.pop("alert", None)
            quantities = {k: int(v) for k, v in spec.items()}
            if "on_hand" not in quantities:
                quantities["on_hand"] = sum(quantities.get(k, 0)
                                            for k in (*MOVES_ON_HAND, "committed"))
            number = item_id.rsplit("/", 1)[1]
            levels.append(LiveLevel(
                f"{LEVEL}{counter}?inventory_item_id={number}", loc_ids[loc_ref], item_id,
                active, frozen_map(quantities), can, alert))
    live = LiveState.build(locations, items, levels)
    discounts = {}
    for number, d in data.get("discounts", {}).items():
        found = LiveDiscount(DISCOUNT_GID + number, d["title"], d["status"], d["startsAt"],
                             d["endsAt"])
        discounts[found.id] = discounts[d["code"].casefold()] = found
    return dataclasses.replace(live, discounts=MappingProxyType(discounts)) if discounts else live


def live_from_json(path: Path) -> LiveState:
    return live_from_data(json.loads(Path(path).read_text(encoding="utf-8")))


def desired_from_yaml(path: Path, name: str | None = None) -> DesiredState:
    """A DesiredState from one manifest file, through the real loader; sources name ``name``."""
    path = Path(path)
    return parse_manifest(path.read_text(encoding="utf-8"), name or path.name)


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare ``actual`` with the file at ``path``, or rewrite it with ``--update-golden``."""
    if update:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run pytest --update-golden to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs; run pytest --update-golden and review the diff"


CASES = Path(__file__).resolve().parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "desired.yaml").is_file())


def plan_case(name: str):
    """The plan of ``tests/cases/<name>`` (options from ``options.yaml``) and its live state."""
    from syncer.plan.planner import plan

    case = CASES / name
    options_file = case / "options.yaml"
    extra = case / "discounts.yaml"
    options = {}
    if options_file.exists():
        options = yaml.safe_load(options_file.read_text(encoding="utf-8"))
    live = live_from_json(case / "live.json")
    desired = desired_from_yaml(case / "desired.yaml")
    if extra.exists():
        desired = dataclasses.replace(desired, discounts=desired_from_yaml(extra).discounts)
    return plan(desired, live, prune=options.get("prune", False),
                targets=options.get("targets", ()), excludes=options.get("excludes", ())), live


def run_cli(*args, env=None):
    """``syncer ARGS`` in process with no store from the environment; never a traceback."""
    from click.testing import CliRunner

    from syncer.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args],
                                env={"SYNCER_STORE": "", **(env or {})})
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


def simulated_clock(path: Path, state: dict | None = None) -> Path:
    """Give the emulator state file at ``path`` a simulated clock that starts now (the emulator
    README's ``clock``): the waits of a run against it (an apply's whole-second start, pacing,
    retry backoff, latency faults) advance the file's clock instead of taking real time. It
    starts at the real time so dates relative to today (discount schedules) mean the same.
    With ``state``, writes that state (with the clock) to ``path``."""
    from datetime import UTC, datetime

    data = dict(state) if state is not None else json.loads(path.read_text(encoding="utf-8"))
    data["clock"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- the engine's workflows, as tests call them most ------------------------------------------

def engine_plan(paths, store, out=None, **selection):
    """``syncer plan`` of one store through the engine: its ``PlanResult`` (its error raised)."""
    from syncer import engine

    outcome = engine.plan(engine.PlanRequest(
        tuple(str(p) for p in paths), engine.StoreFlags(store=str(store)),
        engine.Selection(**selection), None if out is None else str(out))).single
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


def engine_drift(paths, store, **selection):
    """``syncer drift`` of one store through the engine: its ``PlanResult`` (error raised)."""
    from syncer import engine

    outcome = engine.drift(engine.DriftRequest(
        tuple(str(p) for p in paths), engine.StoreFlags(store=str(store)),
        engine.Selection(**selection))).single
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


def engine_apply(plan_file, *, force=False, rebase=False, report_path=None, store=None):
    """``syncer apply PLAN`` through the engine: its ``ApplyReport`` (None: nothing to apply)."""
    from syncer import engine

    return engine.apply(engine.ApplyRequest(
        (str(plan_file),), engine.StoreFlags(store=store), force=force, rebase=rebase,
        report_path=None if report_path is None else str(report_path))).report


class TransportWrapper:
    """A transport that passes every member of ``Transport`` on to ``inner``; a test overrides
    ``execute`` to lose, refuse or rewrite requests."""

    def __init__(self, inner):
        self.inner = inner

    calls = property(lambda self: self.inner.calls)
    cost_points = property(lambda self: self.inner.cost_points)
    last_resent = property(lambda self: self.inner.last_resent)

    def execute(self, document, variables=None):
        return self.inner.execute(document, variables)

    def expect_cost(self, document, points):
        self.inner.expect_cost(document, points)

    def wait(self, seconds):
        self.inner.wait(seconds)


def pip_for(python: str | Path) -> list[str]:
    """pip, installing into ``python``'s environment (the test venv may have no pip of its own:
    CI makes it with --without-pip and installs with the base interpreter's pip --python)."""
    runner = sys.executable if importlib.util.find_spec("pip") else str(
        Path(sys.base_prefix) / "bin" / "python3")
    return [runner, "-m", "pip", "--python", str(python)]
