"""Limits that catch a typo (issue 24): with the defaults, 520 typed for 52 makes a plan unsafe;
the new limits of ``safety:`` are checked, saved with a plan and validated at file:line:column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from syncer.cli import cli
from syncer.model import SafetyLimits
from syncer.plan.document import _limits_dict, _limits_from

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


def plan(tmp_path, levels: str, safety: str = "", *args):
    shutil.copy(QUICKSTART / "store.json", tmp_path / "store.json")
    manifest = tmp_path / "inventory.yaml"
    manifest.write_text("apiVersion: syncer/v1\nkind: InventoryLevels\n" + safety
                        + "locations:\n  Warehouse East:\n" + levels, encoding="utf-8")
    return CliRunner().invoke(cli, ["plan", str(manifest), "--store", str(tmp_path / "store.json"),
                                    "--detailed-exitcode", *args], env={"SYNCER_STORE": ""})


def test_a_typo_is_unsafe_with_the_default_limits(tmp_path):
    # the quickstart store holds TSHIRT-RED-M available 40: 400 is a key pressed once more
    typo = plan(tmp_path, "    TSHIRT-RED-M: {active: true, available: 400, damaged: 2}\n")
    assert typo.exit_code == 3, typo.output
    assert ("available 40 -> 400 (+360): 900% of the live value, at or over the 900% limit "
            "(a typo? 400 for 40)") in typo.stdout
    fine = plan(tmp_path, "    TSHIRT-RED-M: {active: true, available: 52, damaged: 2}\n")
    assert fine.exit_code == 2, fine.output  # changes, and safe
    off = plan(tmp_path, "    TSHIRT-RED-M: {active: true, available: 400, damaged: 2}\n",
               "safety: {max_level_change_percent: null}\n")
    assert off.exit_code == 2, off.output


def test_a_bad_protected_selector_is_refused_at_its_line(tmp_path):
    result = plan(tmp_path, "    TSHIRT-RED-M: {active: true}\n",
                  "safety:\n  protected: ['color=red']\n")
    assert result.exit_code == 1
    assert "inventory.yaml:4:" in result.stderr and "protected" in result.stderr
    assert "Traceback" not in result.output


def test_the_new_limits_travel_with_a_saved_plan(tmp_path):
    limits = SafetyLimits(max_units_added=10, max_level_change=5, max_level_change_percent=50,
                          level_change_floor=1, protected=("sku=GIFT-*",))
    assert _limits_from(json.loads(json.dumps(_limits_dict(limits)))) == limits
    # a plan saved before these limits existed gets their defaults
    old = {"max_changed_percent": 30.0, "min_levels_for_percent": 10,
           "max_units_removed": None, "allow_deactivate_with_stock": False}
    assert _limits_from(old) == SafetyLimits()
    saved = plan(tmp_path, "    TSHIRT-RED-M: {active: true, available: 41, damaged: 2}\n",
                 "safety: {protected: ['sku=MUG-*'], max_units_added: 7}\n", "-o",
                 str(tmp_path / "plan.json"))
    assert saved.exit_code == 2, saved.output
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document["safety"]["protected"] == ["sku=MUG-*"]
    assert document["safety"]["max_units_added"] == 7
