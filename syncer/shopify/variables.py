"""The variables of the documents in ``documents.py``: checked, shaped as Shopify wants them.

Pure: no I/O. Reads take point-read groups and SKU searches; the apply mutation takes one set of
variables per aliased field: build a field's arguments with ``activate_variables``,
``bulk_toggle_variables``, ``adjust_variables`` or ``deactivate_variables``, then name them for
field ``s{i}`` with ``apply_field_variables``. Every mutation but a bulk toggle carries its
idempotency key; every quantity change its ``changeFromQuantity`` (compare-and-set).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncer.model import ADJUSTABLE
from syncer.shopify.documents import MAX_INPUT_ITEMS

#: ``inventoryAdjustQuantities`` reasons (the schema's description of ``reason`` lists them).
ADJUST_REASONS = (
    "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
    "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock",
    "safety_stock", "shrinkage",
)


def levels_by_item_variables(groups: Sequence[tuple[str, Sequence[str]]]) -> dict[str, Any]:
    """Variables for ``levels_by_item_query`` from ``(location_id, item_ids)`` groups."""
    variables: dict[str, str] = {}
    for i, (location_id, item_ids) in enumerate(groups):
        variables[f"l{i}"] = location_id
        for j, item_id in enumerate(item_ids):
            variables[f"l{i}i{j}"] = item_id
    return variables


def sku_search(skus: Iterable[str]) -> str:
    """An ``inventoryItems`` search matching any of ``skus``, quoting where needed.

    >>> sku_search(["TSHIRT-RED-M", "MUG OLD", 'say "hi"'])
    'sku:TSHIRT-RED-M OR sku:"MUG OLD" OR sku:"say \\\\"hi\\\\""'
    """
    return " OR ".join(f"sku:{_search_value(sku)}" for sku in skus)


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")


def _search_value(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.upper() not in ("AND", "OR", "NOT"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the apply mutation's fields --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuantityChange:
    """One change of an ``inventoryAdjustQuantities`` call; CAS on ``change_from``."""

    item_id: str
    location_id: str
    delta: int
    change_from: int
    ledger_document_uri: str | None = None


def _key(key: str) -> str:
    if not key or not key.strip():
        raise ValueError("an idempotency key must not be empty")
    return key


def activate_variables(item_id: str, location_id: str, key: str) -> dict[str, Any]:
    """Arguments of an ``activate`` field: quantities are left to Shopify (0, or kept)."""
    return {"inventoryItemId": item_id, "locationId": location_id, "idempotencyKey": _key(key)}


def deactivate_variables(level_id: str, key: str) -> dict[str, Any]:
    """Arguments of a ``deactivate`` field."""
    return {"inventoryLevelId": level_id, "idempotencyKey": _key(key)}


def bulk_toggle_variables(item_id: str, updates: Iterable[tuple[str, bool]]) -> dict[str, Any]:
    """Arguments of a ``bulk_toggle`` field from ``(location_id, activate)`` pairs."""
    rows = [{"locationId": loc, "activate": bool(on)} for loc, on in updates]
    if not rows or len(rows) > MAX_INPUT_ITEMS:
        raise ValueError(f"inventoryBulkToggleActivation takes 1 to {MAX_INPUT_ITEMS} updates")
    return {"inventoryItemId": item_id, "inventoryItemUpdates": rows}


def adjust_variables(
    name: str,
    reason: str,
    reference_uri: str | None,
    changes: Sequence[QuantityChange],
    key: str,
) -> dict[str, Any]:
    """Arguments of an ``adjust`` field: every change carries ``changeFromQuantity`` (CAS)."""
    if name not in ADJUSTABLE:
        raise ValueError(f"{name!r} is not an adjustable quantity ({', '.join(ADJUSTABLE)})")
    if not changes or len(changes) > MAX_INPUT_ITEMS:
        raise ValueError(f"inventoryAdjustQuantities takes 1 to {MAX_INPUT_ITEMS} changes")
    rows = []
    for change in changes:
        row = {
            "delta": change.delta,
            "inventoryItemId": change.item_id,
            "locationId": change.location_id,
            "changeFromQuantity": change.change_from,
        }
        if change.ledger_document_uri is not None:
            row["ledgerDocumentUri"] = change.ledger_document_uri
        rows.append(row)
    payload = {"name": name, "reason": reason, "changes": rows}
    if reference_uri is not None:
        payload["referenceDocumentUri"] = reference_uri
    return {"input": payload, "idempotencyKey": _key(key)}


def apply_field_variables(i: int, kind: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables of field ``s{i}`` of ``apply_document`` from its arguments.

    ``variables`` comes from ``activate_variables``, ``bulk_toggle_variables``,
    ``adjust_variables`` or ``deactivate_variables``.
    """
    if kind == "activate":
        return {f"item{i}": variables["inventoryItemId"],
                f"location{i}": variables["locationId"], f"key{i}": variables["idempotencyKey"]}
    if kind == "bulk_toggle":
        return {f"item{i}": variables["inventoryItemId"],
                f"updates{i}": variables["inventoryItemUpdates"]}
    if kind == "adjust":
        return {f"input{i}": variables["input"], f"key{i}": variables["idempotencyKey"]}
    if kind == "deactivate":
        return {f"level{i}": variables["inventoryLevelId"], f"key{i}": variables["idempotencyKey"]}
    raise ValueError(f"unknown apply field kind {kind!r}")
