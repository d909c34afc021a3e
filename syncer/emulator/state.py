"""The emulator's state file: load and validate it, and save it back atomically.

The format is documented in ``syncer/emulator/README.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from syncer.emulator.faults import FaultConfig, FaultConfigError
from syncer.emulator.store import (
    KEY_REPLAY_MODES,
    PLAN_RESTORE_RATES,
    STORED,
    Discount,
    Item,
    Level,
    Location,
    Store,
    gid_number,
)


class StateError(Exception):
    """The emulator state file is missing, not JSON, or does not describe a valid shop."""


def load_state(path: str | os.PathLike) -> Store:
    """Read and validate a state file; raises ``StateError`` naming the file and every problem."""
    path = Path(path)
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
    return store_from_state(data, source=str(path))


def store_from_state(data: object, source: str = "<state>") -> Store:
    """Build a ``Store`` from parsed state; raises ``StateError`` listing every problem."""
    problems: list[str] = []
    store = _build(data, problems)
    if problems:
        raise StateError(f"{source}: invalid emulator state:\n  - " + "\n  - ".join(problems))
    return store


def _build(data: object, problems: list[str]) -> Store:
    if not isinstance(data, dict):
        problems.append("the top level must be a JSON object")
        return Store(shop="")
    known = {"shop", "access_token", "throttle", "locations", "items", "levels", "discounts",
             "idempotency", "adjustment_group_seq", "faults", "key_replay"}
    problems += [f"{k}: unknown field" for k in sorted(set(data) - known)]
    shop = data.get("shop")
    if not isinstance(shop, str) or not shop:
        problems.append("shop: required, a non-empty string such as demo.myshopify.com")
    token = data.get("access_token")
    if token is not None and not isinstance(token, str):
        problems.append("access_token: must be a string or null")
    store = Store(shop=shop if isinstance(shop, str) else "", access_token=token or None)
    throttle = data.get("throttle", {})
    if not isinstance(throttle, dict):
        problems.append("throttle: must be an object")
        throttle = {}
    plan = throttle.get("plan")
    if plan is not None and plan not in PLAN_RESTORE_RATES:
        problems.append(f"throttle.plan: must be one of {', '.join(PLAN_RESTORE_RATES)}")
    elif plan is not None:
        rate = PLAN_RESTORE_RATES[plan]
        store.throttle.update(plan=plan, restoreRate=rate, maximumAvailable=20 * rate)
    for key in ("maximumAvailable", "restoreRate"):
        value = throttle.get(key, store.throttle[key])
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(f"throttle.{key}: must be a positive number")
        else:
            store.throttle[key] = value
    for i, raw in enumerate(_list(data, "locations", problems)):
        where = f"locations[{i}]"
        if _object(raw, where, problems, {"id", "name"}):
            gid = _gid(raw.get("id"), "Location", f"{where}.id", problems)
            name = raw.get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{where}.name: required, a non-empty string")
            elif gid in store.locations:
                problems.append(f"{where}.id: duplicate location {gid}")
            elif gid:
                store.locations[gid] = Location(gid, name)
    for i, raw in enumerate(_list(data, "items", problems)):
        where = f"items[{i}]"
        if _object(raw, where, problems, {"id", "sku"}):
            gid = _gid(raw.get("id"), "InventoryItem", f"{where}.id", problems)
            sku = raw.get("sku")
            if sku is not None and not isinstance(sku, str):
                problems.append(f"{where}.sku: must be a string or null")
            elif gid in store.items:
                problems.append(f"{where}.id: duplicate inventory item {gid}")
            elif gid:
                store.items[gid] = Item(gid, sku)
    _levels(store, _list(data, "levels", problems), problems)
    _discounts(store, _list(data, "discounts", problems), problems)
    _idempotency(store, _list(data, "idempotency", problems), problems)
    if data.get("faults") is not None:
        try:
            store.faults = FaultConfig.from_dict(data["faults"])
        except FaultConfigError as exc:
            problems += [f"faults.{name}: {message}" if name != "faults" else f"faults: {message}"
                         for name, message in exc.problems]
    replay = data.get("key_replay", "cached")
    if replay not in KEY_REPLAY_MODES:
        problems.append(f"key_replay: must be one of {', '.join(KEY_REPLAY_MODES)}")
    else:
        store.key_replay = replay
    seq = data.get("adjustment_group_seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        problems.append("adjustment_group_seq: must be a non-negative integer")
    else:
        store.adjustment_group_seq = seq
    return store


def _levels(store: Store, raws: list, problems: list[str]) -> None:
    pending: list[Level] = []
    ids: set[int] = set()
    for i, raw in enumerate(raws):
        where = f"levels[{i}]"
        if not _object(raw, where, problems, {"id", "item", "location", "active", "quantities"}):
            continue
        item, location = raw.get("item"), raw.get("location")
        item = item if isinstance(item, str) else repr(item)
        location = location if isinstance(location, str) else repr(location)
        ok = True
        if item not in store.items:
            problems.append(f"{where}.item: unknown inventory item {raw.get('item')!r}")
            ok = False
        if location not in store.locations:
            problems.append(f"{where}.location: unknown location {raw.get('location')!r}")
            ok = False
        active = raw.get("active", True)
        if not isinstance(active, bool):
            problems.append(f"{where}.active: must be true or false")
        quantities = raw.get("quantities", {})
        if not isinstance(quantities, dict):
            problems.append(f"{where}.quantities: must be an object")
            quantities = {}
        for name, value in quantities.items():
            if name not in STORED:
                hint = " (on_hand is derived from the others)" if name == "on_hand" else ""
                problems.append(f"{where}.quantities.{name}: unknown quantity name{hint}; "
                                f"use {', '.join(STORED)}")
            elif isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{where}.quantities.{name}: must be an integer")
        level_id = raw.get("id")
        if level_id is not None:
            if isinstance(level_id, bool) or not isinstance(level_id, int) or level_id < 1:
                problems.append(f"{where}.id: must be a positive integer")
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
            level = Level(level_id or 0, item, location, active is not False,
                          {n: q for n, q in quantities.items() if n in STORED and type(q) is int})
            for name in STORED:
                level.quantities.setdefault(name, 0)
            store.levels[(item, location)] = level
            pending.append(level)
    next_id = max(ids, default=0) + 1
    for level in pending:
        if not level.id:
            level.id, next_id = next_id, next_id + 1


def _discounts(store: Store, raws: list, problems: list[str]) -> None:
    for i, raw in enumerate(raws):
        where = f"discounts[{i}]"
        if not _object(raw, where, problems, {"id", "title", "startsAt", "endsAt"}):
            continue
        gid = _gid(raw.get("id"), "DiscountCodeNode", f"{where}.id", problems)
        title, starts, ends = raw.get("title"), raw.get("startsAt"), raw.get("endsAt")
        if not isinstance(title, str) or not isinstance(starts, str):
            problems.append(f"{where}: title and startsAt are required strings")
        elif ends is not None and not isinstance(ends, str):
            problems.append(f"{where}.endsAt: must be a string or null")
        elif gid:
            store.discounts[gid] = Discount(gid, title, starts, ends)


def _idempotency(store: Store, raws: list, problems: list[str]) -> None:
    for i, raw in enumerate(raws):
        where = f"idempotency[{i}]"
        if not _object(raw, where, problems, {"field", "key", "fingerprint", "response"}):
            continue
        if not all(isinstance(raw.get(k), str) for k in ("field", "key", "fingerprint")) or \
                not isinstance(raw.get("response"), dict):
            problems.append(f"{where}: field, key and fingerprint are strings, response an object")
            continue
        store.idempotency[(raw["field"], raw["key"])] = {
            "fingerprint": raw["fingerprint"], "response": raw["response"]}


def _list(data: dict, key: str, problems: list[str]) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        problems.append(f"{key}: must be a list")
        return []
    return value


def _object(raw: object, where: str, problems: list[str], allowed: set[str]) -> bool:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return False
    problems += [f"{where}.{k}: unknown field" for k in sorted(set(raw) - allowed)]
    return True


def _gid(value: object, kind: str, where: str, problems: list[str]) -> str | None:
    if gid_number(value, kind) is None:
        problems.append(f"{where}: must look like gid://shopify/{kind}/<number>, got {value!r}")
        return None
    return value


def state_from_store(store: Store) -> dict:
    """The JSON document for a store (the inverse of ``store_from_state``)."""
    data: dict = {"shop": store.shop}
    if store.access_token:
        data["access_token"] = store.access_token
    data["throttle"] = dict(store.throttle)
    data["locations"] = [{"id": lo.id, "name": lo.name} for lo in store.locations.values()]
    data["items"] = [{"id": it.id, "sku": it.sku} for it in store.items.values()]
    data["levels"] = [
        {"id": lv.id, "item": lv.item, "location": lv.location, "active": lv.active,
         "quantities": {n: lv.quantities.get(n, 0) for n in STORED}}
        for lv in sorted(store.levels.values(), key=lambda lv: lv.id)
    ]
    if store.discounts:
        data["discounts"] = [{"id": d.id, "title": d.title, "startsAt": d.starts_at,
                              "endsAt": d.ends_at} for d in store.discounts.values()]
    data["idempotency"] = [
        {"field": f, "key": k, "fingerprint": v["fingerprint"], "response": v["response"]}
        for (f, k), v in store.idempotency.items()
    ]
    data["adjustment_group_seq"] = store.adjustment_group_seq
    if store.key_replay != "cached":
        data["key_replay"] = store.key_replay
    if store.faults is not None:
        data["faults"] = store.faults.to_dict()
    return data


def save_state(path: str | os.PathLike, data: dict) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
