"""syncer drift --write-manifests: adopt drifted live values, change nothing else."""

import difflib
import shutil
from pathlib import Path

import pytest
from helpers import run_cli as run

from syncer.errors import ManifestError
from syncer.manifest.edit import LevelAdd, ValueEdit, edit_manifest

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"


@pytest.fixture
def repo(tmp_path):
    for name in ("inventory.yaml", "store.json"):
        shutil.copy(QUICKSTART / name, tmp_path / name)
    return tmp_path


def changed_lines(before: str, after: str) -> list[str]:
    return sorted(line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                   lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---")))


MUG_COMMENT = "                  # deactivated; Shopify keeps its quantities"


def test_write_manifests_adopts_live_values(repo):
    manifest = repo / "inventory.yaml"
    before = manifest.read_text(encoding="utf-8")
    result = run("drift", manifest, "--store", repo / "store.json", "--write-manifests")
    assert result.exit_code == 2  # drift is still reported, so a CI job knows to open a PR
    assert "adopted 5 live values, removed 1 level the store" in result.stderr
    after = manifest.read_text(encoding="utf-8")
    assert changed_lines(before, after) == sorted([
        "-    TSHIRT-RED-M: {active: true, available: 52, damaged: 0}",
        "-    TSHIRT-RED-XL: {active: true, available: 25}",
        "-    MUG-OLD: {active: false}" + MUG_COMMENT,
        "-    CAP-BLUE: {active: true, available: 10}",
        "+    TSHIRT-RED-M: {active: true, available: 40, damaged: 2}",
        "+    MUG-OLD: {active: true} " + MUG_COMMENT,
        "+    CAP-BLUE: {active: false, available: 7}",
    ])
    assert run("plan", manifest, "--store", repo / "store.json", "--detailed-exitcode"
               ).exit_code == 0
    again = run("drift", manifest, "--store", repo / "store.json", "--write-manifests")
    assert again.exit_code == 0
    assert manifest.read_text(encoding="utf-8") == after


HAND_WRITTEN = """\
# a comment on top
apiVersion: 'syncer/v1'
kind: "InventoryLevels"
policy:
    tolerance: {available: 2}   # sales move available
locations:
    "Warehouse East":
        # the red shirts
        TSHIRT-RED-M: { active: true,  available: 52 ,damaged: 0 }   # M
        TSHIRT-RED-L:
            active: true
            available: 12        # block style
        "MUG-OLD": {active: false}
        CAP-BLUE: {active: true, available: 8}
"""


def test_only_drifted_values_change_in_odd_formatting(repo):
    manifest = repo / "inventory.yaml"
    manifest.write_text(HAND_WRITTEN, encoding="utf-8")
    # live: M available 40 (drift 12 > 2), damaged 2; L 12 (no drift); MUG-OLD active;
    # CAP-BLUE inactive holding 7 (8 is within the tolerance, but reactivation takes none)
    result = run("drift", manifest, "--store", repo / "store.json", "--write-manifests")
    assert result.exit_code == 2, result.output
    after = manifest.read_text(encoding="utf-8")
    assert changed_lines(HAND_WRITTEN, after) == sorted([
        "-        TSHIRT-RED-M: { active: true,  available: 52 ,damaged: 0 }   # M",
        "-        \"MUG-OLD\": {active: false}",
        "-        CAP-BLUE: {active: true, available: 8}",
        "+        TSHIRT-RED-M: { active: true,  available: 40 ,damaged: 2 }   # M",
        "+        \"MUG-OLD\": {active: true}",
        "+        CAP-BLUE: {active: false, available: 7}",
    ])
    assert run("plan", manifest, "--store", repo / "store.json", "--detailed-exitcode"
               ).exit_code == 0


def test_unmanaged_levels_are_listed_or_adopted(repo):
    manifest = repo / "inventory.yaml"
    run("drift", manifest, "--store", repo / "store.json", "--write-manifests")
    text = manifest.read_text(encoding="utf-8")
    lines = [line if not line.startswith("    MUG-OLD:") else "    # MUG-OLD is gone"
             for line in text.splitlines()]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    listed = run("drift", manifest, "--store", repo / "store.json", "--prune",
                 "--write-manifests")
    assert listed.exit_code == 2
    assert "not written (unmanaged): Warehouse East / MUG-OLD" in listed.stderr
    assert "    # MUG-OLD is gone" in manifest.read_text(encoding="utf-8")
    assert not (repo / "adopted.yaml").exists()

    adopted = run("drift", manifest, "--store", repo / "store.json", "--prune",
                  "--write-manifests", "--adopt-unmanaged", repo / "adopted.yaml")
    assert adopted.exit_code == 2
    assert "added 1 unmanaged level" in adopted.stderr
    assert "Warehouse East:\n    MUG-OLD: {active: true, available: 0}\n" in (
        repo / "adopted.yaml").read_text(encoding="utf-8")
    assert run("validate", repo).exit_code == 0
    assert run("plan", manifest, repo / "adopted.yaml", "--store", repo / "store.json",
               "--prune", "--detailed-exitcode").exit_code == 0


def test_adopt_unmanaged_needs_write_manifests(repo):
    result = run("drift", repo / "inventory.yaml", "--store", repo / "store.json",
                 "--adopt-unmanaged", repo / "x.yaml")
    assert result.exit_code == 64
    assert "--adopt-unmanaged needs --write-manifests" in result.stderr


def test_edit_manifest_adds_under_an_existing_location_and_quotes_keys():
    text = "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  East:\n" \
           "    A: {active: true}  # keep\n"
    out = edit_manifest(text, add=[LevelAdd("East", "0123", {"active": True, "available": 3})])
    assert out == text + '    "0123": {active: true, available: 3}\n'


def test_edit_manifest_names_a_missing_level():
    text = "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  East: {}\n"
    with pytest.raises(ManifestError, match=r"m.yaml: cannot edit: East / A is not a level"):
        edit_manifest(text, [ValueEdit("East", "A", "available", 1)], file="m.yaml")
