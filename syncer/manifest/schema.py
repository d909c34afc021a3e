"""Checks a parsed manifest against ``schemas/manifest.schema.json`` and explains each error.

jsonschema is the authority on what is valid, but walking 100,000 levels with it takes many
seconds. So the document is validated with each location's levels left out, and each level
goes through ``_level_ok``, a quick check that only ever accepts levels the schema accepts; the
levels it does not accept are validated with jsonschema, which says what is wrong.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, TypeChecker, validators
from jsonschema.exceptions import ValidationError

from syncer.errors import Problem, quoted
from syncer.manifest.parsed import ParsedYaml, Path, format_path
from syncer.manifest.scalars import Lookalike
from syncer.model import ADJUSTABLE, ITEM_GID
from syncer.resources import load_json_schema

SCHEMA = "manifest.schema.json"
API_VERSION = "syncer/v1"
KIND = "InventoryLevels"
DISCOUNTS_KIND = "DiscountCodes"
#: The top-level keys each kind of manifest may have, in the order the schema lists them.
_TOP_KEYS = {
    KIND: ["apiVersion", "kind", "policy", "safety", "locations"],
    DISCOUNTS_KIND: ["apiVersion", "kind", "discounts"],
}
MAX_QUANTITY = 1_000_000_000

_ADJUSTABLE = frozenset(ADJUSTABLE)
_DERIVED_HINTS = {
    "on_hand": "'on_hand' cannot be set: Shopify derives it (available + committed + damaged + "
    "quality_control + reserved + safety_stock); set 'available' (or another of those) instead",
    "committed": "'committed' cannot be set: Shopify derives it from unfulfilled orders; "
    "remove it",
}
_REQUIRED_HINTS = {
    "active": "add active: true to stock the item here, or active: false to deactivate it",
    "apiVersion": "add apiVersion: syncer/v1",
    "kind": "add kind: InventoryLevels",
    "locations": "add locations: a mapping of location name to items",
    "discounts": "add discounts: a mapping of discount code to {active: true|false}",
}
_DISCOUNT_ACTIVE_HINT = (
    "add active: true to let customers redeem the code, or active: false to pause it"
)
_KEY_HINTS = {
    "locations": "is not a location ID: write gid://shopify/Location/<number> or the location name",
    "location": "is not an item ID: write gid://shopify/InventoryItem/<number> or the SKU",
    "discounts": "is not a discount ID: write gid://shopify/DiscountCodeNode/<number> or the code",
}


def _strict_int(checker: TypeChecker, instance: object) -> bool:
    # Draft 2020-12 calls 5.0 an integer; a quantity written 5.0 is more likely a typo than a count.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_int),
)


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    schema = load_json_schema(SCHEMA)
    root = _Validator(schema)
    return root, root.evolve(schema=schema["$defs"]["location"])


def check_document(parsed: ParsedYaml, file: str) -> tuple[list[Problem], bool]:
    """Schema problems of a parsed manifest, except inside the levels (see ``check_levels``).

    Returns the problems, each at the line and column it is about, and whether the document is
    a syncer manifest whose content is worth reading (a mapping with the right header).
    """
    document = parsed.document
    if parsed.problems and document is None:
        return [], False
    if document is None and not parsed.marks:
        return [_problem(parsed, file, (), "value", "the file is empty: " + _HEADER)], False
    if not isinstance(document, dict):
        what = _describe(document)
        return [_problem(parsed, file, (), "value", f"a manifest is a mapping, not {what}")], False
    header = _check_header(parsed, file, document)
    if header:
        return header, False
    shallow = dict(document)
    locations = document.get("locations")
    if isinstance(locations, dict):
        # Each location's levels are checked on their own: check_levels.
        shallow["locations"] = {
            name: {} if isinstance(items, dict) else items for name, items in locations.items()
        }
    return _errors(parsed, file, (), shallow, _validators()[0]), True


def check_levels(parsed: ParsedYaml, file: str, location: str,
                 levels: dict[str, Any]) -> list[Problem]:
    """Schema problems of some levels of one location (those ``level_ok`` did not accept)."""
    return _errors(parsed, file, ("locations", location), levels, _validators()[1])


def _errors(parsed: ParsedYaml, file: str, prefix: Path, instance: object,
            validator: Draft202012Validator) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[Any] = set()
    for error in validator.iter_errors(instance):
        for path, where, message in _explain(error, prefix, parsed.nulls):
            if (path, message) in seen or _under(path, parsed.bad_paths):
                continue
            seen.add((path, message))
            problems.append(_problem(parsed, file, path, where, message))
    return problems


_HEADER = (
    "a manifest starts with apiVersion: syncer/v1 and kind: InventoryLevels (or kind: "
    "DiscountCodes)"
)


def _check_header(parsed: ParsedYaml, file: str, document: dict[str, Any]) -> list[Problem]:
    """One problem for a file that is not a syncer/v1 manifest, so its content is not reported."""
    api, kind = document.get("apiVersion"), document.get("kind")
    kinds = (KIND, DISCOUNTS_KIND)
    if api == API_VERSION and kind in (*kinds, None) or kind in kinds and api is None:
        return []
    if api is None and kind is None:
        return [_problem(parsed, file, (), "value", f"apiVersion and kind are missing: {_HEADER}")]
    if kind in kinds and isinstance(api, str) and api.startswith("syncer/"):
        message = (f"apiVersion {quoted(api)} is not supported: this syncer reads apiVersion: "
                   "syncer/v1")
        return [_problem(parsed, file, ("apiVersion",), "value", message)]
    at = ("apiVersion",) if api != API_VERSION and api is not None else ("kind",)
    message = (
        f"not a syncer manifest (apiVersion {quoted(api)}, kind {quoted(kind)}): {_HEADER}; "
        "keep other YAML files out of the manifest paths"
    )
    return [_problem(parsed, file, at, "value", message)]


def level_ok(item: str, level: object) -> bool:
    """True only for an item key and level the schema accepts: the common case, quickly.

    >>> level_ok("MUG", {"active": True, "available": 3}), level_ok("MUG", {"available": 3})
    (True, False)
    """
    if type(level) is not dict or not item or item.startswith("gid://") and not _item_gid(item):
        return False
    active = level.get("active")
    if active is not True and active is not False:
        return False
    for name, value in level.items():
        if name == "active":
            continue
        if name not in _ADJUSTABLE or type(value) is not int or abs(value) > MAX_QUANTITY:
            return False
        if value < 0 and name != "available":  # only `available` goes below 0 (oversold)
            return False
    return True


def _item_gid(item: str) -> bool:
    number = item[len(ITEM_GID) :]
    return item.startswith(ITEM_GID) and number.isascii() and number.isdigit()


def _under(path: Path, bad: set[Path]) -> bool:
    return any(path[:n] in bad for n in range(len(path) + 1)) if bad else False


def _problem(parsed: ParsedYaml, file: str, path: Path, where: str, message: str) -> Problem:
    """``where`` is "key" or "value": which of the two marks of ``path`` the problem is about."""
    source = parsed.key_source(file, path) if where == "key" else parsed.value_source(file, path)
    return Problem(source, message)


def _explain(error: ValidationError, prefix: Path,
             nulls: dict[Path, str]) -> list[tuple[Path, str, str]]:
    """(path, "key" or "value", message) for one jsonschema error; messages say what to do.

    ``nulls`` holds how nulls were written (``~``, ``null``), by path.
    """
    path = prefix + tuple(error.absolute_path)
    parent = format_path(path)
    at = f"{parent}: " if parent else ""
    # Set on every error iter_errors yields (the stubs also allow "unset"): JSON values.
    kind: Any
    instance: Any
    schema: Any
    wanted: Any
    kind, instance, schema = error.validator, error.instance, error.schema
    wanted = error.validator_value
    if "propertyNames" in error.relative_schema_path and path[-1:] == ("max_value_changed",):
        return [(path + (instance,), "key", f"{at}{quoted(instance)} is not a currency code: "
                 "write Shopify's three capital letters (ISO 4217), such as EUR or USD")]
    if kind == "anyOf" and path[-2:-1] == ("max_value_changed",):
        return [(path, "value", f"{at}must be an amount of 0 or more in {path[-1]}, such as 5000 "
                 f"or '2500.50', not {instance!r}")]
    if "propertyNames" in error.relative_schema_path:
        key = instance
        hint = _KEY_HINTS[path[0] if path in (("locations",), ("discounts",)) else "location"]
        message = (f"empty key: {hint[hint.index('write') :]}" if not key
                   else f"{quoted(key)} {hint}")
        return [(path + (key,), "key", at + message)]
    if kind == "pattern" and path[:1] in (("credentials",), ("notify",)):
        # The value may be the secret itself (a token, a webhook URL): never shown (syncer.yaml
        # names environment variables).
        example = "SLACK_WEBHOOK_URL" if path[0] == "notify" else "SHOPIFY_CLIENT_SECRET"
        return [(path, "value", f"{at}must name an environment variable (such as "
                 f"{example}) that holds the value, not the value itself: a "
                 "syncer.yaml is committed to git, so a secret never belongs in it; remove it "
                 "and rotate the secret if it was ever committed")]
    if kind == "required":
        missing = [name for name in wanted if name not in instance]
        out = []
        for name in missing:
            hint = _REQUIRED_HINTS.get(name, f"add {name}")
            if name == "active" and path[:1] == ("discounts",):
                hint = _DISCOUNT_ACTIVE_HINT
            out.append((path, "key", f"{at}missing {quoted(name)}: {hint}"))
        return out
    if kind == "not" and len(path) == 1:
        other = DISCOUNTS_KIND if path[0] == "discounts" else KIND
        return [(path, "key", f"{quoted(path[0])} belongs in a kind: {other} manifest, not in this "
                 "one: move it to a file of its own")]
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        if not path:
            known = _TOP_KEYS[DISCOUNTS_KIND if instance.get("kind") == DISCOUNTS_KIND else KIND]
        extra = [key for key in instance if key not in known]
        return [(path + (key,), "key", at + _unknown_key(key, known, path)) for key in extra]
    if kind == "type":
        expected = _expected(schema, path)
        if isinstance(instance, Lookalike):
            hint = f"; write {_WRITE.get(schema.get('type'), 'it in quotes if it is text')}"
        elif isinstance(instance, str) and instance.isdigit():
            hint = " (remove the quotes)"
        else:
            hint = ""
        shown = f"null (written {nulls[path]})" if path in nulls else _describe(instance)
        return [(path, "value", f"{at}must be {expected}, not {shown}{hint}")]
    if kind == "minimum":
        limit = wanted
        return [(path, "value", f"{at}must be {limit:,} or more, not {instance:,}")]
    if kind == "maximum":
        limit = wanted
        return [(path, "value", f"{at}must be at most {limit:,}, not {instance:,}")]
    if kind == "enum":
        choices = ", ".join(str(choice) for choice in wanted)
        return [(path, "value", f"{at}must be one of {choices}; not {_describe(instance)}")]
    if kind == "const":
        return [(path, "value", f"{at}must be {wanted}")]
    return [(path, "value", at + error.message)]


def _unknown_key(key: str, known: list[str], path: Path) -> str:
    quantities = path == ("policy", "tolerance") or len(path) == 3 and path[0] == "locations"
    if quantities and key in _DERIVED_HINTS:
        return _DERIVED_HINTS[key]
    close = difflib.get_close_matches(key, known, n=1)
    guess = f" (did you mean {quoted(close[0])}?)" if close else ""
    what = "quantity" if quantities else "key"
    return f"unknown {what} {quoted(key)}{guess}; valid names here: {', '.join(known)}"


def _expected(schema: dict[str, Any], path: Path) -> str:
    types: Any = schema.get("type")  # a type name or a list of them
    if types == "object":
        if path == ("locations",):
            return "a mapping of location name to items"
        if path == ("discounts",):
            return "a mapping of discount code to {active: true|false}"
        if len(path) == 2 and path[0] == "discounts":
            return "a mapping like {active: false}"
        if len(path) == 2 and path[0] == "locations":
            return "a mapping of SKU to level (write {} for a location without levels)"
        if len(path) == 3 and path[0] == "locations":
            return "a mapping like {active: true, available: 10}"
        return "a mapping"
    if types == "integer" and len(path) == 4 and path[0] == "locations" and path[3] == "available":
        return "a whole number"
    if path[-1:] == ("max_value_changed",):
        return "a mapping of currency code to amount, such as {EUR: 5000}, or null"
    if isinstance(types, list):
        return " or ".join(map(str, types))
    return {
        "integer": "a whole number, 0 or more",
        "boolean": "true or false",
        "number": "a number",
        "string": "text",
    }.get(types, "a whole number (0 or more) or null" if types == ["integer", "null"] else types)


_WRITE = {
    "integer": "the number in decimal digits",
    "boolean": "true or false",
    "number": "the number in decimal, such as 12.5",
    "string": "it in quotes",
}


def _describe(value: object) -> str:
    """How a value reads in an error message; a ``Lookalike`` as written, and how YAML reads it.

    >>> _describe(None), _describe(True), _describe("5"), _describe(2.5), _describe([1])
    ('null (empty)', 'true', "the text '5'", 'the number 2.5', 'a list')
    >>> _describe(Lookalike.of("1:30"))
    "1:30 (YAML 1.1 reads it as the number 90, YAML 1.2 as the text '1:30')"
    """
    if isinstance(value, Lookalike):
        return f"{value[:60]} ({value.readings()})"
    if value is None:
        return "null (empty)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {getattr(value, 'text', value)}"
    if isinstance(value, str):
        return f"the text {quoted(value[:60])}"
    return "a list" if isinstance(value, list) else "a mapping"


def check_schema(parsed: ParsedYaml, file: str, schema_name: str) -> list[Problem]:
    """Problems of a parsed YAML document against ``schemas/<schema_name>``, each at its spot."""
    return _errors(parsed, file, (), parsed.document, _Validator(load_json_schema(schema_name)))
