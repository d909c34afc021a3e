"""What changed since review: a conflicting apply shows the reviewed plan beside a fresh one."""

import json
import shutil
from pathlib import Path

import pytest
from helpers import run_cli as run

from syncer.engine.review import compare_plans, render_since_review
from syncer.plan.changes import Activate, Adjust, LevelRef, Plan

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


def sell(store: Path, item: str, units: int) -> None:
    """A sale at Warehouse East after the plan was made (on_hand is derived)."""
    state = json.loads(store.read_text(encoding="utf-8"))
    for level in state["levels"]:
        if level["item"] == item and level["location"] == "gid://shopify/Location/1":
            level["quantities"]["available"] -= units
    store.write_text(json.dumps(state), encoding="utf-8")


def test_conflicting_apply_shows_what_changed_since_review(tmp_path, monkeypatch):
    for name in ("inventory.yaml", "store.json"):
        shutil.copy(QUICKSTART / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert run("plan", "inventory.yaml", "--store", "store.json", "-o", "plan.json").exit_code == 0
    sell(tmp_path / "store.json", "gid://shopify/InventoryItem/1", 3)  # TSHIRT-RED-M 40 -> 37
    result = run("apply", "plan.json")
    assert result.exit_code == 4, result.output
    out = result.stdout
    assert "What changed since review (reviewed plan " in out
    lines = out.split("What changed since review")[1].splitlines()
    assert lines[1].split() == ["Warehouse", "East", "/", "TSHIRT-RED-M", "reviewed:",
                                "available", "40", "->", "52", "(+12)"]
    assert lines[2].split() == ["now:", "available", "37", "->", "52", "(+15)"]
    # the levels the apply changed before it stopped are not news
    assert "CAP-BLUE" not in out.split("What changed since review")[1]
    assert "1 level differs" in out and "--rebase" in out
    # docs/ci.md shows this very output
    page = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    shown = page.split("What changed since review (reviewed plan ")[1].split("```")[0]
    assert shown.splitlines()[1:] == out.split("What changed since review")[1].splitlines()[1:]


def ref(sku: str) -> LevelRef:
    return LevelRef("East", sku, "gid://shopify/Location/1", f"gid://shopify/InventoryItem/{sku}")


def test_compare_plans_level_by_level():
    reviewed = Plan((Adjust(ref("1"), "available", 5, 9), Adjust(ref("2"), "available", 1, 2),
                     Activate(ref("3"))))
    fresh = Plan((Adjust(ref("1"), "available", 4, 9), Adjust(ref("2"), "available", 1, 2),
                  Adjust(ref("4"), "damaged", 0, 1)))
    differences = compare_plans(reviewed, fresh)
    assert [(d.level, d.reviewed, d.fresh) for d in differences] == [
        ("East / 1", "available 5 -> 9 (+4)", "available 4 -> 9 (+5)"),
        ("East / 3", "activate", "no change"),
        ("East / 4", "no change", "damaged 0 -> 1 (+1)"),
    ]
    assert compare_plans(reviewed, fresh, landed=[Activate(ref("3"))])[1].level == "East / 4"
    assert "manifests are not here" in render_since_review(None, "p")
    assert "same changes" in render_since_review([], "p")


@pytest.mark.parametrize("overlap", range(0, 13))
def test_compare_plans_at_every_overlap(overlap):
    """Issue 21: with deepdiff's default threshold, once under a third of the levels of the two
    plans were the same levels, the whole comparison became one change of the root and no level
    was named ("a fresh plan has the same changes" after a conflict and sales elsewhere). Of 12
    reviewed levels, the fresh plan has ``overlap`` (the first moved by a sale), and levels of
    its own for the rest: every difference is named, with what moved from what to what."""
    levels = 12
    reviewed = Plan(tuple(Adjust(ref(str(i)), "available", 10, 20) for i in range(levels)))
    fresh = Plan(tuple(Adjust(ref(str(i)), "available", 8 if i == 0 else 10, 20)
                       for i in range(overlap))
                 + tuple(Adjust(ref(f"n{i}"), "damaged", 1, 0) for i in range(levels - overlap)))
    differences = {d.level: (d.reviewed, d.fresh) for d in compare_plans(reviewed, fresh)}
    expected = {f"East / {i}": ("available 10 -> 20 (+10)", "no change")
                for i in range(overlap, levels)}
    expected.update({f"East / n{i}": ("no change", "damaged 1 -> 0 (-1)")
                     for i in range(levels - overlap)})
    if overlap:
        expected["East / 0"] = ("available 10 -> 20 (+10)", "available 8 -> 20 (+12)")
    assert differences == expected


def test_compare_plans_with_nothing_in_common_names_every_level():
    reviewed = Plan(tuple(Adjust(ref(str(i)), "available", 1, 2) for i in range(5)))
    fresh = Plan(tuple(Adjust(ref(f"x{i}"), "available", 1, 2) for i in range(5)))
    assert len(compare_plans(reviewed, fresh)) == 10
