"""Manifests: YAML files in, one ``DesiredState`` out, or every problem of every file at once.

``load_manifests`` is the only function here that touches the file system; ``parse_manifest`` and
everything below it are pure.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from types import MappingProxyType
from typing import Any, TypeVar, cast

from syncer.errors import ManifestError, Problem, Source, quoted
from syncer.manifest.discounts import combine_discounts, read_discounts
from syncer.manifest.files import (
    MAX_MANIFEST_BYTES,
    decode_manifest,
    find_manifest_files,
    read_manifest,
    too_large,
)
from syncer.manifest.schema import DISCOUNTS_KIND, check_document, check_levels, level_ok
from syncer.manifest.yamlmarks import parse_yaml
from syncer.model import (
    ADJUSTABLE,
    DesiredDiscount,
    DesiredLevel,
    DesiredState,
    Policy,
    SafetyLimits,
    frozen_map,
)

_QUANTITIES = frozenset(ADJUSTABLE)


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Part:
    """What one file declares, as far as it could be read."""

    file: str
    levels: tuple[DesiredLevel, ...]
    locations: tuple[tuple[str, Source], ...]
    policy: tuple[Policy, Source] | None
    safety: tuple[SafetyLimits, Source] | None
    discounts: tuple[DesiredDiscount, ...] = ()


def parse_manifest(text: str, file: str = "<string>") -> DesiredState:
    """The desired state one manifest text declares; raises ``ManifestError`` with every problem.

    >>> text = "apiVersion: syncer/v1\\nkind: InventoryLevels\\n"
    >>> text += "locations: {E: {MUG: {active: false}}}"
    >>> [(level.location, level.item, str(level.source)) for level in parse_manifest(text).levels]
    [('E', 'MUG', '<string>:3:17')]
    """
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError([too_large(file, len(data))])
    part, problems = _parse(text, file)
    return _combine([part], problems, [(file, data)], [file])


def load_manifests(paths: Iterable[str | os.PathLike[str]]) -> DesiredState:
    """The desired state declared by manifest files and directories (``*.yaml``, ``*.yml`` below).

    Reads every file, checks each one and all of them together, and raises one ``ManifestError``
    listing every problem found, in file order.
    """
    # Reading builds millions of small acyclic objects; the cyclic collector would walk them
    # again and again for nothing (it triples the time of 100,000 levels).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(paths)
    finally:
        if collecting:
            gc.enable()


def _load(paths: Iterable[str | os.PathLike[str]]) -> DesiredState:
    files, problems, order = find_manifest_files(paths)
    parts: list[_Part] = []
    contents: list[tuple[str, bytes]] = []
    for file in files:
        read, problem = read_manifest(file)
        if problem is not None:
            problems.append(problem)
            continue
        data = cast(bytes, read)  # bytes when there is no problem
        contents.append((file, data))
        decoded, problem = decode_manifest(data, file)
        if problem is not None:
            problems.append(problem)
            continue
        part, file_problems = _parse(cast(str, decoded), file)  # text when there is no problem
        parts.append(part)
        problems.extend(file_problems)
    return _combine(parts, problems, contents, order)


def _parse(text: str, file: str) -> tuple[_Part, list[Problem]]:
    """What one manifest declares (as far as it can be read) and its own problems."""
    parsed = parse_yaml(text, file)
    problems, readable = check_document(parsed, file)
    problems = parsed.problems + problems
    # readable: the document is a mapping the schema accepts
    document = cast("dict[str, Any]", parsed.document) if readable else {}
    if document.get("kind") == DISCOUNTS_KIND:
        part = _Part(file, (), (), None, None, read_discounts(parsed, file, document))
        return part, sorted(problems, key=_order)
    locations = document.get("locations")
    levels: list[DesiredLevel] = []
    names: list[tuple[str, Source]] = []
    for location, items in locations.items() if isinstance(locations, dict) else ():
        path = ("locations", location)
        names.append((location, parsed.key_source(file, path)))
        if not isinstance(items, dict):
            continue
        marks = parsed.marks.get(path, {})
        failed: dict[str, Any] = {}
        for item, level in items.items():
            if level_ok(item, level):
                quantities = dict(level)
                active = quantities.pop("active")
            elif type(level) is dict and type(level.get("active")) is bool:
                # Still declared (so a second declaration elsewhere is reported too).
                failed[item] = level
                active = level["active"]
                quantities = {
                    name: value
                    for name, value in level.items()
                    if name in _QUANTITIES and type(value) is int
                }
            else:
                failed[item] = level
                continue
            mark = marks.get(item)
            source = (
                Source(file, mark[0].line + 1, mark[0].column + 1)
                if mark
                else parsed.key_source(file, path + (item,))
            )
            levels.append(DesiredLevel(location, item, active, frozen_map(quantities), source))
        if failed:
            problems += check_levels(parsed, file, location, failed)
    policy = _policy(document.get("policy"))
    safety = _safety(document.get("safety"))
    part = _Part(
        file,
        tuple(levels),
        tuple(names),
        (policy, parsed.key_source(file, ("policy",))) if policy else None,
        (safety, parsed.key_source(file, ("safety",))) if safety else None,
    )
    return part, sorted(problems, key=_order)


def _policy(value: object) -> Policy | None:
    """The policy a valid ``policy`` mapping declares; None when absent or invalid."""
    if not isinstance(value, dict):
        return None
    tolerance = value.get("tolerance", {})
    unmanaged = value.get("unmanaged", "ignore")
    if unmanaged not in ("ignore", "deactivate") or not isinstance(tolerance, dict):
        return None
    if any(type(n) is not int or n < 0 for n in tolerance.values()):
        return None
    return Policy(unmanaged=unmanaged, tolerance=frozen_map(tolerance))


def _safety(value: object) -> SafetyLimits | None:
    """The limits a valid ``safety`` mapping declares; None when absent or invalid."""
    if not isinstance(value, dict):
        return None
    defaults = SafetyLimits()
    percent = value.get("max_changed_percent", defaults.max_changed_percent)
    units = value.get("max_units_removed", defaults.max_units_removed)
    allow = value.get("allow_deactivate_with_stock", defaults.allow_deactivate_with_stock)
    if not isinstance(percent, int | float) or percent is True or percent is False:
        return None
    if not isinstance(allow, bool):
        return None
    if units is not None and type(units) is not int:
        return None
    counts = {name: value.get(name, getattr(defaults, name))
              for name in ("max_units_added", "max_level_change")}
    if any(v is not None and type(v) is not int for v in counts.values()):
        return None
    jump = value.get("max_level_change_percent", defaults.max_level_change_percent)
    if jump is not None and (not isinstance(jump, int | float) or isinstance(jump, bool)):
        return None
    floor = value.get("level_change_floor", defaults.level_change_floor)
    protected = value.get("protected", [])
    if type(floor) is not int or not isinstance(protected, list) or not all(
            isinstance(p, str) for p in protected):
        return None
    value_limits = value.get("max_value_changed") or {}
    if not isinstance(value_limits, dict):
        return None
    most = []
    for currency, amount in sorted(value_limits.items()):
        try:
            parsed = Decimal(str(amount).strip())
        except InvalidOperation:
            return None
        if not isinstance(currency, str) or isinstance(amount, bool) or \
                not parsed.is_finite() or parsed < 0:
            return None
        most.append((currency, parsed))
    return SafetyLimits(
        max_value_changed=tuple(most),
        max_changed_percent=float(percent),
        max_units_removed=units,
        allow_deactivate_with_stock=allow,
        max_level_change_percent=None if jump is None else float(jump),
        level_change_floor=floor,
        protected=tuple(protected),
        **counts,
    )


def _combine(
    parts: Sequence[_Part],
    problems: list[Problem],
    contents: Sequence[tuple[str, bytes]],
    order: Sequence[str],
) -> DesiredState:
    """One desired state from every file's part, checking them together; raises on any problem."""
    levels: dict[tuple[str, str], DesiredLevel] = {}
    location_sources: dict[str, Source] = {}
    policy = safety = None
    for part in parts:
        for location, source in part.locations:
            location_sources.setdefault(location, source)
        for level in part.levels:
            first = levels.setdefault(level.key, level)
            if first is not level:
                message = (
                    f"level {quoted(level.item)} at {quoted(level.location)} is declared twice, "
                    "first at "
                    f"{first.source}: keep one of them"
                )
                problems.append(Problem(level.source, message))
        policy = _agree("policy", policy, part.policy, problems)
        safety = _agree("safety", safety, part.safety, problems)
    discounts = combine_discounts((d for part in parts for d in part.discounts), problems)
    digest = hashlib.sha256()
    for file, data in contents:
        # Lengths keep the boundaries between paths and contents unambiguous.
        digest.update(f"{len(file)}:{file}:{len(data)}:".encode("utf-8", "surrogateescape"))
        digest.update(data)
    desired = DesiredState(
        levels=tuple(sorted(levels.values(), key=attrgetter("location", "item"))),
        policy=policy[0] if policy else Policy(),
        safety=safety[0] if safety else SafetyLimits(),
        location_sources=MappingProxyType(location_sources),
        files=tuple(file for file, _ in contents),
        digest=digest.hexdigest(),
        discounts=discounts,
    )
    if problems:
        rank = {file: index for index, file in reversed(list(enumerate(order)))}
        problems.sort(key=lambda p: (rank.get(p.source.file, -1), *_order(p)))
        raise ManifestError(problems, readable=desired)
    return desired


def _agree(name: str, first: tuple[_T, Source] | None, declared: tuple[_T, Source] | None,
           problems: list[Problem]) -> tuple[_T, Source] | None:
    """The first ``(value, source)`` declared; a later, different one is a problem."""
    if declared is None:
        return first
    if first is None:
        return declared
    if declared[0] != first[0]:
        message = (
            f"{name} differs from the {name} declared at {first[1]}: declare {name} in one "
            "file only, or the same in every file"
        )
        problems.append(Problem(declared[1], message))
    return first


def _order(problem: Problem) -> tuple[Any, ...]:
    return (problem.source.line, problem.source.column, problem.message)
