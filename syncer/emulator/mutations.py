"""Mutation resolvers, with the 2026-04 ``@idempotent(key:)`` rules and the key cache."""

from __future__ import annotations

import hashlib
import json

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from syncer.emulator.discounts import activate_discount, deactivate_discount
from syncer.emulator.store import user_error

# 2026-04: the key is required on these, accepted on inventoryDeactivate.
KEY_REQUIRED = {"inventoryActivate", "inventoryAdjustQuantities", "inventorySetQuantities"}
KEY_ACCEPTED = KEY_REQUIRED | {"inventoryDeactivate"}
# Payloads whose user error code enum has IDEMPOTENCY_KEY_PARAMETER_MISMATCH (real schema).
CODED = {"inventoryAdjustQuantities": "inventoryAdjustmentGroup",
         "inventorySetQuantities": "inventoryAdjustmentGroup"}
MISSING_KEY = "The @idempotent directive is required for this mutation but was not provided."
BLANK_KEY = "The idempotency key cannot be an empty string or whitespace only."
MISMATCH = "The same idempotency key cannot be used with different operation parameters."


def _key(info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    if values is None:
        return None
    key = values["key"]
    if not key.strip():
        raise GraphQLError(BLANK_KEY, extensions={"code": "BAD_REQUEST"})
    return key


def fingerprint(args: dict) -> str:
    """A stable digest of a mutation's arguments (what a replayed key must match)."""
    canonical = json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _mutation(name: str, run):
    """Wrap ``run(context, args) -> payload`` with the idempotency rules for ``name``."""

    def resolve(_root, info, **args):
        context = info.context
        key = _key(info)
        if key is None and name in KEY_REQUIRED:
            raise GraphQLError(MISSING_KEY, extensions={"code": "BAD_REQUEST"})
        digest = fingerprint(args)
        if key is None or name not in KEY_ACCEPTED:
            payload = run(context, args)
            if not payload["userErrors"]:
                context.dirty = True
                _journal(context, name, None, digest, False, payload)
            return payload
        cached = context.store.idempotency.get((name, key))
        if cached is not None:
            if cached["fingerprint"] == digest:
                _journal(context, name, key, digest, True, cached["response"])
                return cached["response"]
            if name in CODED:
                return {CODED[name]: None, "userErrors": [
                    user_error(MISMATCH, None, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]}
            raise GraphQLError(MISMATCH, extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"})
        payload = run(context, args)
        # Only a success is remembered: a failed attempt (a stale CAS, say) changed nothing,
        # so retrying the same key runs the mutation again against the current state.
        if not payload["userErrors"]:
            context.store.idempotency[(name, key)] = {"fingerprint": digest, "response": payload}
            context.dirty = True
            _journal(context, name, key, digest, False, payload)
        return payload

    return resolve


def _journal(context, name: str, key: str | None, digest: str, replay: bool,
             payload: dict) -> None:
    """Record a committed mutation, or a replay answered from the key cache (nothing applied)."""
    group = payload.get("inventoryAdjustmentGroup")
    changes = [] if replay or not group else [
        {k: row[k] for k in ("name", "delta", "item", "location", "quantityAfterChange")}
        for row in group["changes"]]
    context.store.journal.append({
        "request": context.request, "mutation": name, "key": key, "digest": digest,
        "replay": replay, "changes": changes,
        "group": group["id"] if group else None})


def _require_change_from(entries: list[dict], input_type: str) -> None:
    if any("changeFromQuantity" not in entry for entry in entries):
        raise GraphQLError(f"{input_type} must include the following argument: changeFromQuantity.")


def _activate(context, args):
    return context.store.activate(args["inventoryItemId"], args["locationId"],
                                  args.get("available"), args.get("onHand"))


def _adjust(context, args):
    _require_change_from(args["input"]["changes"], "InventoryChangeInput")
    return context.store.adjust(args["input"], context.now_iso)


def _set(context, args):
    _require_change_from(args["input"]["quantities"], "InventoryQuantityInput")
    return context.store.set_quantities(args["input"], context.now_iso)


MUTATIONS = {
    ("Mutation", "inventoryActivate"): _mutation("inventoryActivate", _activate),
    ("Mutation", "inventoryDeactivate"): _mutation(
        "inventoryDeactivate", lambda c, a: c.store.deactivate(a["inventoryLevelId"])),
    ("Mutation", "inventoryBulkToggleActivation"): _mutation(
        "inventoryBulkToggleActivation",
        lambda c, a: c.store.bulk_toggle(a["inventoryItemId"], a["inventoryItemUpdates"])),
    ("Mutation", "inventoryAdjustQuantities"): _mutation("inventoryAdjustQuantities", _adjust),
    ("Mutation", "inventorySetQuantities"): _mutation("inventorySetQuantities", _set),
    ("Mutation", "discountCodeActivate"): _mutation(
        "discountCodeActivate", lambda c, a: activate_discount(c.store, a["id"], c.now_iso)),
    ("Mutation", "discountCodeDeactivate"): _mutation(
        "discountCodeDeactivate", lambda c, a: deactivate_discount(c.store, a["id"], c.now_iso)),
}
