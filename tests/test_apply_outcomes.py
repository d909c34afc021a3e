"""Issue 12, the apply side: what a run reports for every change, and when it is a replay."""

import json
import threading
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import simulated_clock

from syncer import engine
from syncer.apply.applier import Applier, ApplyOptions
from syncer.cli import cli
from syncer.emulator import Emulator, VirtualClock, serve
from syncer.engine.connect import Connection
from syncer.errors import EXIT_CONFLICT, EXIT_PARTIAL
from syncer.plan.document import load_plan_document, read_plan_file
from syncer.shopify.local_transport import LocalTransport

LOC = "gid://shopify/Location/"
ITEM = "gid://shopify/InventoryItem/"
QUANTITIES = ("available", "committed", "damaged", "incoming", "quality_control", "reserved",
              "safety_stock")


def _state(items=4):
    levels = []
    for i in range(1, items + 1):
        q = dict.fromkeys(QUANTITIES, 0) | {"available": 10 * i}
        levels.append({"id": i, "item": f"{ITEM}{i}", "location": f"{LOC}1", "active": True,
                       "quantities": q})
    return {"shop": "outcomes.myshopify.com",
            "throttle": {"maximumAvailable": 2000, "restoreRate": 100},
            "locations": [{"id": f"{LOC}1", "name": "East"}, {"id": f"{LOC}2", "name": "West"}],
            "items": [{"id": f"{ITEM}{i}", "sku": f"SKU-{i}"} for i in range(1, items + 1)],
            "levels": levels}


def _manifest(tmp_path, east, west=None):
    data = {"apiVersion": "syncer/v1", "kind": "InventoryLevels",
            "safety": {"max_changed_percent": 100},
            "locations": {"East": east, **({"West": west} if west else {})}}
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _virtual(emulator: Emulator) -> Connection:
    clock = emulator.clock
    transport = LocalTransport(emulator.handle, token=emulator.store.access_token,
                               sleep=clock.sleep, clock=clock.now)
    return Connection("virtual", "file", "2026-04", transport, emulator)


def _plan(manifest: Path, connection: Connection):
    result = engine.make_plan([str(manifest)], connection)
    return load_plan_document(engine.new_plan_document(result, connection))


@pytest.mark.parametrize("between", [0.3, 0.0])
def test_a_replay_within_the_same_second_is_already_applied(tmp_path, between):
    """Item 8: the second run starts 0.3 s after the first on the store's clock, or with the
    clock standing exactly on the whole second the first started on (a simulated clock between
    runs); createdAt has whole seconds, and the replayed groups must still count as already
    applied."""
    emulator = Emulator.from_state(_state(), clock=VirtualClock(start=0.2))
    connection = _virtual(emulator)
    east = {"SKU-1": {"active": True, "available": 15}, "SKU-2": {"active": True, "available": 25}}
    plan, meta = _plan(_manifest(tmp_path, east), connection)
    first = engine.run_plan(plan, meta, connection, ApplyOptions(limits=meta.limits))
    assert first.counts()["adjusted"] == 2
    emulator.clock.advance(between)
    second = engine.run_plan(plan, meta, connection, ApplyOptions(limits=meta.limits))
    assert second.exit_code == 0
    counts = second.counts()
    assert (counts["adjusted"], counts["changes_already_applied"]) == (0, 2), counts
    assert json.loads(json.dumps(emulator.state()))["adjustment_group_seq"] == 1


# --- item 2: a conflict names every change, and the others are applied -----------------------

def _run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"SYNCER_STORE": ""})
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


def _store_file(tmp_path, state=None):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(state or _state()))
    return simulated_clock(path)


def _move(store, location, item, available=None, active=None):
    """Someone else changes a level between plan and apply (creating it if need be)."""
    data = json.loads(store.read_text())
    levels = [lv for lv in data["levels"] if (lv["location"], lv["item"]) == (location, item)]
    if not levels:
        levels = [{"id": len(data["levels"]) + 1, "item": item, "location": location,
                   "active": True, "quantities": dict.fromkeys(QUANTITIES, 0)}]
        data["levels"] += levels
    if available is not None:
        levels[0]["quantities"]["available"] = available
    if active is not None:
        levels[0]["active"] = active
    store.write_text(json.dumps(data))


def _level(store, location, item):
    data = json.loads(store.read_text())
    return next(lv for lv in data["levels"] if (lv["location"], lv["item"]) == (location, item))


def _conflict_plan(tmp_path):
    state = _state()  # SKU-4 is stocked at West too, so East can be deactivated
    state["levels"].append({"id": 5, "item": f"{ITEM}4", "location": f"{LOC}2", "active": True,
                            "quantities": dict.fromkeys(QUANTITIES, 0)})
    store = _store_file(tmp_path, state)
    manifest = _manifest(
        tmp_path,
        {"SKU-1": {"active": True}, "SKU-2": {"active": True, "available": 5},
         "SKU-3": {"active": True, "available": 35}, "SKU-4": {"active": False}},
        {"SKU-1": {"active": True, "available": 20}})
    text = manifest.read_text().replace("max_changed_percent: 100",
                                        "max_changed_percent: 100\n  allow_deactivate_with_stock: "
                                        "true")
    manifest.write_text(text)
    result = _run("plan", manifest, "--store", store, "-o", tmp_path / "plan.json")
    assert result.exit_code == 0, result.stderr
    return store, tmp_path / "plan.json"


def _apply_with_report(plan, tmp_path, code):
    """Apply ``plan`` expecting exit ``code``: (result, --report JSON, {(kind, location, sku):
    status})."""
    result = _run("apply", plan, "--report", tmp_path / "r.json")
    assert result.exit_code == code, result.stdout + result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    statuses = {(c["kind"], c["location"], c["sku"]): c["status"] for c in report["changes"]}
    return result, report, statuses


def test_a_conflict_applies_the_rest_and_names_every_change(tmp_path):
    store, plan = _conflict_plan(tmp_path)
    _move(store, f"{LOC}1", f"{ITEM}2", available=18)  # a sale: SKU-2 planned from 20
    result = _run("apply", plan, "--report", tmp_path / "r.json")
    assert result.exit_code == EXIT_CONFLICT, result.stdout + result.stderr
    # The conflicting change is left as it is; everything else landed.
    assert _level(store, f"{LOC}1", f"{ITEM}2")["quantities"]["available"] == 18
    west = _level(store, f"{LOC}2", f"{ITEM}1")
    assert west["active"] is True and west["quantities"]["available"] == 20
    assert _level(store, f"{LOC}1", f"{ITEM}3")["quantities"]["available"] == 35
    assert _level(store, f"{LOC}1", f"{ITEM}4")["active"] is False
    report = json.loads((tmp_path / "r.json").read_text())
    statuses = {(c["kind"], c["location"], c["sku"]): c["status"] for c in report["changes"]}
    assert statuses == {
        ("activate", "West", "SKU-1"): "applied", ("adjust", "West", "SKU-1"): "applied",
        ("adjust", "East", "SKU-2"): "conflict", ("adjust", "East", "SKU-3"): "applied",
        ("deactivate", "East", "SKU-4"): "applied"}
    assert len(report["changes"]) == sum(len(s["changes"]) for s in
                                         json.loads(plan.read_text())["steps"])
    assert report["summary"]["changes"] == {"applied": 4, "conflict": 1}
    assert ("Not applied: 1 of 5 planned changes:\n"
            "  - conflict: adjust East / SKU-2 available 20 -> 5 (live now 18)\n"
            "Applied, conflicts left as they are: 1 activated, 2 adjusted") in result.stdout


def test_an_activation_that_landed_whose_adjust_conflicted_is_named(tmp_path):
    """Someone activated and stocked the new level between plan and apply: the activation is a
    no-op that lands, the adjust from 0 conflicts, and the text says it was not applied."""
    store, plan = _conflict_plan(tmp_path)
    _move(store, f"{LOC}2", f"{ITEM}1", available=7)
    result, report, statuses = _apply_with_report(plan, tmp_path, EXIT_CONFLICT)
    assert statuses[("activate", "West", "SKU-1")] == "applied"
    assert statuses[("adjust", "West", "SKU-1")] == "conflict"
    assert "  - conflict: adjust West / SKU-1 available 0 -> 20 (live now 7)" in result.stdout
    assert _level(store, f"{LOC}1", f"{ITEM}3")["quantities"]["available"] == 35


def test_a_failure_names_every_change_not_attempted(tmp_path):
    store, plan = _conflict_plan(tmp_path)
    data = json.loads(store.read_text())  # SKU-1 disappears: its activation fails
    data["items"] = [i for i in data["items"] if i["sku"] != "SKU-1"]
    data["levels"] = [lv for lv in data["levels"] if lv["item"] != f"{ITEM}1"]
    store.write_text(json.dumps(data))
    result, report, statuses = _apply_with_report(plan, tmp_path, EXIT_PARTIAL)
    assert statuses[("activate", "West", "SKU-1")] == "failed"
    assert statuses[("deactivate", "East", "SKU-4")] == "not attempted"
    assert all(c["status"] in ("applied", "failed", "not attempted", "already applied")
               for c in report["changes"])
    missed = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert len(missed) == sum(1 for c in report["changes"] if c["status"] != "applied")
    assert "  - failed: activate West / SKU-1" in result.stdout


# --- item 3: reason and reference belong to the plan ------------------------------------------

def _adjust_groups(store):
    return [entry["response"]["inventoryAdjustmentGroup"]
            for entry in json.loads(store.read_text())["idempotency"]
            if entry["field"] == "inventoryAdjustQuantities"]


def test_reason_and_reference_are_saved_in_the_plan_and_kept_on_resume(tmp_path):
    store = _store_file(tmp_path)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15}})
    url = "https://github.com/acme/stock/pull/7"
    result = _run("plan", manifest, "--store", store, "-o", tmp_path / "plan.json",
                  "--reason", "shrinkage", "--reference", url)
    assert result.exit_code == 0, result.stderr
    document = json.loads((tmp_path / "plan.json").read_text())
    assert (document["reason"], document["reference"]) == ("shrinkage", url)
    pristine = store.read_bytes()
    for flags in (["--reason", "damaged"], ["--reference", "https://example.com/other"]):
        refused = _run("apply", tmp_path / "plan.json", *flags)
        # exit 4, as every refusal of a plan that is not for here (store, version, age)
        assert refused.exit_code == 4, refused.stdout + refused.stderr
        assert f"{flags[0]} {flags[1]} differs from the plan's" in refused.stderr
        assert store.read_bytes() == pristine
    assert _run("apply", tmp_path / "plan.json").exit_code == 0
    again = _run("apply", tmp_path / "plan.json", "--reason", "shrinkage", "--reference", url)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "already applied by an earlier run" in again.stdout
    assert {(g["reason"], g["referenceDocumentUri"]) for g in _adjust_groups(store)} == {
        ("Shrinkage", url)}


def test_a_key_mismatch_on_resume_is_classified_by_reading_the_level(tmp_path):
    """A run of this plan with another reason landed (an older syncer allowed it); the resume
    gets IDEMPOTENCY_KEY_PARAMETER_MISMATCH and must count the change as done, not failed."""
    store = _store_file(tmp_path)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15},
                                    "SKU-2": {"active": True, "available": 25}})
    assert _run("plan", manifest, "--store", store, "-o", tmp_path / "plan.json").exit_code == 0
    plan, meta = read_plan_file(tmp_path / "plan.json")
    connection = engine.connect(str(store))
    first = Applier(connection.transport, plan, meta, ApplyOptions(reason="shrinkage")).run()
    connection.close()
    assert first.exit_code == 0
    second = _run("apply", tmp_path / "plan.json", "--report", tmp_path / "r.json")
    assert second.exit_code == 0, second.stdout + second.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {c["status"] for c in report["changes"]} == {"already applied"}
    assert _level(store, f"{LOC}1", f"{ITEM}2")["quantities"]["available"] == 25


# --- item 5: plan -o never replaces the store or a manifest -----------------------------------

def test_plan_output_refuses_the_store_file_a_manifest_and_missing_folders(tmp_path, monkeypatch):
    store = _store_file(tmp_path)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15}})
    pristine = (store.read_bytes(), manifest.read_bytes())
    monkeypatch.chdir(tmp_path)
    for out, what in [(store, "is the store file"), ("store.json", "is the store file"),
                      (manifest, "is a manifest"), ("./inventory.yaml", "is a manifest")]:
        result = _run("plan", manifest, "--store", store, "-o", out)
        assert result.exit_code == 64, (out, result.stdout + result.stderr)
        assert what in result.stderr
    with_env = CliRunner().invoke(cli, ["plan", "inventory.yaml", "-o", "store.json"],
                                  env={"SYNCER_STORE": "store.json"})
    assert with_env.exit_code == 64 and "is the store file" in with_env.stderr
    folder = _run("plan", manifest, "--store", store, "-o", tmp_path / "plans" / "p.json")
    assert folder.exit_code == 64 and "does not exist; create it first" in folder.stderr
    assert not (tmp_path / "plans").exists()
    assert (store.read_bytes(), manifest.read_bytes()) == pristine
    assert _run("plan", manifest, "--store", store, "-o", "plan.json").exit_code == 0


# --- item 6: an error names the exact level, and no rerun is advised that cannot help ---------

def test_a_user_error_names_the_level_its_field_points_at(tmp_path):
    state = _state()
    state["locations"].append({"id": f"{LOC}3", "name": "North"})
    store = _store_file(tmp_path, state)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True}},
                         {"SKU-1": {"active": True, "available": 4}})
    data = yaml.safe_load(manifest.read_text())
    data["locations"]["North"] = {"SKU-1": {"active": True, "available": 6}}
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _run("plan", manifest, "--store", store, "-o", tmp_path / "plan.json").exit_code == 0
    steps = json.loads((tmp_path / "plan.json").read_text())["steps"]
    changes = json.loads((tmp_path / "plan.json").read_text())["changes"]
    toggle = next(s for s in steps if s["kind"] == "activate")
    assert [changes[i]["location"] for i in toggle["changes"]] == ["North", "West"]
    data = json.loads(store.read_text())  # West is deleted: inventoryItemUpdates.1 fails
    data["locations"] = [loc for loc in data["locations"] if loc["name"] != "West"]
    store.write_text(json.dumps(data))
    result = _run("apply", tmp_path / "plan.json", "--report", tmp_path / "r.json")
    assert result.exit_code == EXIT_PARTIAL, result.stdout + result.stderr
    assert ("Stopped: activate West / SKU-1 failed: LOCATION_NOT_FOUND: "
            "inventoryItemUpdates.1.locationId (West / SKU-1): ") in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    outcome = {(c["kind"], c["location"]): c for c in report["changes"]}
    assert "LOCATION_NOT_FOUND" in outcome[("activate", "West")]["detail"]
    assert outcome[("activate", "North")]["status"] == "failed"
    assert "because of another change" in outcome[("activate", "North")]["detail"]
    assert "Run the same plan again" not in result.stdout
    assert "running this plan again would fail the same way" in result.stdout


# --- item 7: store identity --------------------------------------------------------------------

def test_the_shop_is_recorded_and_checked_at_apply(tmp_path, monkeypatch):
    store = _store_file(tmp_path)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15}})
    monkeypatch.chdir(tmp_path)
    assert _run("plan", manifest, "--store", "store.json", "-o", "plan.json").exit_code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document["shop"] == "outcomes.myshopify.com"
    assert document["store"] == str(store.resolve())
    other = _state() | {"shop": "someone-else.myshopify.com"}  # another shop, same file name
    store.write_text(json.dumps(other))
    refused = _run("apply", "plan.json", "--store", store)
    assert refused.exit_code == 4, refused.stdout + refused.stderr
    assert ("is the shop someone-else.myshopify.com, but the plan was made for the shop "
            "outcomes.myshopify.com") in refused.stderr
    store.write_text(json.dumps(_state()))
    applied = _run("apply", "plan.json", "--store", store)  # absolute path, plan made relative
    assert applied.exit_code == 0, applied.stdout + applied.stderr


def test_equivalent_emulator_addresses_are_one_store(tmp_path):
    store = _store_file(tmp_path)
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15}})
    server = serve(Emulator.load(store), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        banner = server.url  # http://127.0.0.1:N/admin/api/2026-04/graphql.json
        port = server.server_address[1]
        made = _run("plan", manifest, "--store", f"http://localhost:{port}/", "-o",
                    tmp_path / "plan.json")
        assert made.exit_code == 0, made.stderr
        assert json.loads((tmp_path / "plan.json").read_text())["store"] == (
            f"http://127.0.0.1:{port}")
        applied = _run("apply", tmp_path / "plan.json", "--store", banner)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
    finally:
        server.shutdown()
        server.server_close()


# --- friction: Ctrl-C exits 130, after the report ----------------------------------------------

def test_ctrl_c_during_apply_reports_then_exits_130(tmp_path, monkeypatch):
    store, plan = _conflict_plan(tmp_path)
    from syncer.shopify.local_transport import LocalTransport as Local

    real = Local.execute
    mutations = []

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation"):
            mutations.append(document)
            if len(mutations) == 2:
                raise KeyboardInterrupt
        return real(self, document, variables)

    monkeypatch.setattr(Local, "execute", execute)
    result = _run("apply", plan, "--report", tmp_path / "r.json")
    assert result.exit_code == 130, result.stdout + result.stderr
    assert "Stopped: interrupted (Ctrl-C)" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["status"], report["exit_code"]) == ("interrupted", 130)
    assert {c["status"] for c in report["changes"]} == {"applied", "unknown"}


def test_apply_of_manifests_without_a_terminal_refuses_before_reading_the_store(tmp_path):
    manifest = _manifest(tmp_path, {"SKU-1": {"active": True, "available": 15}})
    result = _run("apply", manifest, "--store", "http://127.0.0.1:1")  # nothing listens there
    assert result.exit_code == 64, result.stdout + result.stderr
    assert "pass --auto-approve" in result.stderr and "cannot reach" not in result.stderr


def test_each_field_path_names_its_change():
    from syncer.apply.user_errors import change_at
    from syncer.plan.changes import Adjust, LevelRef

    a, b = (Adjust(LevelRef("East", sku, f"{LOC}1", f"{ITEM}{n}"), "available", 0, 1)
            for n, sku in ((1, "SKU-1"), (2, "SKU-2")))
    assert change_at(["input", "changes", "1", "delta"], [a, b]) is b
    assert change_at(["input", "changes", 0, "changeFromQuantity"], [a, b]) is a
    assert change_at(["inventoryItemUpdates", 1, "locationId"], [a, b]) is b
    assert change_at(["inventoryItemUpdates", 5, "locationId"], [a, b]) is None
    assert change_at(["inventoryItemId"], [a, b]) is None  # about every change of the call
    assert change_at(["inventoryLevelId"], [a]) is a
    assert change_at(None, [a]) is None
