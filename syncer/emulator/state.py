"""The emulator's state file: load and validate it, and save it back atomically.

The format is documented in ``syncer/emulator/README.md``.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from syncer.emulator.faults import FaultConfig, FaultConfigError
from syncer.emulator.oauth import apps_from_state
from syncer.emulator.records import STORED, Discount, Item, Level, Location, gid_number
from syncer.emulator.state_schema import schema_problems
from syncer.emulator.store import KEY_REPLAY_MODES, PLAN_RESTORE_RATES, TIMINGS, Store

IDEMPOTENCY_FIELDS = ("field", "key", "fingerprint", "response")


class StateError(Exception):
    """The emulator state file is missing, not JSON, or does not describe a valid shop."""


def load_state(path: str | os.PathLike) -> Store:
    """Read and validate a state file; raises ``StateError`` naming the file and every problem."""
    path = Path(path)
    # The cyclic collector would walk the growing document and store again and again while
    # they are built (millions of objects, none in a cycle); it runs again after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(path)
    finally:
        if collecting:
            gc.enable()


def _load(path: Path) -> Store:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateError(f"{path}: cannot read the emulator state file: {exc.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StateError(
            f"{path}: not an emulator state file: byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} is not UTF-8 text"
        ) from None
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{path}: not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise StateError(f"{path}: not an emulator state file: JSON nested too deeply") from None
    del raw  # the document is what the store is built from; the bytes can go
    return store_from_state(data, source=str(path))


def store_from_state(data: object, source: str = "<state>") -> Store:
    """Build a ``Store`` from parsed state; raises ``StateError`` listing every problem.

    The shape of every field is checked against ``state.schema.json``; what a schema cannot say
    (a level's item and location exist, ids are unique) is checked while building.
    """
    problems = schema_problems(data)
    store = _build(data, problems) if isinstance(data, dict) else Store(shop="")
    if problems:
        raise StateError(f"{source}: invalid emulator state:\n  - " + "\n  - ".join(problems))
    return store


def _build(data: dict, problems: list[str]) -> Store:
    """The store from ``data``, skipping what the schema already reported as malformed."""
    shop, token = data.get("shop"), data.get("access_token")
    store = Store(shop=shop if isinstance(shop, str) else "",
                  access_token=token if isinstance(token, str) and token else None)
    throttle = _valid(data, "throttle", dict) or {}
    if throttle.get("plan") in PLAN_RESTORE_RATES:
        rate = PLAN_RESTORE_RATES[throttle["plan"]]
        store.throttle.update(plan=throttle["plan"], restoreRate=rate, maximumAvailable=20 * rate)
    for key in ("maximumAvailable", "restoreRate"):
        value = throttle.get(key)
        if _number(value) and value > 0:
            store.throttle[key] = value
    for i, raw in enumerate(_valid(data, "locations", list) or []):
        gid, name = _ref(raw, "id"), _ref(raw, "name")
        if gid in store.locations:
            problems.append(f"locations[{i}].id: duplicate location {gid}")
        elif gid_number(gid, "Location") is not None and name:
            store.locations[gid] = Location(gid, name)
    for i, raw in enumerate(_valid(data, "items", list) or []):
        gid, sku = _ref(raw, "id"), _ref(raw, "sku")
        if gid in store.items:
            problems.append(f"items[{i}].id: duplicate inventory item {gid}")
        elif gid_number(gid, "InventoryItem") is not None:
            cost = raw.get("unit_cost") if isinstance(raw, dict) else None
            store.items[gid] = Item(gid, sku if isinstance(sku, str) else None,
                                    dict(cost) if isinstance(cost, dict) else None)
    _levels(store, _valid(data, "levels", list) or [], problems)
    _discounts(store, _valid(data, "discounts", list) or [], problems)
    for i, raw in enumerate(_valid(data, "metafields", list) or []):
        row = {k: _ref(raw, k) for k in METAFIELD_FIELDS}
        if all(isinstance(v, str) for v in row.values()):
            store.metafields[(row["namespace"], row["key"])] = {
                "id": i + 1, **row, "createdAt": raw.get("createdAt") or "2026-01-01T00:00:00Z",
                "updatedAt": raw.get("updatedAt") or "2026-01-01T00:00:00Z"}
    for raw in _valid(data, "idempotency", list) or []:
        field, key, fingerprint, response = (_ref(raw, k) for k in IDEMPOTENCY_FIELDS)
        if all(isinstance(v, str) for v in (field, key, fingerprint)) \
                and isinstance(response, dict):
            store.idempotency[(field, key)] = {"fingerprint": fingerprint, "response": response}
    store.apps = apps_from_state(data.get("apps"))
    faults = _valid(data, "faults", dict)
    if faults is not None:
        try:
            store.faults = FaultConfig.from_dict(faults)
        except FaultConfigError as exc:
            problems += [f"faults.{name}: {message}" if name != "faults" else f"faults: {message}"
                         for name, message in exc.problems]
    if data.get("key_replay") in KEY_REPLAY_MODES:
        store.key_replay = data["key_replay"]
    if data.get("timing") in TIMINGS:
        store.timing = data["timing"]
    seq = data.get("adjustment_group_seq")
    if type(seq) is int and seq >= 0:
        store.adjustment_group_seq = seq
    clock = data.get("clock")
    if isinstance(clock, str):
        try:
            store.clock = datetime.fromisoformat(clock).timestamp()
        except ValueError:  # the schema's pattern passed it (else it said so): 2026-13-01...
            if not any(p.startswith("clock:") for p in problems):
                problems.append(f"clock: {clock!r} is not a date and time (write it as "
                                "2026-04-01T00:00:00Z)")
    return store


def clock_text(seconds: float) -> str:
    """A simulated clock's time as the state file keeps it (UTC, to the microsecond)."""
    text = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")
    return text.replace(".000000+00:00", "Z").replace("+00:00", "Z")


def _levels(store: Store, raws: list, problems: list[str]) -> None:
    pending: list[Level] = []
    ids: set[int] = set()
    for i, raw in enumerate(raws):
        if not isinstance(raw, dict):
            continue
        where = f"levels[{i}]"
        item, location = raw.get("item"), raw.get("location")
        ok = isinstance(item, str) and isinstance(location, str)
        if isinstance(item, str) and item not in store.items:
            problems.append(f"{where}.item: unknown inventory item {item!r}")
            ok = False
        if isinstance(location, str) and location not in store.locations:
            problems.append(f"{where}.location: unknown location {location!r}")
            ok = False
        level_id = raw.get("id")
        if level_id is not None:
            if type(level_id) is not int or level_id < 1:
                ok = False
            elif level_id in ids:
                problems.append(f"{where}.id: duplicate level id {level_id}")
                ok = False
            else:
                ids.add(level_id)
        if ok and (item, location) in store.levels:
            problems.append(f"{where}: a second level for {item} at {location}")
            ok = False
        if ok:
            quantities = raw.get("quantities")
            quantities = quantities if isinstance(quantities, dict) else {}
            # The item's and location's own id strings, not the file's copies: a million
            # levels would otherwise keep two million strings once the document is gone.
            item, location = store.items[item].id, store.locations[location].id
            level = Level(level_id or 0, item, location, raw.get("active") is not False,
                          {n: int(q) for n, q in quantities.items()
                           if n in STORED and _number(q) and q == int(q)})
            for name in STORED:
                level.quantities.setdefault(name, 0)
            store.levels[(item, location)] = level
            pending.append(level)
    next_id = max(ids, default=0) + 1
    for level in pending:
        if not level.id:
            level.id, next_id = next_id, next_id + 1


def _discounts(store: Store, raws: list, problems: list[str]) -> None:
    codes: dict[str, str] = {}  # codes are unique in a store, ignoring case
    for i, raw in enumerate(raws):
        gid, title, starts, ends, code = (
            _ref(raw, k) for k in ("id", "title", "startsAt", "endsAt", "code"))
        code = code if isinstance(code, str) else None
        if code is not None and code.casefold() in codes:
            problems.append(f"discounts[{i}].code: {code!r} is also the code of "
                            f"{codes[code.casefold()]} (codes are unique in a store, ignoring "
                            "case)")
        elif gid_number(gid, "DiscountCodeNode") is not None and isinstance(title, str) \
                and isinstance(starts, str):
            store.discounts[gid] = Discount(gid, title, starts,
                                            ends if isinstance(ends, str) else None, code)
            if code is not None:
                codes[code.casefold()] = gid


METAFIELD_FIELDS = ("namespace", "key", "type", "value")


def _valid(data: dict, key: str, kind: type):
    value = data.get(key)
    return value if isinstance(value, kind) else None


def _ref(raw: object, key: str):
    return raw.get(key) if isinstance(raw, dict) else None


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def state_from_store(store: Store) -> dict:
    """The JSON document for a store (the inverse of ``store_from_state``)."""
    data: dict = {"shop": store.shop}
    if store.access_token:
        data["access_token"] = store.access_token
    if store.apps:
        data["apps"] = [dict(app) for app in store.apps]
    data["throttle"] = dict(store.throttle)
    data["locations"] = [{"id": lo.id, "name": lo.name} for lo in store.locations.values()]
    data["items"] = [{"id": it.id, "sku": it.sku,
                      **({"unit_cost": dict(it.unit_cost)} if it.unit_cost else {})}
                     for it in store.items.values()]
    data["levels"] = [
        {"id": lv.id, "item": lv.item, "location": lv.location, "active": lv.active,
         "quantities": {n: lv.quantities.get(n, 0) for n in STORED}}
        for lv in sorted(store.levels.values(), key=lambda lv: lv.id)
    ]
    if store.discounts:
        data["discounts"] = [{"id": d.id, "title": d.title, "code": d.code,
                              "startsAt": d.starts_at, "endsAt": d.ends_at}
                             for d in store.discounts.values()]
    data["idempotency"] = [
        {"field": f, "key": k, "fingerprint": v["fingerprint"], "response": v["response"]}
        for (f, k), v in store.idempotency.items()
    ]
    if store.metafields:
        data["metafields"] = [
            {k: row[k] for k in (*METAFIELD_FIELDS, "createdAt", "updatedAt")}
            for row in sorted(store.metafields.values(), key=lambda row: row["id"])]
    data["adjustment_group_seq"] = store.adjustment_group_seq
    if store.key_replay != "cached":
        data["key_replay"] = store.key_replay
    if store.timing is not None:
        data["timing"] = store.timing
    if store.faults is not None:
        data["faults"] = store.faults.to_dict()
    if store.clock is not None:
        data["clock"] = clock_text(store.clock)
    return data


def save_state(path: str | os.PathLike, data: dict) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file in the same folder, fsync,
    rename), through a symlink onto its target so that the link stays, keeping the file's mode;
    a path that is neither a file nor a symlink to one (a FIFO, a device) is written in place.
    """
    path = Path(os.path.realpath(path))
    text = json.dumps(data, indent=2) + "\n"
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if path.exists():
                os.fchmod(handle.fileno(), stat.S_IMODE(path.stat().st_mode))
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
