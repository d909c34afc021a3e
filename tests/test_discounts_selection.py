"""``--target code=GLOB`` / ``--exclude code=GLOB`` select discount codes (issue 26), and what
apply shows for a discount that no longer exists when it is written.

The planner tests use ``tests/cases/discount_codes`` (one level, MUG, and seven discounts);
the end-to-end ones the ``shop`` fixture of ``test_discounts`` (``examples/discounts``).
"""

import dataclasses
import json

import pytest
from helpers import CASES, TransportWrapper, desired_from_yaml, live_from_json, run_cli
from test_discounts import NODE, shop, state  # noqa: F401  (shop is a fixture)

from syncer.errors import ConflictError, UsageError
from syncer.plan.planner import parse_selection, plan

CASE = CASES / "discount_codes"


def case_plan(targets=(), excludes=()):
    desired = desired_from_yaml(CASE / "desired.yaml")
    desired = dataclasses.replace(desired,
                                  discounts=desired_from_yaml(CASE / "discounts.yaml").discounts)
    return plan(desired, live_from_json(CASE / "live.json"), targets=targets, excludes=excludes)


def planned(p):
    """What the plan changes: level SKUs and discount refs."""
    return [c.level.sku for c in p.changes] + [d.ref for d in p.discounts]


def codes(notes):
    return [n.code for n in notes]


# --- the planner --------------------------------------------------------------------------------


def test_a_code_target_plans_the_codes_its_glob_matches_ignoring_case_and_no_level():
    p = case_plan(targets=["code=spring*", "code=WEL?OME"])
    assert planned(p) == ["SPRING10", "welcome"]
    assert not p.errors and not p.findings  # LAUNCH (its unsafe finding) is not selected
    assert codes(p.warnings) == ["partial_plan", "discount_end_removed"]  # not SUMMER's note
    assert p.warnings[0].message == (
        "partial plan: it compares only the levels and discount codes selected by --target "
        "code=spring* --target code=WEL?OME (0 levels, 2 discount codes); levels and discount "
        "codes outside the selection may differ too")


def test_a_code_exclude_takes_out_only_the_codes_it_matches():
    p = case_plan(excludes=["code=launch", "code=gid://shopify/DiscountCodeNode/*"])
    assert planned(p) == ["MUG", "SPRING10", "welcome"]
    assert not p.findings and p.partial
    assert "(1 level, 5 discount codes)" in p.warnings[0].message


def test_level_and_code_selectors_each_select_their_own_kind():
    assert planned(case_plan(targets=["sku=MUG", "code=SPRING10"])) == ["MUG", "SPRING10"]
    assert planned(case_plan(targets=["sku=MUG"])) == ["MUG"]  # a level target: no code
    everything = [d.ref for d in case_plan().discounts]
    assert planned(case_plan(excludes=["location=Warehouse East"])) == everything
    assert planned(case_plan(excludes=["sku=MUG"])) == everything
    # A code exclude leaves the levels, and a level exclude the codes, to the targets.
    assert planned(case_plan(targets=["location=Warehouse East"], excludes=["code=*"])) == ["MUG"]


def test_a_code_selector_that_matches_nothing_warns_and_one_matching_nothing_at_all_fails():
    p = case_plan(targets=["code=SPRING*", "code=NOPE-*"])
    assert planned(p) == ["SPRING10"] and not p.errors
    assert ("unmatched_selector", "--target code=NOPE-* matched no discount code") in [
        (w.code, w.message) for w in p.warnings]
    empty = case_plan(targets=["code=NOPE-*"])
    assert not planned(empty) and codes(empty.errors) == ["empty_selection"]
    assert "matched none of the 1 level and 7 discount codes" in empty.errors[0].message
    assert "code=GLOB ignores case" in empty.errors[0].message


def test_an_unknown_discount_is_an_error_whatever_the_selection():
    desired = desired_from_yaml(CASE / "desired.yaml")
    desired = dataclasses.replace(desired, discounts=(
        *desired_from_yaml(CASE / "discounts.yaml").discounts,
        dataclasses.replace(desired_from_yaml(CASE / "discounts.yaml").discounts[0], ref="NOPE")))
    p = plan(desired, live_from_json(CASE / "live.json"), targets=["sku=MUG"])
    assert codes(p.errors) == ["unknown_discount"]


@pytest.mark.parametrize(("flag", "text", "says"), [
    ("--target", "colour=red", "bad selector --target 'colour=red': unknown field 'colour'"),
    ("--exclude", "code=", "bad selector --exclude 'code=': code= needs a glob"),
    ("--target", "code= ", "bad selector --target 'code= ': code= needs a glob"),
    ("--exclude", "SPRING*", "bad selector --exclude 'SPRING*': a selector is FIELD=VALUE"),
])
def test_a_bad_selector_is_a_usage_error_naming_the_flag(flag, text, says):
    targets, excludes = ([text], []) if flag == "--target" else ([], [text])
    with pytest.raises(UsageError) as caught:
        parse_selection(targets, excludes)
    assert str(caught.value).startswith(says)
    assert f"{flag} code='SPRING*'" in str(caught.value)  # an example with the flag


def test_parse_selection_keeps_code_globs_as_written():
    sel = parse_selection(["code=Spring*"], ["code=SPRING-VIP", "sku=A*"])
    assert (sel.codes, sel.exclude_codes, sel.exclude_skus) == (("Spring*",), ("SPRING-VIP",),
                                                                ("A*",))
    assert sel.describe() == "--target code=Spring* --exclude sku=A* --exclude code=SPRING-VIP"


# --- the CLI: plan, apply, drift ----------------------------------------------------------------


def test_plan_and_apply_a_selected_code(shop, tmp_path):  # noqa: F811
    folder, store = shop
    out = tmp_path / "plan.json"
    run = run_cli("plan", folder, "--store", store, "--target", "code=spring*", "-o", out)
    assert run.exit_code == 0, run.output
    assert "SPRING10" in run.stdout and "welcome" not in run.stdout
    assert "Partial plan: " in run.stdout
    saved = json.loads(out.read_text())
    assert [d["ref"] for d in saved["discounts"]] == ["SPRING10"] and not saved["changes"]
    assert ("selected by --target code=spring* (0 levels, 1 discount code)"
            in saved["warnings"][0]["message"])  # the plan file records the selection
    applied = run_cli("apply", out)
    assert applied.exit_code == 0, applied.output
    after = state(store)
    assert after["SPRING10"]["endsAt"] is not None  # deactivated
    assert after["WELCOME"]["endsAt"] == "2026-01-01T00:00:00Z"  # not selected: still expired


def test_a_selection_of_codes_only_says_it_is_partial(shop):  # noqa: F811
    folder, store = shop
    (folder / "inventory.yaml").unlink()
    some = run_cli("plan", folder, "--store", store, "--target", "code=spring10")
    assert some.exit_code == 0, some.output
    assert some.stdout.splitlines()[-2] == (
        "Partial plan: Discount codes: 0 to activate, 1 to deactivate.")
    by_gid = f"code={NODE}3"  # the manifest names VIP by gid: a code selector matches the gid
    none = run_cli("plan", folder, "--store", store, "--target", by_gid)
    assert none.exit_code == 0, none.output
    assert "No changes in the selection (a partial plan)." in none.stdout
    drift = run_cli("drift", folder, "--store", store, "--target", by_gid)
    assert drift.exit_code == 0 and "No drift in the selection." in drift.stdout, drift.output


def test_a_bad_selector_on_the_cli_exits_64_naming_the_flag(shop):  # noqa: F811
    folder, store = shop
    for command in ("plan", "drift"):
        run = run_cli(command, folder, "--store", store, "--exclude", "code=")
        assert run.exit_code == 64, run.output
        assert "bad selector --exclude 'code=': code= needs a glob" in run.stderr


def test_drift_and_apply_from_manifests_take_code_selectors(shop):  # noqa: F811
    folder, store = shop
    drift = run_cli("drift", folder, "--store", store, "--exclude", "code=SPRING10",
                    "--format", "json")
    assert drift.exit_code == 2, drift.output
    assert [e["discount"] for e in json.loads(drift.stdout)["discounts"]] == ["welcome"]
    applied = run_cli("apply", folder, "--store", store, "--target", "code=WELCOME",
                      "--auto-approve")
    assert applied.exit_code == 0, applied.output
    after = state(store)
    assert after["WELCOME"]["endsAt"] is None and after["SPRING10"]["endsAt"] is None


def test_a_saved_plan_with_an_undeclared_discount_change_is_refused(shop, tmp_path):  # noqa: F811
    """The untrusted-plan check covers discount changes: a crafted plan that activates a code
    the manifests deactivate, or names a gid for another discount, is refused before a write."""
    folder, store = shop
    out = tmp_path / "plan.json"
    assert run_cli("plan", folder, "--store", store, "--target", "code=*", "-o",
                   out).exit_code == 0
    from syncer.engine.planfile import check_declared
    from syncer.manifest.load import load_manifests
    from syncer.plan.document import load_plan_document

    desired = load_manifests([str(folder)])
    good, meta = load_plan_document(json.loads(out.read_text()))
    check_declared(good, desired, meta)  # the selected plan is what the manifests declare
    spring = good.discounts[0]
    for crafted in (dataclasses.replace(spring, active=True),
                    dataclasses.replace(spring, ref=NODE + "3", active=True)):
        bad = dataclasses.replace(good, discounts=(crafted,))
        with pytest.raises(ConflictError, match="the manifests do not declare"):
            check_declared(bad, desired, meta)


# --- a discount deleted between the re-read and the write ---------------------------------------


class _DeletedBeforeTheWrite(TransportWrapper):
    """Another app deletes the discount just before syncer's toggle reaches the store."""

    def __init__(self, inner, emulator):
        super().__init__(inner)
        self.emulator = emulator

    def execute(self, document, variables=None):
        if document.lstrip().startswith("mutation SyncerDiscountToggle"):
            self.emulator.store.discounts.pop(variables["id"])
        return self.inner.execute(document, variables)


def test_apply_shows_shopifys_words_for_a_discount_that_no_longer_exists(shop, tmp_path,  # noqa: F811
                                                                         monkeypatch):
    from syncer.engine import applying

    folder, store = shop
    out = tmp_path / "plan.json"
    assert run_cli("plan", folder, "--store", store, "--target", "code=SPRING10", "-o",
                   out).exit_code == 0
    real_connect = applying.connect
    monkeypatch.setattr(applying, "connect", lambda *a, **k: _wrapped(real_connect(*a, **k)))
    run = run_cli("apply", out, "--report", tmp_path / "report.json")
    assert run.exit_code == 5, run.output
    said = ("deactivate discount SPRING10: discountCodeDeactivate refused "
            f"{NODE}1: Code discount does not exist. (INVALID)")
    assert f"Stopped: {said}" in run.output + run.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(d["status"], d["detail"]) for d in report["discounts"]] == [
        ("failed", said.split(": ", 1)[1])]


def _wrapped(connection):
    connection.transport = _DeletedBeforeTheWrite(connection.transport, connection.emulator)
    return connection
