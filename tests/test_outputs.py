"""Issue 20: an output never replaces an input, and is written through to what its path names
(a symlink's target, a FIFO, a device, ``-`` for stdout); manifests are written all or none."""

import json
import os
import stat
import threading
from pathlib import Path

import pytest
import yaml
from helpers import run_cli as run
from helpers import simulated_clock

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
QUANTITIES = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
              "safety_stock")
ROOT = Path(__file__).resolve().parent.parent


def _store(tmp_path: Path, items: int = 3, locations: int = 1) -> Path:
    """A store with ``items`` SKUs at each of ``locations`` (available 10 * item)."""
    levels = [{"id": n * items + i, "item": f"{ITEM}{i}",
               "location": f"{LOC}{n + 1}", "active": True,
               "quantities": dict.fromkeys(QUANTITIES, 0) | {"available": 10 * i}}
              for n in range(locations) for i in range(1, items + 1)]
    state = {"shop": "outputs.myshopify.com",
             "locations": [{"id": f"{LOC}{n + 1}", "name": f"Loc{n + 1}"}
                           for n in range(locations)],
             "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i}"} for i in range(1, items + 1)],
             "levels": levels}
    return simulated_clock(tmp_path / "store.json", state)


def _manifest(tmp_path: Path, available: int = 99) -> Path:
    """A manifest setting SKU-1 at Loc1 to ``available`` (10 in the store: one change)."""
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump({
        "apiVersion": "syncer/v1", "kind": "InventoryLevels",
        "locations": {"Loc1": {"SKU-1": {"active": True, "available": available}}},
    }, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def planned(tmp_path, monkeypatch):
    """A store, a manifest and a saved plan with one change, in the current folder."""
    monkeypatch.chdir(tmp_path)
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    made = run("plan", manifest, "--store", store, "-o", tmp_path / "plan.json")
    assert made.exit_code == 0, made.stderr
    return store, manifest, tmp_path / "plan.json"


# --- --report never replaces an input ---------------------------------------------------------

@pytest.mark.parametrize("target, what", [
    ("plan.json", "the plan"),
    ("plan.json.sent", "the plan's journal"),
    ("store.json", "the store file"),
    ("store-link.json", "the store file"),  # a symlink to it
    ("store.json.lock", "the store's lock file"),
    ("inventory.yaml", "a manifest"),
])
def test_report_at_an_input_of_a_saved_plan_is_refused(planned, tmp_path, target, what):
    store, manifest, plan = planned
    (tmp_path / "store-link.json").symlink_to(store)
    (tmp_path / "plan.json.sent").write_text('{"plan_id": "another plan", "sent": []}\n')
    (tmp_path / "store.json.lock").write_text("")
    files = [store, manifest, plan, tmp_path / "plan.json.sent", tmp_path / "store.json.lock"]
    before = {f: f.read_bytes() for f in files}
    result = run("apply", plan, "--report", target)
    assert result.exit_code == 64, result.stdout + result.stderr
    assert f"--report {target}: is {what}; writing there would replace it" in result.stderr
    assert "give another file name, such as report.json" in result.stderr
    assert {f: f.read_bytes() for f in files} == before  # nothing applied, nothing written
    assert (tmp_path / "store-link.json").is_symlink()


def test_report_at_a_manifest_of_an_apply_from_manifests_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    before = (store.read_bytes(), manifest.read_bytes())
    for args in (["inventory.yaml"], ["."]):  # the manifest named, or found in a folder
        result = run("apply", *args, "--store", store, "--auto-approve", "--report",
                     "inventory.yaml")
        assert result.exit_code == 64, result.stdout + result.stderr
        assert "--report inventory.yaml: is a manifest" in result.stderr
        assert (store.read_bytes(), manifest.read_bytes()) == before


def test_report_of_a_plan_without_changes_is_written(planned, tmp_path):
    store, manifest, plan = planned
    assert run("apply", plan).exit_code == 0
    again = run("plan", manifest, "--store", store, "-o", tmp_path / "again.json")
    assert again.exit_code == 0 and "No changes" in again.stdout + again.stderr
    result = run("apply", tmp_path / "again.json", "--report", tmp_path / "report.json")
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "complete" and report["exit_code"] == 0
    assert report["changes"] == [] and report["steps"] == []
    assert report["plan_id"] == json.loads((tmp_path / "again.json").read_text())["plan_id"]
    assert f"Report written to {tmp_path / 'report.json'}" in result.stderr


def test_adopt_unmanaged_at_the_store_file_is_refused(tmp_path):
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    before = store.read_bytes()
    result = run("drift", manifest, "--store", store, "--write-manifests", "--prune",
                 "--adopt-unmanaged", store)
    assert result.exit_code == 64, result.stdout + result.stderr
    assert f"--adopt-unmanaged {store}: is the store file" in result.stderr
    assert store.read_bytes() == before


# --- written through: symlinks, FIFOs, devices, stdout ----------------------------------------

def test_plan_output_through_a_symlink_writes_its_target(tmp_path):
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    (tmp_path / "plans").mkdir()
    target = tmp_path / "plans" / "real.json"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "plan.json"
    link.symlink_to(Path("plans") / "real.json")
    result = run("plan", manifest, "--store", store, "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(Path("plans") / "real.json")
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file keeps its mode
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.json"]  # no temp file left


def _read_fifo_in_thread(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    chunks: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            chunks.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, chunks


def test_plan_output_at_a_fifo_is_written_in_place(tmp_path):
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    fifo = tmp_path / "plan.pipe"
    os.mkfifo(fifo)
    reader, chunks = _read_fifo_in_thread(fifo)
    result = run("plan", manifest, "--store", store, "-o", fifo)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # before join: a replaced FIFO has no writer
    reader.join()
    assert json.loads(chunks[0])["summary"]["to_adjust"] == 1


def test_report_at_a_symlink_to_a_fifo_is_written_in_place(planned, tmp_path):
    _store_file, _manifest_file, plan = planned
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    (tmp_path / "report.json").symlink_to(fifo)
    reader, chunks = _read_fifo_in_thread(fifo)
    result = run("apply", plan, "--report", tmp_path / "report.json")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "report.json").is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    reader.join()
    assert json.loads(chunks[0])["status"] == "complete"


def test_plan_output_at_a_character_device_leaves_the_device(tmp_path):
    """``plan -o /dev/null`` as root once replaced the null device with a plan file. Tested on
    a null device made in tmp (never the machine's own)."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror}): needs root and CAP_MKNOD")
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    result = run("plan", manifest, "--store", store, "-o", device)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert device.read_bytes() == b""  # still the null device
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yaml", "null", "store.json"]


def test_plan_output_dash_is_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store, manifest = _store(tmp_path), _manifest(tmp_path)
    result = run("plan", manifest, "--store", store, "-o", "-")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)  # only the plan file on stdout
    assert document["summary"]["to_adjust"] == 1 and document["fingerprint"]
    assert "available 10 -> 99" in result.stderr  # the plan shown goes to stderr
    assert "Plan written to standard output" in result.stderr
    assert not (tmp_path / "-").exists()


def test_report_dash_is_stdout(planned, tmp_path):
    _store_file, _manifest_file, plan = planned
    result = run("apply", plan, "--report", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "complete"
    assert "Applied: 0 activated, 1 adjusted" in result.stderr
    assert not (tmp_path / "-").exists()


def test_state_file_through_a_symlink_stays_a_symlink(tmp_path):
    real = _store(tmp_path).rename(tmp_path / "real-store.json")
    real.chmod(0o644)
    store = tmp_path / "store.json"
    store.symlink_to(real.name)
    result = run("apply", _manifest(tmp_path), "--store", store, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert store.is_symlink()
    levels = json.loads(real.read_text(encoding="utf-8"))["levels"]
    assert levels[0]["quantities"]["available"] == 99
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
