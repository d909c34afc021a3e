"""``--target`` and ``--exclude``: which levels a plan covers, and what it says about them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from syncer.errors import UsageError, plural, quoted
from syncer.model import Location, nfc
from syncer.plan.names import suggestion
from syncer.plan.notices import PlanProblem, PlanWarning

_FIELDS = ("location", "sku")
#: Plan error codes that come from the selectors, not from the manifests.
SELECTION_ERRORS = frozenset({"empty_selection"})


@dataclass(frozen=True, slots=True)
class Selection:
    """Which levels a plan covers (``--target`` / ``--exclude``).

    A level is covered when, for every field that has targets, it matches one of that field's
    targets (OR within a field, AND across fields), and it matches no exclude at all (excludes
    are OR-ed: each one takes its levels out). ``location=NAME`` matches the location's name or
    gid exactly; ``sku=GLOB`` is an ``fnmatch`` pattern (case-sensitive) on the SKU or item gid.
    """

    locations: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    exclude_locations: tuple[str, ...] = ()
    exclude_skus: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any((self.locations, self.skus, self.exclude_locations, self.exclude_skus))

    def covers(self, location: Location, sku: str, item_id: str) -> bool:
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

    def selectors(self) -> list[tuple[str, str, str]]:
        """Each selector as (flag, field, value), in the order ``describe`` shows them."""
        return [(flag, name, value)
                for flag, name, values in (("--target", "location", self.locations),
                                           ("--target", "sku", self.skus),
                                           ("--exclude", "location", self.exclude_locations),
                                           ("--exclude", "sku", self.exclude_skus))
                for value in values]

    def describe(self) -> str:
        """The selection as flags: ``--target sku=MUG-* --exclude location=Outlet``."""
        return " ".join(f"{flag} {name}={value}" for flag, name, value in self.selectors())


def _matches(name: str, value: str, location: Location, sku: str, item_id: str) -> bool:
    if name == "location":
        return value in (location.name, location.id, nfc(location.name))
    return fnmatchcase(sku, value) or fnmatchcase(item_id, value)


def selection_notes(selection: Selection, considered: list[Any], selected: int,
                    errors: list[PlanProblem], warnings: list[PlanWarning]) -> None:
    """Say that a plan is partial, and which selectors matched nothing (an error when all did)."""
    described = selection.describe()
    for flag, name, value in selection.selectors():
        if not any(_matches(name, value, *level) for level in considered):
            hint = (suggestion(value, {level[0].name for level in considered})
                    if name == "location" else "")
            warnings.append(PlanWarning(
                "unmatched_selector", f"{flag} {name}={value} matched no level{hint}"))
    if not selected:
        errors.append(PlanProblem(
            "empty_selection",
            f"the selection {described} matched none of the {plural(len(considered), 'level')} "
            "the manifests manage: check the selectors (location=NAME is the exact name or gid; "
            "sku=GLOB is case-sensitive)"))
        return
    warnings.append(PlanWarning(
        "partial_plan",
        f"partial plan: it compares only the levels selected by {described} "
        f"({plural(selected, 'level')}); levels outside the selection may differ too"))


def parse_selector(text: str) -> tuple[str, str]:
    """``"field=value"`` as ``(field, value)``; ``UsageError`` when malformed.

    >>> parse_selector("sku=TSHIRT-*")
    ('sku', 'TSHIRT-*')
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or name not in _FIELDS or not value.strip():
        raise UsageError(
            f"bad selector {quoted(text)}: use location=NAME or sku=GLOB, e.g. --target sku='MUG-*'"
        )
    return name, nfc(value.strip()) if name == "location" else value.strip()


def parse_selection(targets: Iterable[str] = (), excludes: Iterable[str] = ()) -> Selection:
    """A ``Selection`` from ``--target`` and ``--exclude`` selector strings."""
    got: dict[str, list[str]] = {"location": [], "sku": [], "-location": [], "-sku": []}
    for text in targets:
        name, value = parse_selector(text)
        got[name].append(value)
    for text in excludes:
        name, value = parse_selector(text)
        got["-" + name].append(value)
    return Selection(*(tuple(got[k]) for k in ("location", "sku", "-location", "-sku")))


def matches_selector(name: str, value: str, location: Location, sku: str, item_id: str) -> bool:
    """Whether the level (its location, SKU and item gid) matches the selector ``name=value``
    (``location=NAME`` exactly, ``sku=GLOB`` as ``fnmatch``), as ``--target`` matches it;
    ``safety.protected`` uses the same syntax."""
    return _matches(name, value, location, sku, item_id)
