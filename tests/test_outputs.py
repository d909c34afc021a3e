"""Issue 20: an output never replaces an input, and is written through to what its path names
(a symlink's target, a FIFO, a device, ``-`` for stdout); manifests are written all or none."""

import errno
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from helpers import run_cli as run
from helpers import simulated_clock

from syncer.errors import SyncerError

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
    ("store.json", "the store file"),
    ("store-link.json", "the store file"),  # a symlink to it
    ("store.json.lock", "the store's lock file"),
    ("inventory.yaml", "a manifest"),
])
def test_report_at_an_input_of_a_saved_plan_is_refused(planned, tmp_path, target, what):
    store, manifest, plan = planned
    (tmp_path / "store-link.json").symlink_to(store)
    (tmp_path / "store.json.lock").write_text("")
    files = [store, manifest, plan, tmp_path / "store.json.lock"]
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


def test_import_never_replaces_the_store_file(tmp_path):
    """``import --force`` replaces manifests, not the store file that has a manifest's name."""
    store = tmp_path / "loc1.yaml"
    _store(tmp_path).rename(store)
    before = store.read_bytes()
    result = run("import", "-o", tmp_path, "--store", store, "--force")
    assert result.exit_code == 64, result.stdout + result.stderr
    assert f"-o {store}: is the store file; writing there would replace it; import into " \
           "another folder" in result.stderr
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


# --- manifests: each atomic, all or none ------------------------------------------------------

def _drifted_manifests(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    """Two locations' manifests imported from a store, then every level sold down by 1 live:
    Loc1.yaml is small (2 levels), Loc2.yaml large (300 levels)."""
    store = _store(tmp_path, items=300, locations=2)
    state = json.loads(store.read_text(encoding="utf-8"))
    state["levels"] = [lv for lv in state["levels"]
                       if lv["location"] == f"{LOC}2" or lv["item"] in (f"{ITEM}1", f"{ITEM}2")]
    simulated_clock(store, state)
    out = tmp_path / "manifests"
    assert run("import", "-o", out, "--store", store).exit_code == 0
    for level in state["levels"]:
        level["quantities"]["available"] -= 1
    store.write_text(json.dumps(state), encoding="utf-8")
    return store, out, sorted(p for p in out.glob("*.yaml") if p.name != "syncer.yaml")


def _under_file_size_limit(limit: int, *args) -> subprocess.CompletedProcess:
    """``syncer ARGS`` in a process whose writes fail past ``limit`` bytes of a file (EFBIG), as
    they fail on a full disk: the kernel stops the write part way."""

    def limit_writes() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "syncer", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, preexec_fn=limit_writes,
                          env={**os.environ, "SYNCER_STORE": ""}, check=False)


def test_drift_write_back_is_all_or_none_when_a_write_fails_part_way(tmp_path):
    store, _out, (small, large) = _drifted_manifests(tmp_path)
    before = {small: small.read_bytes(), large: large.read_bytes()}
    limit = len(before[large]) // 2  # the small file fits, the large one is cut at half
    assert len(before[small]) < limit
    # --read paged: the emulator's bulk query writes its result file, which the limit stops
    result = _under_file_size_limit(limit, "drift", small, large, "--store", store,
                                    "--write-manifests", "--read", "paged")
    assert result.returncode == 1, result.stdout + result.stderr
    assert {small: small.read_bytes(), large: large.read_bytes()} == before
    assert f"cannot write {large}: File too large; no file was changed" in result.stderr
    assert "Traceback" not in result.stderr and "Wrote" not in result.stderr
    assert sorted(p.name for p in large.parent.iterdir()) == sorted(
        [small.name, large.name, "manifest.schema.json", "syncer.yaml"])
    # and without the limit both are written, and said
    written = run("drift", small, large, "--store", store, "--write-manifests")
    assert f"Wrote {small}\nWrote {large}\n" in written.stderr
    assert small.read_bytes() != before[small] and large.read_bytes() != before[large]


def test_import_force_is_all_or_none_when_a_write_fails_part_way(tmp_path):
    store, out, (small, large) = _drifted_manifests(tmp_path)
    before = {small: small.read_bytes(), large: large.read_bytes()}
    result = _under_file_size_limit(len(before[large]) // 2, "import", "-o", out, "--store",
                                    store, "--force")
    assert result.returncode == 1, result.stdout + result.stderr
    assert {small: small.read_bytes(), large: large.read_bytes()} == before
    assert f"cannot write {large}: File too large; no file was changed" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [small.name, large.name, "manifest.schema.json", "syncer.yaml"])


def test_a_full_disk_on_the_second_file_changes_no_file(tmp_path, monkeypatch):
    """ENOSPC from the kernel's write(2) on the second file's data (as the disk filled)."""
    from syncer import outputs

    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("a: 1\n")
    second.write_text("b: 1\n" * 1000)
    real_write = os.write
    calls = []

    def write(fd, data):
        name = os.readlink(f"/proc/self/fd/{fd}")
        calls.append(name)
        if Path(name).name.startswith(".b.yaml."):
            real_write(fd, bytes(data[:100]))  # part of it, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(outputs.os, "write", write)
    with pytest.raises(SyncerError) as caught:
        outputs.write_all_or_none([(first, "a: 2\n"), (second, "b: 2\n" * 1000)])
    assert str(caught.value) == (f"cannot write {second}: No space left on device; no file was "
                                 "changed")
    assert len(calls) == 2  # both files' data went to write(2)
    assert first.read_text() == "a: 1\n" and second.read_text() == "b: 1\n" * 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]
