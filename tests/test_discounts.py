"""Discount codes end to end: manifests, the documents, the planner, apply, drift and the CLI.

The store is the emulator behind a state file (``examples/discounts``) on the real clock, so the
schedules use dates far from now.
"""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import engine_apply, engine_drift, engine_plan, simulated_clock
from test_documents import document_errors  # tests/ is on sys.path under pytest

from syncer import engine
from syncer.cli import cli
from syncer.emulator import Emulator
from syncer.errors import PlanProblemError, Source, UnsafePlanError
from syncer.manifest.discounts import render_discounts
from syncer.model import DesiredDiscount, LiveDiscount
from syncer.plan.discounts import DiscountChange, plan_discounts
from syncer.plan.document import load_plan_document
from syncer.shopify import discounts as wire

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "discounts"
NODE = "gid://shopify/DiscountCodeNode/"
FUTURE = {"id": NODE + "9", "title": "Launch", "code": "LAUNCH",
          "startsAt": "2049-01-01T00:00:00Z", "endsAt": "2049-01-02T00:00:00Z"}


@pytest.fixture
def shop(tmp_path):
    folder = tmp_path / "shop"
    shutil.copytree(EXAMPLE, folder)
    return folder, str(simulated_clock(folder / "store.json"))


def state(store):
    return {d["code"]: d for d in json.loads(Path(store).read_text())["discounts"]}


def add_discount(store, entry):
    data = json.loads(Path(store).read_text())
    data["discounts"].append(entry)
    Path(store).write_text(json.dumps(data))


def toggle_behind_our_back(store, mutation, discount_id):
    """Run ``mutation`` on the store file directly, as another app would."""
    query = "mutation($id: ID!) { " + mutation + "(id: $id) { userErrors { message } } }"
    return Emulator.load(store).handle({"query": query, "variables": {"id": discount_id}}, {})


def manifest(folder, text):
    (folder / "discounts.yaml").write_text(
        "apiVersion: syncer/v1\nkind: DiscountCodes\ndiscounts:\n" + text)


# --- the planner ---------------------------------------------------------------------------------


def live(status, starts="2026-01-01T00:00:00Z", ends=None):
    return {"x": LiveDiscount(NODE + "1", "X", status, starts, ends)}


@pytest.mark.parametrize(("active", "status", "change", "notes"), [
    (False, "ACTIVE", "discount_deactivate", []),
    (False, "SCHEDULED", "discount_deactivate", ["finding:discount_schedule_lost"]),
    (False, "EXPIRED", None, []),
    (True, "EXPIRED", "discount_activate", ["warning:discount_end_removed"]),
    (True, "ACTIVE", None, []),
    (True, "SCHEDULED", None, ["warning:discount_scheduled"]),
])
def test_each_status_and_desired_state(active, status, change, notes):
    got = plan_discounts([DesiredDiscount("X", active, Source("d.yaml", 4, 3))],
                         live(status, ends="2026-02-01T00:00:00Z"))
    assert [c.kind for c in got.changes] == ([change] if change else [])
    assert [f"finding:{n.code}" for n in got.findings] + [
        f"warning:{n.code}" for n in got.warnings] == notes
    assert all(str(n.source) == "d.yaml:4:3" for n in (*got.findings, *got.warnings))


def test_the_notes_show_the_schedule_they_change():
    scheduled = plan_discounts([DesiredDiscount("X", False, Source("d.yaml", 4, 3))],
                               live("SCHEDULED", "2049-01-01T00:00:00Z", "2049-01-02T00:00:00Z"))
    assert ("scheduled from 2049-01-01T00:00:00Z until 2049-01-02T00:00:00Z, moves its start and "
            "end to now") in scheduled.findings[0].message
    expired = plan_discounts([DesiredDiscount("x", True, Source("d.yaml", 5, 3))],
                             live("EXPIRED", ends="2026-02-01T00:00:00Z"))
    assert "removes its end date 2026-02-01T00:00:00Z" in expired.warnings[0].message


def test_unknown_code_and_id_are_errors_at_their_line():
    got = plan_discounts([DesiredDiscount("NOPE", True, Source("d.yaml", 4, 3)),
                          DesiredDiscount(NODE + "5", True, Source("d.yaml", 5, 3))], {})
    assert [str(e) for e in got.errors] == [
        "d.yaml:4:3: unknown discount code 'NOPE': no code discount has this code",
        f"d.yaml:5:3: code discount {NODE}5 does not exist in the store"]


def test_the_same_discount_by_code_and_by_id_is_an_error():
    found = LiveDiscount(NODE + "1", "X", "ACTIVE", "2026-01-01T00:00:00Z")
    got = plan_discounts([DesiredDiscount("X", False, Source("a.yaml", 4, 3)),
                          DesiredDiscount(NODE + "1", True, Source("b.yaml", 4, 3))],
                         {"x": found, NODE + "1": found})
    assert [str(e) for e in got.errors] == [
        f"b.yaml:4:3: '{NODE}1' is the discount 'X' names at a.yaml:4:3 ({NODE}1): keep one of "
        "them"]
    assert [c.ref for c in got.changes] == ["X"]


def test_a_change_round_trips_and_refuses_an_unknown_kind():
    change = DiscountChange("X", True, NODE + "1", "X", "EXPIRED", "a", "b")
    assert DiscountChange.from_dict(change.to_dict()) == change
    with pytest.raises(ValueError):
        DiscountChange.from_dict({**change.to_dict(), "kind": "discount_delete"})


# --- the documents, against the real schemas ----------------------------------------------------


@pytest.mark.parametrize("refs", [["SPRING10"], [NODE + "1"], ["A", NODE + "2", "b c"]])
def test_read_documents_are_valid(real_schemas, refs):
    version, schema = real_schemas
    values = {f"d{i}": ref for i, ref in enumerate(refs)}
    assert document_errors(schema, wire.discounts_query(refs), values) == [], version


@pytest.mark.parametrize("active", [True, False])
def test_toggle_documents_are_valid(real_schemas, active):
    version, schema = real_schemas
    errors = document_errors(schema, wire.toggle_document(active), {"id": NODE + "1"})
    assert errors == [], version


def test_list_document_is_valid(real_schemas):
    version, schema = real_schemas
    values = {"first": wire.LIST_PAGE_SIZE, "after": None}
    assert document_errors(schema, wire.LIST_QUERY, values) == [], version


def test_discount_reads_cost_what_the_reader_expects(real_schema):
    cost = pytest.importorskip("syncer.emulator.cost")
    from graphql import parse

    refs = ["A", NODE + "1"] * (wire.DISCOUNTS_PER_QUERY // 2)
    document = parse(wire.discounts_query(refs))
    assert cost.requested_cost(real_schema, document, {}) == len(refs) * wire.DISCOUNT_COST <= 1000
    listing = cost.requested_cost(real_schema, parse(wire.LIST_QUERY),
                                  {"first": wire.LIST_PAGE_SIZE})
    assert listing <= 1000


def test_a_planted_bad_discount_document_fails_the_check(real_schema):
    bad = wire.discounts_query(["A"]).replace("startsAt", "startAt")
    assert any("startAt" in e for e in document_errors(real_schema, bad))


# --- plan, apply, replan, drift ----------------------------------------------------------------


def test_plan_apply_replan_and_drift(shop, tmp_path):
    folder, store = shop
    out = tmp_path / "plan.json"
    result = engine_plan([folder], store, out=out)
    assert [(c.ref, c.kind) for c in result.plan.discounts] == [
        ("SPRING10", "discount_deactivate"), ("welcome", "discount_activate")]
    assert [w.code for w in result.plan.warnings] == ["discount_end_removed"]
    plan, _meta = engine.show(engine.ShowRequest(str(out)))
    assert plan.discounts == result.plan.discounts  # the plan file carries them
    report = engine_apply(out, report_path=tmp_path / "report.json")
    assert [d.status for d in report.discounts] == ["applied", "applied"]
    after = state(store)
    assert after["SPRING10"]["endsAt"] is not None and after["WELCOME"]["endsAt"] is None
    assert after["WELCOME"]["startsAt"] == "2025-01-01T00:00:00Z"  # activation keeps the start
    saved = json.loads((tmp_path / "report.json").read_text())
    assert [d["status"] for d in saved["discounts"]] == ["applied", "applied"]
    assert not engine_drift([folder], store).plan.has_changes  # replan: nothing

    # Resume: a rerun of the same plan writes nothing and says why.
    before = state(store)
    again = engine_apply(out)
    assert [d.status for d in again.discounts] == ["already applied", "already applied"]
    assert state(store) == before

    # Someone resumes SPRING10 behind syncer's back: drift sees it, exit 2 from the CLI.
    status, body = toggle_behind_our_back(store, "discountCodeActivate", NODE + "1")
    assert status == 200 and not body["data"]["discountCodeActivate"]["userErrors"]
    drifted = engine_drift([folder], store)
    assert [(c.ref, c.status) for c in drifted.plan.discounts] == [("SPRING10", "ACTIVE")]
    run = CliRunner().invoke(cli, ["drift", str(folder), "--store", store, "--format", "json"])
    assert run.exit_code == 2, run.output
    entries = json.loads(run.stdout)["discounts"]
    assert [(e["discount"], e["live"], e["desired"]) for e in entries] == [
        ("SPRING10", "active", "inactive")]


def test_scheduled_deactivation_needs_force_and_loses_the_schedule(shop, tmp_path):
    folder, store = shop
    add_discount(store, FUTURE)
    manifest(folder, "  LAUNCH: {active: false}\n")
    out = tmp_path / "plan.json"
    result = engine_plan([folder], store, out=out)
    assert [f.code for f in result.plan.findings] == ["discount_schedule_lost"]
    with pytest.raises(UnsafePlanError):
        engine_apply(out)
    assert state(store)["LAUNCH"]["startsAt"] == "2049-01-01T00:00:00Z"
    report = engine_apply(out, force=True)
    assert [d.status for d in report.discounts] == ["applied"]
    launch = state(store)["LAUNCH"]
    assert launch["startsAt"] == launch["endsAt"] < "2049"


def test_apply_skips_a_discount_someone_already_changed(shop, tmp_path):
    folder, store = shop
    manifest(folder, "  SPRING10: {active: false}\n")
    out = tmp_path / "plan.json"
    engine_plan([folder], store, out=out)
    toggle_behind_our_back(store, "discountCodeDeactivate", NODE + "1")
    ended = state(store)["SPRING10"]["endsAt"]
    report = engine_apply(out)
    assert [(d.status, d.detail) for d in report.discounts] == [
        ("already applied", "already expired; not written again")]
    assert state(store)["SPRING10"]["endsAt"] == ended  # not moved by a second deactivation
    assert "1 already applied" in report.summary_line()


def test_a_status_moved_since_the_plan_stops_the_run(shop, tmp_path):
    folder, store = shop
    manifest(folder, "  SPRING10: {active: false}\n")
    out = tmp_path / "plan.json"
    planned = engine_plan([folder], store, out=out).plan
    assert load_plan_document(json.loads(out.read_text()))[0].discounts == planned.discounts
    data = json.loads(Path(store).read_text())
    data["discounts"][0]["startsAt"] = "2049-06-01T00:00:00Z"  # rescheduled behind our back
    Path(store).write_text(json.dumps(data))
    report = engine_apply(out)
    assert report.exit_code == 5 and report.discounts[0].status == "failed"
    assert "moved from ACTIVE to SCHEDULED" in report.render_text()


def test_unknown_code_is_a_plan_error_with_file_and_line(shop, tmp_path):
    folder, store = shop
    manifest(folder, "  SPRING10: {active: false}\n  NOPE: {active: true}\n")
    with pytest.raises(PlanProblemError) as caught:
        engine_plan([folder], store)
    assert [str(p) for p in caught.value.problems] == [
        f"{folder / 'discounts.yaml'}:5:3: unknown discount code 'NOPE': no code discount has "
        "this code"]


def test_the_cli_shows_discounts_in_plan_and_show(shop, tmp_path):
    folder, store = shop
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(cli, ["plan", str(folder), "--store", store, "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "Discount codes\n  - SPRING10" in run.stdout
    assert "Discount codes: 1 to activate, 1 to deactivate." in run.stdout
    shown = CliRunner().invoke(cli, ["show", str(out), "--format", "markdown"])
    assert "| - | Discount codes | SPRING10 | deactivate " in shown.stdout


def test_the_manifests_page_shows_what_plan_prints(tmp_path, monkeypatch):
    page = (ROOT / "docs/manifests.md").read_text(encoding="utf-8").split("## Discount codes", 1)[1]
    shown = page.split("```\n", 3)[2].split("```", 1)[0]  # the block after the YAML
    shutil.copy(EXAMPLE / "store.json", tmp_path / "store.json")
    monkeypatch.chdir(ROOT)
    run = CliRunner().invoke(cli, ["plan", "examples/discounts", "--store",
                                   str(tmp_path / "store.json")])
    assert run.exit_code == 0, run.output
    # the page's copy of the store is store.json in the working directory
    assert run.stdout.replace(str(tmp_path / "store.json"), "store.json") == shown


def _inventory_and_discount_plan(folder, store, out):
    (folder / "inventory.yaml").write_text((folder / "inventory.yaml").read_text().replace(
        "available: 5", "available: 9"))
    engine_plan([folder], store, out=out)
    return json.loads(Path(store).read_text())


def test_discounts_wait_for_the_inventory_steps(shop, tmp_path):
    """A run stopped by an inventory error does not touch the discounts."""
    folder, store = shop
    out = tmp_path / "plan.json"
    data = _inventory_and_discount_plan(folder, store, out)
    data["levels"], data["items"] = [], []  # the item is deleted: the adjust fails
    Path(store).write_text(json.dumps(data))
    report = engine_apply(out)
    assert report.exit_code == 5
    assert [d.status for d in report.discounts] == ["not attempted", "not attempted"]
    assert ("Not applied: 2 of 2 discount code changes:\n"
            "  - not attempted: deactivate discount SPRING10\n") in report.render_text()
    assert state(store)["SPRING10"]["endsAt"] is None


def test_a_conflict_leaves_the_discounts_applied(shop, tmp_path):
    folder, store = shop
    out = tmp_path / "plan.json"
    data = _inventory_and_discount_plan(folder, store, out)
    data["levels"][0]["quantities"]["available"] = 7  # a sale: the adjust's CAS fails
    Path(store).write_text(json.dumps(data))
    report = engine_apply(out)
    assert report.exit_code == 4
    assert [d.status for d in report.discounts] == ["applied", "applied"]


def test_the_store_listed_and_written_as_a_manifest_plans_no_change(shop, tmp_path):
    """The pieces ``import --kind DiscountCodes`` needs: list every code discount, write them."""
    folder, store = shop
    add_discount(store, FUTURE)
    add_discount(store, {"id": NODE + "12", "title": "Odd", "code": "10% OFF: yes",
                         "startsAt": "2025-01-01T00:00:00Z", "endsAt": None})
    connection = engine.connect(store)
    try:
        listed = wire.list_discounts(connection.transport, page_size=2)
        assert [(code, d.status) for d, code in listed] == [
            ("SPRING10", "ACTIVE"), ("WELCOME", "EXPIRED"), ("VIP", "ACTIVE"),
            ("LAUNCH", "SCHEDULED"), ("10% OFF: yes", "ACTIVE")]
        text = render_discounts((code, d.status != "EXPIRED") for d, code in listed)
        assert '  "10% OFF: yes": {active: true}' in text
        imported = tmp_path / "imported"
        imported.mkdir()
        (imported / "discounts.yaml").write_text(text)
        result = engine.make_plan([str(imported)], connection)
    finally:
        connection.close()
    assert not result.plan.has_changes and not result.plan.errors
    assert [w.code for w in result.plan.warnings] == ["discount_scheduled"]


def test_drift_views_name_each_discount_with_its_schedule():
    from helpers import plan_case

    from syncer.plan.render import render_drift_markdown, render_drift_text

    plan, _ = plan_case("discount_codes")
    text = render_drift_text(plan)
    assert ("Discount codes\n  gid://shopify/DiscountCodeNode/7  active (from "
            "2026-01-01T00:00:00Z), desired inactive\n") in text
    assert "  welcome                           expired (from 2025-01-01T00:00:00Z until " \
           "2026-01-01T00:00:00Z), desired active\n" in text
    assert text.endswith("Drift: 1 level differs from the manifests. 4 discount codes differ "
                         "from the manifests.\n")
    assert "<details><summary>Discount codes (4 differences)</summary>" in (
        render_drift_markdown(plan))


def test_a_lost_response_is_resolved_by_the_rerun(shop, tmp_path):
    """Every toggle commits but its answer is lost: the run stops with the discount unknown;
    the rerun reads it, finds it done and writes nothing."""
    folder, store = shop
    manifest(folder, "  SPRING10: {active: false}\n")
    out = tmp_path / "plan.json"
    engine_plan([folder], store, out=out)
    data = json.loads(Path(store).read_text())
    data["faults"] = {"seed": 1, "drop_after_commit": 1.0}
    Path(store).write_text(json.dumps(data))
    report = engine_apply(out)
    assert report.exit_code == 5 and [d.status for d in report.discounts] == ["unknown"]
    ended = state(store)["SPRING10"]["endsAt"]
    assert ended is not None  # it landed, unseen
    data = json.loads(Path(store).read_text())
    del data["faults"]
    Path(store).write_text(json.dumps(data))
    again = engine_apply(out)
    assert [d.status for d in again.discounts] == ["already applied"]
    assert state(store)["SPRING10"]["endsAt"] == ended


def test_import_kind_discount_codes_writes_a_manifest_that_plans_no_change(shop, tmp_path):
    folder, store = shop
    add_discount(store, FUTURE)
    add_discount(store, {"id": NODE + "13", "title": "No code", "startsAt": "2025-01-01T00:00:00Z",
                         "endsAt": "2025-02-01T00:00:00Z"})
    out = tmp_path / "imported"
    runner = CliRunner()
    run = runner.invoke(cli, ["import", "-o", str(out), "--kind", "DiscountCodes", "--store",
                              store])
    assert run.exit_code == 0, run.output
    assert run.stdout == f"{out / 'discounts.yaml'}\n{out / 'manifest.schema.json'}\n"
    assert "Wrote 1 manifest with 5 discount codes (2 inactive)" in run.stderr
    text = (out / "discounts.yaml").read_text()
    assert text.splitlines()[3:] == [
        "kind: DiscountCodes", "discounts:", "  SPRING10: {active: true}",
        "  WELCOME: {active: false}", "  VIP: {active: true}", "  LAUNCH: {active: true}",
        f"  {NODE}13: {{active: false}}"]
    plan = runner.invoke(cli, ["plan", str(out), "--store", store, "--detailed-exitcode"])
    assert plan.exit_code == 0 and "No changes." in plan.stdout, plan.output
    again = runner.invoke(cli, ["import", "-o", str(out), "--kind", "DiscountCodes", "--store",
                                store])
    assert again.exit_code == 1 and "already exists; nothing was read or written: pass --force" \
        in again.output
    forced = runner.invoke(cli, ["import", "-o", str(out), "--kind", "DiscountCodes", "--store",
                                 store, "--force"])
    assert forced.exit_code == 0, forced.output
    mixed = runner.invoke(cli, ["import", "-o", str(out), "--kind", "DiscountCodes", "--sku",
                                "A*", "--store", store])
    assert mixed.exit_code == 64 and "--kind DiscountCodes imports every code discount" in (
        mixed.output)


def test_a_plan_of_discount_codes_only_reads_no_location_and_shows_no_level_counts(shop):
    folder, store = shop
    (folder / "inventory.yaml").unlink()
    runner = CliRunner()
    text = runner.invoke(cli, ["plan", str(folder), "--store", store, "-o",
                               str(folder / "plan.json")], env={"SYNCER_STORE": ""})
    assert text.exit_code == 0, text.output
    assert "location" not in text.stderr and "level" not in text.stderr, text.stderr
    assert text.stdout.splitlines()[-2] == (
        "Plan: Discount codes: 1 to activate, 1 to deactivate.")
    markdown = runner.invoke(cli, ["plan", str(folder), "--store", store, "-f", "markdown"],
                             env={"SYNCER_STORE": ""})
    assert "| + activate |" not in markdown.stdout and "Levels" not in markdown.stdout
    applied = runner.invoke(cli, ["apply", str(folder / "plan.json")], env={"SYNCER_STORE": ""})
    assert applied.exit_code == 0, applied.output
    assert "(2 discount codes) to " in applied.stderr
