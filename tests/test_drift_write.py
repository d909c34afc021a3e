"""syncer drift --write-manifests: adopt drifted live values, change nothing else."""

import difflib
import shutil
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import simulated_clock

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
        "+    MUG-OLD: {active: true}" + MUG_COMMENT,
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


# --- what the write-back accepts and how it writes (issue 20) ---------------------------------

HEADER = "apiVersion: syncer/v1\nkind: InventoryLevels\nlocations:\n  Warehouse East:\n"


def write_store(path: Path, levels: dict[str, int | None], location: str = "Warehouse East"
                ) -> Path:
    """A store with one location holding ``levels`` (SKU -> available), all active; an item
    whose available is None exists but is not stocked there."""
    items = [{"id": f"gid://shopify/InventoryItem/{n}", "sku": sku}
             for n, sku in enumerate(levels, 1)]
    state = {"shop": "drift.myshopify.com",
             "locations": [{"id": "gid://shopify/Location/1", "name": location}],
             "items": items,
             "levels": [{"id": n, "item": item["id"], "location": "gid://shopify/Location/1",
                         "active": True, "quantities": {"available": levels[item["sku"]]}}
                        for n, item in enumerate(items, 1) if levels[item["sku"]] is not None]}
    return simulated_clock(path, state)


def drift_write(tmp_path: Path, manifest: str, levels: dict[str, int], location=None,
                newline=None):
    """Write ``manifest``, drift it against a store of ``levels`` with --write-manifests; the
    text written (read without translating line endings) and the CLI result."""
    path = tmp_path / "inventory.yaml"
    path.write_bytes(manifest.encode("utf-8"))
    store = write_store(tmp_path / "store.json", levels, *([location] if location else []))
    result = run("drift", path, "--store", store, "--write-manifests")
    return path.read_bytes().decode("utf-8"), result, store


def plans_nothing(path: Path, store: Path) -> bool:
    result = run("plan", path, "--store", store, "--detailed-exitcode")
    return result.exit_code == 0


def test_an_aliased_level_is_written_out_and_the_anchor_stays(tmp_path):
    manifest = HEADER + ("    A: &a {active: true, available: 10}   # the template\n"
                         "    B: *a\n")
    after, result, store = drift_write(tmp_path, manifest, {"A": 10, "B": 7})
    assert result.exit_code == 2, result.output
    assert after == HEADER + ("    A: &a {active: true, available: 10}   # the template\n"
                              "    B: {active: true, available: 7}\n")
    assert plans_nothing(tmp_path / "inventory.yaml", store)


def test_a_drifted_anchor_keeps_its_aliases_at_their_values(tmp_path):
    manifest = HEADER + ("    A: &a {active: true, available: 10}\n"
                         "    B: *a\n"
                         "    C: {<<: *a}\n")
    after, result, store = drift_write(tmp_path, manifest, {"A": 4, "B": 10, "C": 10})
    assert result.exit_code == 2, result.output
    assert after == HEADER + ("    A: &a {active: true, available: 4}\n"
                              "    B: {active: true, available: 10}\n"
                              "    C: {<<: *a, available: 10}\n")
    assert plans_nothing(tmp_path / "inventory.yaml", store)


def test_a_merged_value_is_overridden_in_the_level_s_own_mapping(tmp_path):
    manifest = HEADER + ("    A: &a {active: true, available: 10}\n"
                         "    B: {<<: *a, damaged: 0}\n"
                         "    C:\n"
                         "      <<: *a\n"
                         "      damaged: 0   # block style\n")
    after, result, store = drift_write(tmp_path, manifest, {"A": 10, "B": 3, "C": 5})
    assert result.exit_code == 2, result.output
    assert after == HEADER + ("    A: &a {active: true, available: 10}\n"
                              "    B: {<<: *a, damaged: 0, available: 3}\n"
                              "    C:\n"
                              "      <<: *a\n"
                              "      damaged: 0   # block style\n"
                              "      available: 5\n")
    assert plans_nothing(tmp_path / "inventory.yaml", store)


AWKWARD = {"0123": 1, "true": 2, "~": 3, "1e3": 4, "2024-01-01": 5, "null": 6, "1_000": 7}


def test_whatever_validate_accepts_is_written_back(tmp_path):
    lines = [f"    {sku}: {{active: true,\tavailable: {n}}}\n" for sku, n in AWKWARD.items()]
    lines[0] = "    0123: {active: True, available: 010}  # decimal, as YAML 1.2 reads it\n"
    manifest = HEADER + "".join(lines)
    path = tmp_path / "inventory.yaml"
    path.write_text(manifest, encoding="utf-8")
    assert run("validate", path).exit_code == 0
    live = {sku: n + 100 if sku in ("~", "2024-01-01") else n for sku, n in AWKWARD.items()}
    live["0123"] = 10
    after, result, store = drift_write(tmp_path, manifest, live)
    assert result.exit_code == 2, result.output
    assert changed_lines(manifest, after) == [
        "+    2024-01-01: {active: true,\tavailable: 105}",
        "+    ~: {active: true,\tavailable: 103}",
        "-    2024-01-01: {active: true,\tavailable: 5}",
        "-    ~: {active: true,\tavailable: 3}",
    ]
    assert plans_nothing(path, store)


CRLF = ("# yaml-language-server: $schema=../schemas/manifest.schema.json\r\n"
        "# the east warehouse\r\n"
        "---\r\n"
        "apiVersion: syncer/v1\r\n"
        "kind: InventoryLevels\r\n"
        "locations:\r\n"
        "  Warehouse East:\r\n"
        "    A: {active: true, available: 10}\r\n"
        "    # B is not in the store\r\n"
        "    B: {active: true, available: 5}   # gone\r\n"
        "    C:\r\n"
        "      active: true\r\n"
        "      available: 8\r\n"
        "    D:   {active: true, available: 1}\r\n")


def test_write_back_keeps_line_endings_comments_and_document_start(tmp_path):
    after, result, _ = drift_write(tmp_path, CRLF, {"A": 10, "B": None, "C": 9, "D": 1})
    assert result.exit_code == 2, result.output
    assert "adopted 1 live value, removed 1 level" in result.stderr
    # only the changed lines differ: B's line goes, C's available changes; all else byte-identical
    assert after == CRLF.replace("    B: {active: true, available: 5}   # gone\r\n", "").replace(
        "      available: 8\r\n", "      available: 9\r\n")


def test_removing_every_level_of_a_location_leaves_it_declared_empty(tmp_path):
    manifest = HEADER + "    B: {active: true}\n  Retail Soho: {}\n"
    after, result, store = drift_write(tmp_path, manifest, {"A": 1, "B": None})
    assert result.exit_code == 2, result.output
    assert after == HEADER.replace("East:\n", "East: {}\n") + "  Retail Soho: {}\n"


def test_levels_typed_in_nfd_are_written_back(tmp_path):
    nfd, nfc = "Store Ko\u0308ln", "Store K\u00f6ln"
    manifest = HEADER.replace("Warehouse East", nfd)
    manifest += "    CAFE\u0301-1: {active: true, available: 2}\n"
    after, result, store = drift_write(tmp_path, manifest, {"CAF\u00c9-1": 6}, location=nfc)
    assert result.exit_code == 2, result.output
    assert "adopted 1 live value" in result.stderr
    assert after == manifest.replace("available: 2", "available: 6")
    assert plans_nothing(tmp_path / "inventory.yaml", store)


def test_an_oversold_level_is_written_back_negative(tmp_path):
    manifest = HEADER + "    A: {active: true, available: 2}\n"
    after, result, store = drift_write(tmp_path, manifest, {"A": -3})
    assert result.exit_code == 2, result.output
    assert after == manifest.replace("available: 2", "available: -3")
    assert run("validate", tmp_path / "inventory.yaml").exit_code == 0
    assert plans_nothing(tmp_path / "inventory.yaml", store)


def test_edit_manifest_refuses_a_level_that_only_a_location_alias_declares():
    text = HEADER + "    A: {active: true}\n  West: *e\n"
    text = text.replace("  Warehouse East:\n", "  Warehouse East: &e\n")
    with pytest.raises(ManifestError, match=r"m.yaml: cannot edit: location West is an alias"):
        edit_manifest(text, [ValueEdit("West", "A", "active", False)], file="m.yaml")


def test_removing_a_level_whose_anchor_others_use_writes_them_out():
    text = HEADER + ("    A: &a {active: true, available: &n 5}\n"
                     "    B: *a\n"
                     "    C: {<<: *a, damaged: 1}\n"
                     "    D: {active: true, available: *n}\n")
    assert edit_manifest(text, remove=[("Warehouse East", "A")]) == HEADER + (
        "    B: {active: true, available: 5}\n"
        "    C: {active: true, available: 5, damaged: 1}\n"
        "    D: {active: true, available: 5}\n")
