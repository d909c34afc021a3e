"""Hostile and broken input: each gives a clear error naming what is wrong, never a traceback.

Manifests (alias bombs, deep nesting, a 100 MB file, non-UTF-8, binary, symbolic link loops,
object tags), saved plan files (truncated, edited, newer, for another store), emulator state
files, and GraphQL answers that are malformed, incomplete or carry error codes syncer does not
know (reported verbatim). Each case goes through the real entry point: the CLI or the library.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import simulated_clock

from syncer.cli import cli
from syncer.emulator import Emulator, StateError, VirtualClock
from syncer.errors import ManifestError, PlanFileError, RemoteError, StoreError
from syncer.manifest.files import MAX_MANIFEST_BYTES
from syncer.manifest.load import load_manifests, parse_manifest
from syncer.manifest.yamlmarks import parse_yaml
from syncer.plan.document import load_plan_document, read_plan_file
from syncer.shopify import decode
from syncer.shopify.local_transport import LocalTransport
from syncer.shopify.reader import read_live

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
HEADER = "apiVersion: syncer/v1\nkind: InventoryLevels\n"
VALID = HEADER + "locations:\n  Warehouse East:\n    TSHIRT-RED-M: {active: true, available: 52}\n"


def invoke(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def validate(tmp_path: Path, name: str, content: bytes | str) -> tuple[int, str]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    result = invoke("validate", path)
    return result.exit_code, result.stderr.replace(str(tmp_path) + os.sep, "")


# --- manifests --------------------------------------------------------------------------------


def _alias_bomb() -> str:
    lines = [HEADER, 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n")
    return "".join(lines)


MANIFEST_CASES = {
    "alias bomb": (
        _alias_bomb(),
        "bomb.yaml:9:8: aliases expand to more than 1,000,000 values; write the values out",
    ),
    "flow nested 10,000 deep": (
        "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "bomb.yaml:1:67: nested more than 64 levels deep; a manifest needs 4",
    ),
    "unclosed flow nested 10,000 deep": (
        "[" * 10_000,
        "bomb.yaml:1:65: nested more than 64 levels deep; a manifest needs 4",
    ),
    # Block style needs an indent per level: 10,000 levels are 48 MiB of spaces.
    "block mappings nested 10,000 deep": (
        "".join(" " * i + f"k{i}:\n" for i in range(10_000)),
        "bomb.yaml: 47.7 MiB is over the 16 MiB limit for one manifest file",
    ),
    "block mappings nested 3,000 deep": (
        "".join(" " * i + f"k{i}:\n" for i in range(3_000)),
        "bomb.yaml:65:65: nested more than 64 levels deep; a manifest needs 4",
    ),
    "block lists nested 3,000 deep": (
        "".join(" " * i + "-\n" for i in range(3_000)) + " " * 3_000 + "- x\n",
        "bomb.yaml:65:65: nested more than 64 levels deep; a manifest needs 4",
    ),
    "python object tag on a level": (
        HEADER + "locations:\n  E:\n    X: !!python/object:builtins.dict {active: true}\n",
        "bomb.yaml:5:8: locations.E.X: tag !!python/object:builtins.dict is not allowed: "
        "manifests hold plain values only",
    ),
    "python name tag": (
        HEADER + "locations: !!python/name:os.system\n",
        "bomb.yaml:3:12: locations: tag !!python/name:os.system is not allowed",
    ),
    "binary tag": (
        HEADER + "locations:\n  E: !!binary aGVsbG8=\n",
        "bomb.yaml:4:6: locations.E: tag !!binary is not allowed",
    ),
    "set tag": (
        HEADER + "locations: !!set {a, b}\n",
        "bomb.yaml:3:12: locations: tag !!set is not allowed",
    ),
    "local tag": (
        HEADER + "locations:\n  E:\n    X: !secret {active: true}\n",
        "bomb.yaml:5:8: locations.E.X: tag !secret is not allowed",
    ),
    "latin-1 bytes": (
        HEADER.encode() + b"locations:\n  Caf\xe9: {}\n",
        "bomb.yaml:4:6: not UTF-8 text (byte 0xe9): save the file as UTF-8",
    ),
    "utf-16": (
        VALID.encode("utf-16"),
        "bomb.yaml:1:1: UTF-16 text: save the file as UTF-8",
    ),
    "binary file": (
        b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)),
        "bomb.yaml: binary file, not a YAML manifest",
    ),
    "control character": (
        HEADER + "locations:\n  E\x07: {}\n",
        "bomb.yaml:4:4: YAML syntax error: control characters are not allowed (#x0007)",
    ),
    "two documents": (
        VALID + "---\n" + VALID,
        "bomb.yaml:6:1: a second YAML document starts here: write one manifest per file",
    ),
}


@pytest.mark.parametrize("case", list(MANIFEST_CASES))
def test_hostile_manifest_is_one_clear_problem(tmp_path, case):
    content, expected = MANIFEST_CASES[case]
    code, stderr = validate(tmp_path, "bomb.yaml", content)
    assert code == 1
    assert expected in stderr
    assert stderr.endswith("1 problem in 1 file: invalid\n")


def test_brackets_in_strings_are_text_not_nesting():
    """The pre-scan counts brackets as written; where they are text, the whole file is read."""
    deep = "[" * 10_000
    text = f'a: "{deep}"\nb: |\n  {"{" * 100}\nc: [[1]]\n'
    parsed = parse_yaml(text, "x.yaml")
    assert parsed.problems == []
    assert parsed.document == {"a": deep, "b": "{" * 100 + "\n", "c": [[1]]}


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = HEADER + f"locations: !!python/object/apply:os.system ['touch {marker}']\n"
    code, stderr = validate(tmp_path, "evil.yaml", text)
    assert code == 1
    assert "evil.yaml:3:12: locations: tag !!python/object/apply:os.system is not allowed" in stderr
    assert not marker.exists()
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, "evil.yaml")
    assert str(caught.value).startswith("evil.yaml:3:12: locations: tag !!python/object/apply")
    assert not marker.exists()


def test_alias_bomb_is_refused_by_the_library_before_expanding():
    with pytest.raises(ManifestError) as caught:
        parse_manifest(_alias_bomb(), "bomb.yaml")
    assert "aliases expand to more than 1,000,000 values" in str(caught.value)


def _write_big_manifest(path: Path, size: int) -> None:
    line = "    SKU-{:09d}: {{active: true, available: 5, damaged: 0}}\n"
    chunk = "".join(line.format(n) for n in range(20_000)).encode()
    with open(path, "wb") as handle:
        handle.write((HEADER + "locations:\n  Warehouse East:\n").encode())
        while handle.tell() < size:
            handle.write(chunk)
        handle.truncate(size)


def test_100_mb_manifest_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    _write_big_manifest(big, 100 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(ManifestError) as caught:
            load_manifests([tmp_path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
    (problem,) = caught.value.problems
    assert problem.source.file == str(big)
    assert problem.message == (
        "100.0 MiB is over the 16 MiB limit for one manifest file: split it into several files "
        "(one per location, say) in a folder"
    )
    result = invoke("validate", big)
    assert result.exit_code == 1
    assert f"{big}: 100.0 MiB is over the 16 MiB limit" in result.stderr


def test_manifest_just_over_the_limit_is_refused_and_at_the_limit_read(tmp_path):
    over = tmp_path / "over.yaml"
    over.write_bytes(VALID.encode() + b"#" * (MAX_MANIFEST_BYTES - len(VALID) + 1))
    with pytest.raises(ManifestError, match=r"over\.yaml: 16\.0 MiB is over the 16 MiB limit"):
        load_manifests([over])
    at = tmp_path / "at.yaml"
    at.write_bytes(VALID.encode() + b"#" * (MAX_MANIFEST_BYTES - len(VALID)))
    assert len(load_manifests([at]).levels) == 1
    with pytest.raises(ManifestError, match=r"<big>: 16\.0 MiB is over the 16 MiB limit"):
        parse_manifest(VALID + "#" * (MAX_MANIFEST_BYTES - len(VALID) + 1), "<big>")


def test_symlink_loop_in_a_manifest_folder_is_reported_once(tmp_path):
    root = tmp_path / "stores"
    (root / "us").mkdir(parents=True)
    (root / "us" / "east.yaml").write_text(VALID)
    os.symlink("..", root / "us" / "up")  # stores/us/up -> stores
    os.symlink("self.yaml", root / "self.yaml")  # a link to itself
    os.symlink("missing.yaml", root / "gone.yaml")  # dangling
    result = invoke("validate", root)
    assert result.exit_code == 1
    lines = result.stderr.replace(str(tmp_path) + os.sep, "").splitlines()
    assert lines == [
        "stores/gone.yaml: broken symbolic link to missing.yaml",
        "stores/self.yaml: symbolic link loop: the link leads back to itself",
        "stores/us/up: symbolic link loop: the link leads back to a folder above it; skipped",
        "3 problems in 3 files: invalid",
    ]


def test_symlink_loop_alone_still_validates_the_real_files(tmp_path):
    (tmp_path / "east.yaml").write_text(VALID)
    os.symlink(".", tmp_path / "again")
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path])
    assert [p.message for p in caught.value.problems] == [
        "symbolic link loop: the link leads back to a folder above it; skipped"
    ]


# --- emulator state files ---------------------------------------------------------------------

STATE_CASES = {
    "not JSON": (b"{", "not valid JSON: line 1, column 2: Expecting property name"),
    "truncated": (
        (QUICKSTART / "store.json").read_bytes()[:100],
        "not valid JSON: line",
    ),
    "not UTF-8": (b'{"shop": "caf\xe9"}', "byte 0xe9 at offset 13 is not UTF-8 text"),
    "nested 100,000 deep": (b"[" * 100_000, "JSON nested too deeply"),
    "a list": (b"[]", "invalid emulator state:\n  - the top level must be a JSON object"),
    "bad shop": (b'{"shop": 5}', "shop: required, a non-empty string"),
    "level refs of the wrong type": (
        b'{"shop": "a.myshopify.com", "levels": [{"item": [], "location": {}}]}',
        "levels[0].item: must be an inventory item id such as gid://shopify/InventoryItem/1\n"
        "  - levels[0].location: must be a location id such as gid://shopify/Location/1",
    ),
}


@pytest.mark.parametrize("case", list(STATE_CASES))
def test_invalid_state_file(tmp_path, case):
    content, expected = STATE_CASES[case]
    state = tmp_path / "bad.json"
    state.write_bytes(content)
    with pytest.raises(StateError) as caught:
        Emulator.load(state)
    assert str(caught.value).startswith(f"{state}: ")
    assert expected in str(caught.value)
    result = invoke("plan", QUICKSTART / "inventory.yaml", "--store", state)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {state}: ")
    assert expected in result.stderr


# --- plan files -------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """A saved quickstart plan: (plan path, store path, document)."""
    store = tmp_path / "store.json"
    shutil.copy(QUICKSTART / "store.json", store)
    simulated_clock(store)
    out = tmp_path / "plan.json"
    result = invoke("plan", QUICKSTART / "inventory.yaml", "--store", store, "-o", out)
    assert result.exit_code == 0, result.output
    return out, store, json.loads(out.read_text())


def _adjust(document: dict, quantity: str | None = None) -> dict:
    return next(c for c in document["changes"] if c["kind"] == "adjust"
                and quantity in (None, c["quantity"]))


def _write(path: Path, document) -> Path:
    path.write_text(json.dumps(document))
    return path


FILE_CASES = {
    "truncated": (
        # inside a string, so the error is not at the end of the file (a cut at half the
        # length landed inside or outside one depending on the plan's paths and versions)
        lambda raw: raw[: raw.index(b'"plan_id": "') + 20],
        "not valid JSON: line",
    ),
    "cut at the end": (lambda raw: raw.rstrip()[:-1], "(the file looks truncated)"),
    "empty": (lambda raw: b"", "not valid JSON (the file looks truncated): line 1, column 1"),
    "not JSON": (lambda raw: b"plan: yes\n", "not valid JSON: line 1, column 1: Expecting value"),
    "not UTF-8": (lambda raw: b"\xff\xfe" + raw, "not a plan file (not UTF-8 text)"),
    "a JSON list": (lambda raw: b"[1, 2]", "a plan file must hold a JSON object"),
    "nested 100,000 deep": (lambda raw: b"[" * 100_000, "not a plan file (JSON nested too deeply)"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_unreadable_plan_file(saved, case):
    out, store, _ = saved
    edit, expected = FILE_CASES[case]
    out.write_bytes(edit(out.read_bytes()))
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(out)
    assert str(caught.value).startswith(f"{out}: ")
    assert expected in str(caught.value)
    result = invoke("apply", out, "--store", store, "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}: ") and expected in result.stderr


def _edit_quantity(d):
    _adjust(d)["after"] += 1000
    _adjust(d)["delta"] += 1000


EDIT_CASES = {
    "newer format": (
        lambda d: d.update(format_version=2),
        "the plan file has format_version 2, newer than this syncer reads (1); upgrade syncer",
    ),
    "no format version": (
        lambda d: d.pop("format_version"),
        "this is not a syncer plan file (no format_version)",
    ),
    "a change edited": (
        _edit_quantity,
        "the plan's changes do not match its fingerprint",
    ),
    "summary edited": (
        lambda d: d["summary"].update(to_adjust=99),
        "the plan file was edited after it was saved; make the plan again",
    ),
    "summary given a key": (
        lambda d: d["summary"].update(adjust=99),
        "the plan file is malformed (summary: Additional properties are not allowed ('adjust' "
        "was unexpected)); make the plan again",
    ),
    "a quantity below zero": (  # only `available` may go below zero (oversold)
        lambda d: _adjust(d, "damaged").update(after=-1,
                                               delta=-1 - _adjust(d, "damaged")["before"]),
        "the plan file is malformed (changes[4].after: -1 is less than the minimum of 0)",
    ),
    "available below zero passes the schema": (  # then the fingerprint says it was edited
        lambda d: _adjust(d, "available").update(after=-1,
                                                 delta=-1 - _adjust(d, "available")["before"]),
        "the plan's changes do not match its fingerprint",
    ),
    "fingerprint edited": (
        lambda d: d.update(fingerprint="0" * 64),
        "the plan's changes do not match its fingerprint 000000000000",
    ),
    "fingerprint not a string": (
        lambda d: d.update(fingerprint=5),
        "the plan file is malformed (fingerprint is not a string)",
    ),
    "steps not a list": (
        lambda d: d.update(steps=7),
        "the plan file is malformed (steps is not a list)",
    ),
    "a step not an object": (
        lambda d: d.update(steps=[1]),
        "the plan file is malformed (steps[0] is not an object)",
    ),
    "a change not an object": (
        lambda d: d.update(changes=[1]),
        "the plan file is malformed (",
    ),
    "key missing": (
        lambda d: d.pop("document_digest"),
        "the plan file lacks document_digest; make the plan again",
    ),
    "recorded errors": (
        lambda d: d.update(errors=[{"message": "x"}]),
        "the plan file records errors",
    ),
}


@pytest.mark.parametrize("case", list(EDIT_CASES))
def test_edited_plan_file(saved, case):
    out, store, document = saved
    edit, expected = EDIT_CASES[case]
    edited = copy.deepcopy(document)
    edit(edited)
    with pytest.raises(PlanFileError) as caught:
        load_plan_document(edited)
    assert expected in str(caught.value)
    _write(out, edited)
    with pytest.raises(PlanFileError, match=f"^{out}: "):
        read_plan_file(out)
    result = invoke("apply", out, "--store", store, "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}: ") and expected in result.stderr
    assert "Applying plan" not in result.stderr
    data = json.loads(store.read_text())
    del data["clock"]  # the fixture's simulated clock; nothing else was written
    assert data == json.loads((QUICKSTART / "store.json").read_text())


def test_plan_for_another_store_is_refused(saved, tmp_path):
    out, _, _ = saved
    other = tmp_path / "other.json"
    shutil.copy(QUICKSTART / "store.json", other)
    result = invoke("apply", out, "--store", other, "--auto-approve")
    assert result.exit_code == 4
    assert f"the plan was made for store {tmp_path / 'store.json'}, not {other}" in result.stderr
    assert json.loads(other.read_text()) == json.loads((QUICKSTART / "store.json").read_text())


# --- GraphQL answers --------------------------------------------------------------------------


class FakeTransport:
    """The emulator in process, with each answer passed through ``tamper(document, body)``."""

    def __init__(self, tamper, state: Path = QUICKSTART / "store.json"):
        self.emulator = Emulator.load(state, clock=VirtualClock())
        self.emulator.path = None
        self._inner = LocalTransport(
            self.emulator.handle, sleep=self.emulator.clock.sleep, clock=self.emulator.clock.now
        )
        self.tamper = tamper
        self.calls = 0
        self.cost_points = 0.0

    def execute(self, document: str, variables: dict | None = None) -> dict:
        body = self._inner.execute(document, variables)
        self.calls, self.cost_points = self._inner.calls, self._inner.cost_points
        return self.tamper(document, copy.deepcopy(body))

    last_resent = property(lambda self: self._inner.last_resent)

    def expect_cost(self, document: str, points: float) -> None:
        self._inner.expect_cost(document, points)

    def wait(self, seconds: float) -> None:
        self._inner.wait(seconds)


def _on(operation: str, change):
    """A tamper that applies ``change(body)`` (returning the new body) to one operation."""

    def tamper(document: str, body: dict):
        return change(body) if f"query {operation}(" in document else body

    return tamper


def _first_level(body: dict) -> dict:
    """The first level node of a point-read or scan answer."""
    data = body["data"]
    if "location" in data:
        return data["location"]["inventoryLevels"]["nodes"][0]
    return next(v for k, v in data["l0"].items() if k[:1] == "i" and k[1:].isdigit() and v)


def _levels_op(document: str) -> bool:
    return "query SyncerLevelsByItem(" in document or "query SyncerLocationLevels(" in document


def _on_levels(change):
    def tamper(document: str, body: dict):
        return change(body) if _levels_op(document) else body

    return tamper


def _drop(key):
    def change(body):
        del _first_level(body)[key]
        return body

    return change


def _set_quantity(body):
    _first_level(body)["quantities"][0]["quantity"] = "5"
    return body


def _twice(body):
    rows = _first_level(body)["quantities"]
    rows.append(dict(rows[0]))
    return body


def _cost_as_number(body):
    body["data"]["inventoryItems"]["nodes"][0]["unitCost"] = {"amount": 8.5,
                                                              "currencyCode": "EUR"}
    return body


def _same(value):
    return lambda body: value


def _set_data(path, value):
    def change(body):
        target = body["data"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return body

    return change


UNKNOWN = {"message": "Something new went wrong: ask support (ref 7f3a)",
           "extensions": {"code": "SHINY_NEW_CODE"}}

ANSWER_CASES = {
    "unknown error code": (
        _on("SyncerLocations", lambda b: {"errors": [UNKNOWN]}),
        "Shopify answered with errors: SHINY_NEW_CODE: Something new went wrong: ask support "
        "(ref 7f3a)",
    ),
    "error without a code": (
        _on("SyncerItemsBySku", lambda b: {"errors": [{"message": "Internal error. Looks like "
                                                                  "something went wrong."}]}),
        "Shopify answered with errors: Internal error. Looks like something went wrong.",
    ),
    "errors as an object": (
        _on("SyncerLocations", _same({"errors": {"query": "Required parameter missing"}})),
        "Shopify answered with errors: (no message)",
    ),
    "errors as a number": (
        _on("SyncerLocations", _same({"errors": 42})),
        "Shopify answered with errors: 42",
    ),
    "answer not an object": (
        _on("SyncerLocations", _same([1, 2])),
        "the store answered [1, 2], not a GraphQL JSON object",
    ),
    "no data": (
        _on("SyncerLocations", _same({"data": None})),
        "the store answered without data",
    ),
    "locations missing": (
        _on("SyncerLocations", _same({"data": {}})),
        "malformed answer from the store: locations is null, not a connection",
    ),
    "locations not paged": (
        _on("SyncerLocations", _set_data(("locations", "pageInfo"), None)),
        "malformed answer from the store: locations has no pageInfo {hasNextPage endCursor}",
    ),
    "next page without cursor": (
        _on("SyncerLocations", _set_data(("locations", "pageInfo"),
                                         {"hasNextPage": True, "endCursor": None})),
        "malformed answer from the store: locations has a next page but no endCursor",
    ),
    "the same cursor forever": (
        _on("SyncerLocations", _same({"data": {"locations": {
            "pageInfo": {"hasNextPage": True, "endCursor": "again"}, "nodes": []}}})),
        "locations returned the same endCursor 'again' twice; stopped paging",
    ),
    "location without id": (
        _on("SyncerLocations", _set_data(("locations", "nodes"), [{"name": "Warehouse East"}])),
        "malformed answer from the store: a location field 'id' is missing in "
        '{"name": "Warehouse East"}',
    ),
    "item nodes not a list": (
        _on("SyncerItemsBySku", _set_data(("inventoryItems", "nodes"), "lots")),
        "malformed answer from the store: inventoryItems has no nodes list",
    ),
    "level without item": (
        _on_levels(_drop("item")),
        "malformed answer from the store: inventory level gid://shopify/InventoryLevel/",
    ),
    "level without isActive": (
        _on_levels(_drop("isActive")),
        "field 'isActive' is missing in",
    ),
    "quantity as text": (
        _on_levels(_set_quantity),
        "field 'quantity' is \"5\" in",
    ),
    "a quantity twice": (
        _on_levels(_twice),
        "has quantity available twice",
    ),
    "unit cost as a number": (
        _on("SyncerItemsBySku", _cost_as_number),
        "has unitCost {\"amount\": 8.5, \"currencyCode\": \"EUR\"}, not {amount currencyCode}",
    ),
}


@pytest.mark.parametrize("case", list(ANSWER_CASES))
def test_malformed_answer_to_the_reader(case):
    tamper, expected = ANSWER_CASES[case]
    desired = load_manifests([QUICKSTART / "inventory.yaml"])
    with pytest.raises(StoreError) as caught:
        read_live(FakeTransport(tamper), desired)
    assert isinstance(caught.value, RemoteError)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_level_without_item_names_the_missing_field():
    desired = load_manifests([QUICKSTART / "inventory.yaml"])
    with pytest.raises(RemoteError) as caught:
        read_live(FakeTransport(_on_levels(_drop("item"))), desired)
    assert "field 'item' is missing in" in str(caught.value)


def test_unknown_user_error_codes_are_kept_verbatim():
    payload = {"userErrors": [
        {"code": "BRAND_NEW_CODE", "field": ["input", "changes", "0"], "message": "Brand new."},
        "a bare string",
    ]}
    assert decode.user_errors(payload) == [
        {"code": "BRAND_NEW_CODE", "field": ["input", "changes", "0"], "message": "Brand new."},
        {"code": None, "field": None, "message": "a bare string"},
    ]
    with pytest.raises(RemoteError, match="userErrors is 7"):
        decode.user_errors({"userErrors": 7})


# --- the same answers over HTTP, through the CLI -----------------------------------------------


class TamperServer(ThreadingHTTPServer):
    """An emulator over HTTP whose answers pass through ``tamper(document, status, body)``.

    ``tamper`` returns ``(status, body)`` or ``(status, body, headers)``; a ``bytes`` body is
    sent as it is.
    """

    daemon_threads = True

    def __init__(self, emulator: Emulator, tamper=None):
        super().__init__(("127.0.0.1", 0), _TamperHandler)
        self.emulator = emulator
        self.tamper = tamper or (lambda document, status, body: (status, body))
        self.requests: list[dict] = []

    @property
    def store(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _TamperHandler(BaseHTTPRequestHandler):
    server: TamperServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as the emulator's server: no delayed-ACK stalls

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw)
        self.server.requests.append({"headers": dict(self.headers), "body": body})
        status, payload = self.server.emulator.handle(body, dict(self.headers), self.path)
        status, payload, *extra = self.server.tamper(body.get("query", ""), status, payload)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002
        pass


def _http(change):
    def tamper(document, status, body):
        return (status, change(document, body)) if status == 200 else (status, body)

    return tamper


HTTP_CASES = {
    "unknown error code": (
        _http(lambda d, b: {"errors": [UNKNOWN]} if "SyncerLocations" in d else b),
        "Error: Shopify answered with errors: SHINY_NEW_CODE: Something new went wrong: ask "
        "support (ref 7f3a)",
    ),
    "level without item": (
        _http(lambda d, b: _drop("item")(b) if _levels_op(d) else b),
        "Error: malformed answer from the store: inventory level gid://shopify/InventoryLevel/",
    ),
    "locations missing": (
        _http(lambda d, b: {"data": {}} if "SyncerLocations" in d else b),
        "Error: malformed answer from the store: locations is null, not a connection",
    ),
    "not JSON": (
        lambda d, s, b: (200, b"<html>Oops</html>"),
        "did not answer with GraphQL JSON",
    ),
    "HTTP 404": (
        lambda d, s, b: (404, {"errors": "Not Found"}),
        "has no GraphQL endpoint for API version 2026-10 (HTTP 404)",
    ),
}


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_malformed_answer_over_http_is_one_line(case):
    tamper, expected = HTTP_CASES[case]
    emulator = Emulator.load(QUICKSTART / "store.json")
    emulator.path = None
    with TamperServer(emulator, tamper) as server:
        result = invoke("plan", QUICKSTART / "inventory.yaml", "--store", server.store)
    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and expected in error_lines[0], result.stderr
    assert result.stdout == ""
