"""Edit manifest text in place: change chosen values, keep everything else byte for byte.

``syncer drift --write-manifests`` uses it so that a bot's pull request diff is exactly the drift.
ruamel.yaml (round-trip mode) finds where each value is written; a changed value is replaced in
the text at that spot, so comments, key order, quoting, flow style and spacing stay as they were.
Adding or removing a level needs a re-emit of the document: ruamel's round-trip dump, which keeps
comments, order, quoting and flow style (pyyaml cannot).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from syncer.errors import ManifestError, Problem, Source, quoted
from syncer.manifest.write import needs_quotes

#: One plain scalar token: what a quantity or ``active`` value is written as.
_TOKEN = re.compile(r"[^\s,{}\[\]#]+")


@dataclass(frozen=True, slots=True)
class ValueEdit:
    """Set ``field`` (``active`` or a quantity name) of one level to ``value``."""

    location: str
    item: str
    field: str
    value: int | bool


@dataclass(frozen=True, slots=True)
class LevelAdd:
    """Add a level (``fields``: ``active`` first, then quantities) under ``location``."""

    location: str
    item: str
    fields: Mapping[str, int | bool]


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str, file: str) -> CommentedMap:
    try:
        document = _yaml().load(text)
    except YAMLError as exc:
        raise ManifestError([Problem(Source(file), f"cannot edit: {exc}")]) from None
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("locations"), CommentedMap
    ):
        raise ManifestError([Problem(Source(file), "cannot edit: no `locations` mapping")])
    return document


def edit_manifest(
    text: str,
    edits: Iterable[ValueEdit] = (),
    *,
    remove: Iterable[tuple[str, str]] = (),
    add: Iterable[LevelAdd] = (),
    file: str = "<string>",
) -> str:
    """``text`` with ``edits`` applied, levels ``remove``d and levels ``add``ed.

    Raises ``ManifestError`` naming ``file`` when a level or field to edit is not in the text.
    """
    edits, remove, add = list(edits), list(remove), list(add)
    document = _load(text, file)
    if not remove and not add:
        return _replace_values(text, document, edits, file)
    for edit in edits:
        _level(document, edit.location, edit.item, file)[edit.field] = edit.value
    for location, item in remove:
        del _location(document, location, file)[item]
    for level in add:
        _add_level(document, level)
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _replace_values(text: str, document: CommentedMap, edits: list[ValueEdit], file: str) -> str:
    lines = text.splitlines(keepends=True)
    spots = []
    for edit in edits:
        level = _level(document, edit.location, edit.item, file)
        if edit.field not in level:
            raise _missing(file, f"{edit.location} / {edit.item} has no {edit.field}")
        line, column = level.lc.value(edit.field)
        spots.append((line, column, _scalar(edit.value)))
    for line, column, new in sorted(spots, reverse=True):  # right to left keeps columns valid
        match = _TOKEN.match(lines[line], column)
        if match is None:
            raise _missing(file, f"no value at line {line + 1}, column {column + 1}")
        lines[line] = lines[line][:column] + new + lines[line][match.end():]
    return "".join(lines)


def _scalar(value: int | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _location(document: CommentedMap, location: str, file: str) -> CommentedMap:
    levels = document["locations"].get(location)
    if not isinstance(levels, CommentedMap):
        raise _missing(file, f"location {quoted(location)} is not a mapping here")
    return levels


def _level(document: CommentedMap, location: str, item: str, file: str) -> CommentedMap:
    level = _location(document, location, file).get(item)
    if not isinstance(level, CommentedMap):
        raise _missing(file, f"{location} / {item} is not a level mapping here")
    return level


def _key(text: str) -> str:
    return DoubleQuotedScalarString(text) if needs_quotes(text) else text


def _add_level(document: CommentedMap, level: LevelAdd) -> None:
    locations = document["locations"]
    if not isinstance(locations.get(level.location), CommentedMap):
        locations[_key(level.location)] = CommentedMap()
    if not locations[level.location]:
        locations[level.location].fa.set_block_style()  # `Loc: {}` becomes a block
    value = CommentedMap(level.fields)
    value.fa.set_flow_style()
    locations[level.location][_key(level.item)] = value


def _missing(file: str, message: str) -> ManifestError:
    return ManifestError([Problem(Source(file), f"cannot edit: {message}")])
