"""``--target`` and ``--exclude``: which levels and discount codes a plan covers, and what it
says about them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from syncer.errors import UsageError, plural, quoted
from syncer.model import Location, nfc
from syncer.plan.names import suggestion
from syncer.plan.notices import PlanProblem, PlanWarning

_FIELDS = ("location", "sku", "code")
_USE = "use location=NAME or sku=GLOB (levels), or code=GLOB (discount codes)"
#: What each field's value is, and an example, for a selector with an empty value.
_EMPTY = {"location": ("a location name or gid", "location='Warehouse East'"),
          "sku": ("a glob", "sku='MUG-*'"), "code": ("a glob", "code='SPRING*'")}
#: Plan error codes that come from the selectors, not from the manifests.
SELECTION_ERRORS = frozenset({"empty_selection"})


@dataclass(frozen=True, slots=True)
class Selection:
    """Which levels and discount codes a plan covers (``--target`` / ``--exclude``).

    A level is covered when, for every level field that has targets, it matches one of that
    field's targets (OR within a field, AND across fields), and it matches no level exclude
    (excludes are OR-ed: each one takes its levels out). ``location=NAME`` matches the
    location's name or gid exactly; ``sku=GLOB`` is an ``fnmatch`` pattern (case-sensitive) on
    the SKU or item gid. ``code=GLOB`` selects discount codes: an ``fnmatch`` pattern ignoring
    case, as Shopify compares codes, on the code the manifest names (or its gid).

    Targets select across kinds: with any target, a level is covered only when there are level
    targets (``--target code=X`` alone plans no level), and a discount only when there are code
    targets. An exclude takes out only its own kind.
    """

    locations: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    exclude_locations: tuple[str, ...] = ()
    exclude_skus: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    exclude_codes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any((self.locations, self.skus, self.exclude_locations, self.exclude_skus,
                    self.codes, self.exclude_codes))

    def covers(self, location: Location, sku: str, item_id: str) -> bool:
        """Whether the level of ``location`` and the item (``sku``, ``item_id``) is selected."""
        if self.codes and not (self.locations or self.skus):
            return False
        if self.locations and not (location.name in self.locations
                                   or location.id in self.locations
                                   or nfc(location.name) in self.locations):
            return False
        if self.skus and not any(fnmatchcase(sku, g) or fnmatchcase(item_id, g)
                                 for g in self.skus):
            return False
        excluded = self.exclude_locations
        if excluded and (location.name in excluded or location.id in excluded
                         or nfc(location.name) in excluded):
            return False
        return not any(fnmatchcase(sku, g) or fnmatchcase(item_id, g) for g in self.exclude_skus)

    def covers_code(self, ref: str) -> bool:
        """Whether the discount the manifests name ``ref`` (its code or gid) is selected."""
        if self.codes:
            if not any(code_matches(ref, g) for g in self.codes):
                return False
        elif self.locations or self.skus:
            return False
        return not any(code_matches(ref, g) for g in self.exclude_codes)

    def selectors(self) -> list[tuple[str, str, str]]:
        """Each selector as (flag, field, value), in the order ``describe`` shows them."""
        return [(flag, name, value)
                for flag, name, values in (("--target", "location", self.locations),
                                           ("--target", "sku", self.skus),
                                           ("--target", "code", self.codes),
                                           ("--exclude", "location", self.exclude_locations),
                                           ("--exclude", "sku", self.exclude_skus),
                                           ("--exclude", "code", self.exclude_codes))
                for value in values]

    def describe(self) -> str:
        """The selection as flags: ``--target sku=MUG-* --exclude location=Outlet``."""
        return " ".join(f"{flag} {name}={value}" for flag, name, value in self.selectors())


def code_matches(ref: str, glob: str) -> bool:
    """Whether a discount code (or gid) matches ``glob``, ignoring case.

    >>> code_matches("spring10", "SPRING*"), code_matches("SUMMER", "SPRING*")
    (True, False)
    """
    return fnmatchcase(ref.casefold(), glob.casefold())


def _matches(name: str, value: str, location: Location, sku: str, item_id: str) -> bool:
    if name == "location":
        return value in (location.name, location.id, nfc(location.name))
    return fnmatchcase(sku, value) or fnmatchcase(item_id, value)


def selection_notes(selection: Selection, considered: list[Any], selected: int,
                    codes: Sequence[str], errors: list[PlanProblem],
                    warnings: list[PlanWarning]) -> None:
    """Say that a plan is partial, and which selectors matched nothing (an error when all did).

    ``considered`` are the levels the selection was tried on, ``selected`` how many it covers;
    ``codes`` the discounts the manifests name (code or gid).
    """
    described = selection.describe()
    for flag, name, value in selection.selectors():
        if name == "code":
            if not any(code_matches(ref, value) for ref in codes):
                warnings.append(PlanWarning(
                    "unmatched_selector", f"{flag} code={value} matched no discount code"))
        elif not any(_matches(name, value, *level) for level in considered):
            hint = (suggestion(value, {level[0].name for level in considered})
                    if name == "location" else "")
            warnings.append(PlanWarning(
                "unmatched_selector", f"{flag} {name}={value} matched no level{hint}"))
    chosen = sum(selection.covers_code(ref) for ref in codes)
    with_codes = bool(codes or selection.codes or selection.exclude_codes)
    if not selected and not chosen:
        managed = plural(len(considered), "level") + (
            f" and {plural(len(codes), 'discount code')}" if with_codes else "")
        hint = "; code=GLOB ignores case" if with_codes else ""
        errors.append(PlanProblem(
            "empty_selection",
            f"the selection {described} matched none of the {managed} the manifests manage: "
            "check the selectors (location=NAME is the exact name or gid; sku=GLOB is "
            f"case-sensitive{hint})"))
        return
    shown = [(n, word) for n, word, managed in ((selected, "level", considered or not codes),
                                                 (chosen, "discount code", codes)) if managed]
    what = " and ".join(word + "s" for _n, word in shown)
    counts = [plural(n, word) for n, word in shown]
    warnings.append(PlanWarning(
        "partial_plan",
        f"partial plan: it compares only the {what} selected by {described} "
        f"({', '.join(counts)}); {what} outside the selection may differ too"))


def parse_selector(text: str, flag: str = "--target") -> tuple[str, str]:
    """``"field=value"`` as ``(field, value)``; ``UsageError`` naming ``flag`` when malformed.

    >>> parse_selector("sku=TSHIRT-*")
    ('sku', 'TSHIRT-*')
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    example = f"e.g. {flag} sku='MUG-*' or {flag} code='SPRING*'"
    if not sep or not name:
        raise UsageError(f"bad selector {flag} {quoted(text)}: a selector is FIELD=VALUE; "
                         f"{_USE}, {example}")
    if name not in _FIELDS:
        raise UsageError(f"bad selector {flag} {quoted(text)}: unknown field {quoted(name)}; "
                         f"{_USE}, {example}")
    if not value.strip():
        what, sample = _EMPTY[name]
        raise UsageError(f"bad selector {flag} {quoted(text)}: {name}= needs {what}, e.g. "
                         f"{flag} {sample}")
    return name, nfc(value.strip()) if name == "location" else value.strip()


def parse_selection(targets: Iterable[str] = (), excludes: Iterable[str] = ()) -> Selection:
    """A ``Selection`` from ``--target`` and ``--exclude`` selector strings."""
    got: dict[str, list[str]] = {f"{sign}{f}": [] for sign in ("", "-") for f in _FIELDS}
    for text in targets:
        name, value = parse_selector(text, "--target")
        got[name].append(value)
    for text in excludes:
        name, value = parse_selector(text, "--exclude")
        got["-" + name].append(value)
    return Selection(*(tuple(got[k]) for k in ("location", "sku", "-location", "-sku", "code",
                                               "-code")))


def matches_selector(name: str, value: str, location: Location, sku: str, item_id: str) -> bool:
    """Whether the level (its location, SKU and item gid) matches the selector ``name=value``
    (``location=NAME`` exactly, ``sku=GLOB`` as ``fnmatch``), as ``--target`` matches it;
    ``safety.protected`` uses the same syntax."""
    return _matches(name, value, location, sku, item_id)
