"""Metafields on the shop: ``Shop.metafield``, ``Shop.metafields`` and ``metafieldsSet``.

syncer keeps its apply journal in app-owned shop metafields (one namespace per plan), so the
emulator keeps them too, in the state file's ``metafields``. What it models of Shopify
(assumptions are marked in the README): ``metafieldsSet`` sets up to 25 metafields at once, all
or none; a missing ``namespace`` is the app-reserved ``$app`` (kept literally, as are
``$app:...`` namespaces, which Shopify expands to the app's own); keys of 2-64 and namespaces of
3-255 letters, digits, ``-`` and ``_``; a ``type`` is required (no definitions here); ``json``
values must parse and, from 2026-04, be at most 128 KB; ``compareDigest`` is a SHA-256 of the
stored value (``null``: the metafield must not exist yet).
"""

from __future__ import annotations

import hashlib
import json
import re

from syncer.emulator.connections import connection
from syncer.emulator.records import SHOP_ID, user_error

MAX_PER_REQUEST = 25
#: 2026-04 on: JSON metafield writes are limited to 128 KB (Shopify changelog, 2026-02-19).
MAX_JSON_BYTES = 128 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_NAMESPACE = re.compile(r"^(?:\$app(?::[A-Za-z0-9_-]{1,250})?|[A-Za-z0-9_-]{3,255})$")
TYPES = ("json", "single_line_text_field", "multi_line_text_field", "number_integer", "boolean")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def metafields_set(store, inputs: list[dict], shop_id: str, now_iso: str) -> dict:
    """``metafieldsSet``: validate every input, then set them all (or none)."""
    errors = []
    if len(inputs) > MAX_PER_REQUEST:
        errors.append(_error(f"Exceeded the maximum metafields input limit of {MAX_PER_REQUEST}.",
                             ["metafields"], "LESS_THAN_OR_EQUAL_TO", None))
    for i, raw in enumerate(inputs):
        errors += _problems(store, raw, i, shop_id)
    if errors:
        return {"metafields": None, "userErrors": errors}
    written = []
    for raw in inputs:
        key = (raw.get("namespace") or "$app", raw["key"])
        old = store.metafields.get(key)
        row = {"id": old["id"] if old else _next_id(store),
               "namespace": key[0], "key": key[1], "value": raw["value"],
               "type": raw.get("type") or old["type"],
               "createdAt": old["createdAt"] if old else now_iso, "updatedAt": now_iso}
        store.metafields[key] = row
        written.append(row)
    return {"metafields": written, "userErrors": []}


def _next_id(store) -> int:
    return max((row["id"] for row in store.metafields.values()), default=0) + 1


def _problems(store, raw: dict, i: int, shop_id: str) -> list[dict]:
    path = ["metafields", str(i)]
    found = []
    if raw["ownerId"] != shop_id:
        found.append(_error("Owner does not exist.", [*path, "ownerId"], "INVALID", i))
    namespace = raw.get("namespace") or "$app"
    if not _NAMESPACE.match(namespace):
        found.append(_error("Namespace is invalid.", [*path, "namespace"], "INVALID", i))
    if not _KEY.match(raw["key"]):
        found.append(_error("Key is invalid.", [*path, "key"], "INVALID", i))
    old = store.metafields.get((namespace, raw["key"]))
    kind = raw.get("type") or (old["type"] if old else None)
    if kind is None:
        found.append(_error("Type can't be blank.", [*path, "type"], "BLANK", i))
    elif kind not in TYPES:
        found.append(_error("Type is invalid.", [*path, "type"], "INVALID_TYPE", i))
    elif kind == "json":
        try:
            json.loads(raw["value"])
        except ValueError:
            found.append(_error("Value is invalid JSON.", [*path, "value"], "INVALID_VALUE", i))
        if len(raw["value"].encode()) > MAX_JSON_BYTES:
            found.append(_error(f"Value exceeds the maximum size of {MAX_JSON_BYTES} bytes.",
                                [*path, "value"], "TOO_LONG", i))
    if "compareDigest" in raw:
        expected = raw["compareDigest"]
        actual = None if old is None else digest(old["value"])
        if expected != actual:
            found.append(_error("The resource has been updated since it was loaded. Try again "
                                "with an updated `compareDigest` value.",
                                [*path, "compareDigest"], "STALE_OBJECT", i))
    return found


def _error(message: str, field: list, code: str, index: int | None) -> dict:
    return {**user_error(message, field, code), "elementIndex": index}


def shop_metafields(store, namespace: str | None, keys: list | None) -> list[dict]:
    """The shop's metafields, by namespace and ``namespace.key`` keys if given, in the order
    they were first set (their id order)."""
    return [row for (ns, key), row in store.metafields.items()
            if (namespace is None or ns == namespace)
            and (keys is None or f"{ns}.{key}" in keys)]


def _shop_metafields(_shop, info, namespace=None, keys=None, **args):
    rows = shop_metafields(info.context.store, namespace, keys)
    return connection(rows, lambda row: row["id"], args)


def _shop_metafield(_shop, info, key, namespace=None):
    return info.context.store.metafields.get((namespace or "$app", key))


def _set(_root, info, metafields):
    context = info.context
    payload = metafields_set(context.store, metafields, SHOP_ID, context.now_iso)
    if not payload["userErrors"]:
        context.dirty = True
    return payload


RESOLVERS = {
    ("Shop", "metafields"): _shop_metafields,
    ("Shop", "metafield"): _shop_metafield,
    ("Mutation", "metafieldsSet"): _set,
    ("Metafield", "id"): lambda row, info: f"gid://shopify/Metafield/{row['id']}",
    ("Metafield", "compareDigest"): lambda row, info: digest(row["value"]),
}
