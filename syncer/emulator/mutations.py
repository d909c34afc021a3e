"""Mutation resolvers, with the ``@idempotent(key:)`` rules and the key cache.

How a repeated key is answered is the store's ``key_replay`` setting:

* ``cached`` (Shopify's documented behaviour, the default): a key's first successful result is
  replayed for the same arguments, and nothing runs again.
* ``reevaluate`` (seen live on 2026-07): the mutation runs again and its compare-and-set decides;
  a retry of an adjust that landed is answered ``CHANGE_FROM_QUANTITY_STALE``. A key used with
  other arguments is still refused.
* ``ignored`` (reported on some shops early in 2026): keys are accepted and never remembered.
"""

from __future__ import annotations

import hashlib
import json

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from syncer.emulator.activation import activate, bulk_toggle, deactivate
from syncer.emulator.discounts import activate_discount, deactivate_discount
from syncer.emulator.quantities import adjust, set_quantities
from syncer.emulator.records import user_error

# 2026-04: the key is required on these, accepted on inventoryDeactivate.
KEY_REQUIRED = {"inventoryActivate", "inventoryAdjustQuantities", "inventorySetQuantities"}
KEY_ACCEPTED = KEY_REQUIRED | {"inventoryDeactivate"}
# Payloads whose user error code enum has IDEMPOTENCY_KEY_PARAMETER_MISMATCH (real schema).
CODED = {"inventoryAdjustQuantities": "inventoryAdjustmentGroup",
         "inventorySetQuantities": "inventoryAdjustmentGroup"}
MISSING_KEY = "The @idempotent directive is required for this mutation but was not provided."
BLANK_KEY = "The idempotency key cannot be an empty string or whitespace only."
MISMATCH = "The same idempotency key cannot be used with different operation parameters."
PREVIOUS_FAILED = "A previous request with this idempotency key failed. Retry with a new " \
    "idempotency key."
# 2026-10: where a key's failed attempt is remembered and refused (versions.py).
REMEMBERS_FAILURES = {"inventorySetQuantities"}


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
        if key is None or name not in KEY_ACCEPTED or context.key_replay == "ignored":
            payload = run(context, args)
            if not payload["userErrors"]:
                context.dirty = True
                _journal(context, name, key, digest, False, payload)
            return payload
        cached = context.store.idempotency.get((name, key))
        failures = name in REMEMBERS_FAILURES and context.version.previous_attempt_failed
        if cached is not None and cached["fingerprint"] != digest:
            if name in CODED:
                return _refused(name, MISMATCH, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")
            raise GraphQLError(MISMATCH, extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"})
        failed_before = cached is not None and bool(cached["response"]["userErrors"])
        if failed_before and failures:
            return _refused(name, PREVIOUS_FAILED, "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")
        if cached is not None and not failed_before and context.key_replay == "cached":
            _journal(context, name, key, digest, True, cached["response"])
            return cached["response"]
        payload = run(context, args)
        # A success is remembered; a failed attempt (a stale CAS, say) changed nothing, so
        # retrying the key runs the mutation again, except where 2026-10 refuses that.
        if not payload["userErrors"] or failures:
            context.store.idempotency[(name, key)] = {"fingerprint": digest, "response": payload}
            context.dirty = True
        if not payload["userErrors"]:
            _journal(context, name, key, digest, False, payload)
        return payload

    return resolve


def _refused(name: str, message: str, code: str) -> dict:
    return {CODED[name]: None, "userErrors": [user_error(message, None, code)]}


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
    """Live 2026-04: a top-level error on the field (its data null), not a user error."""
    if any("changeFromQuantity" not in entry for entry in entries):
        raise GraphQLError(f"{input_type} must include the following argument: changeFromQuantity.",
                           extensions={"code": "INVALID_FIELD_ARGUMENTS"})


def _activate(context, args):
    return activate(context.store, args["inventoryItemId"], args["locationId"],
                               args.get("available"), args.get("onHand"))


def _adjust(context, args):
    _require_change_from(args["input"]["changes"], "InventoryChangeInput")
    return adjust(context.store, args["input"], context.now_iso,
                             context.version.any_location)


def _set(context, args):
    _require_change_from(args["input"]["quantities"], "InventoryQuantityInput")
    return set_quantities(context.store, args["input"], context.now_iso,
                                     context.version.any_location)


MUTATIONS = {
    ("Mutation", "inventoryActivate"): _mutation("inventoryActivate", _activate),
    ("Mutation", "inventoryDeactivate"): _mutation(
        "inventoryDeactivate", lambda c, a: deactivate(c.store, a["inventoryLevelId"])),
    ("Mutation", "inventoryBulkToggleActivation"): _mutation(
        "inventoryBulkToggleActivation",
        lambda c, a: bulk_toggle(c.store, a["inventoryItemId"],
                                            a["inventoryItemUpdates"])),
    ("Mutation", "inventoryAdjustQuantities"): _mutation("inventoryAdjustQuantities", _adjust),
    ("Mutation", "inventorySetQuantities"): _mutation("inventorySetQuantities", _set),
    ("Mutation", "discountCodeActivate"): _mutation(
        "discountCodeActivate", lambda c, a: activate_discount(c.store, a["id"], c.now_iso)),
    ("Mutation", "discountCodeDeactivate"): _mutation(
        "discountCodeDeactivate", lambda c, a: deactivate_discount(c.store, a["id"], c.now_iso)),
}
