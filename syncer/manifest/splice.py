"""The splices that make one manifest text declare the levels it should: values set, levels
removed and added, aliases written out (``edit.py`` is the entry point)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from syncer.errors import quoted
from syncer.manifest.write import LevelEntry, level_value, yaml_key
from syncer.manifest.yamltree import _BREAK, Node, cannot
from syncer.model import nfc

Level = tuple[bool, dict[str, int]]


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


class Editor:
    """The splices that make one manifest text declare ``final``."""

    def __init__(self, text: str, root: Node, before: dict[tuple[str, str], Level],
                 file: str) -> None:
        self.text, self.file = text, file
        newline = _BREAK.search(text)
        self.nl = newline.group() if newline else "\n"
        pair = root.own("locations") if root.kind == "map" else None
        if pair is None or pair[1].kind != "map":
            raise cannot(file, "no `locations` mapping")
        self.locations_key, self.locations = pair
        self.final = {key: (active, dict(quantities)) for key, (active, quantities)
                      in before.items()}
        self.splices: list[tuple[int, int, str]] = []
        self.rendered: set[tuple[str, str]] = set()
        self.removed: set[tuple[str, str]] = set()
        #: Mappings whose text gains keys: {id: (mapping, {field: value})}.
        self.inserts: dict[int, tuple[Node, dict[str, int | bool]]] = {}
        #: Nodes whose content changes in place (other levels that share them must be pinned),
        #: with the fields that change: {id: fields}.
        self.changed: dict[int, set[str]] = {}
        #: Mappings of removed levels: a level that merges one is written out in full.
        self.gone: set[int] = set()

    # -- finding levels ---------------------------------------------------------------------

    def _location(self, location: str) -> tuple[Node, Node] | None:
        pair = self.locations.own(location)
        if pair is not None and pair[1].kind == "alias":
            raise cannot(self.file, f"location {location} is an alias of another location's "
                          "levels; write its levels out to let drift write them back")
        if pair is not None and pair[1].kind != "map":
            raise cannot(self.file, f"location {quoted(location)} is not a mapping here")
        return pair

    def _level(self, location: str, item: str) -> tuple[Node, Node]:
        found = self._location(location)
        pair = found[1].own(item) if found else None
        if pair is None:
            if found and any(m.own(item) for m in found[1].merged()):
                raise cannot(self.file, f"{location} / {item} comes from a << merge of another "
                              "location; write it in this location's own mapping")
            raise cannot(self.file, f"{location} / {item} is not a level mapping here")
        if pair[1].resolved().kind != "map":
            raise cannot(self.file, f"{location} / {item} is not a level mapping here")
        return pair

    # -- changes ----------------------------------------------------------------------------

    def set_value(self, edit: ValueEdit) -> None:
        key = (edit.location, edit.item)
        _, level = self._level(*key)
        active, quantities = self.final[key]
        if edit.field == "active":
            self.final[key] = (bool(edit.value), quantities)
        else:
            quantities[edit.field] = int(edit.value)
        if level.kind == "alias":  # B: *a -- written out as B's own mapping, not in the anchor
            self.rendered.add(key)
            return
        own = level.own(edit.field)
        if own is None:
            if not level.merged():
                raise cannot(self.file, f"{edit.location} / {edit.item} has no {edit.field}")
            self.inserts.setdefault(id(level), (level, {}))[1][edit.field] = edit.value
            self.changed.setdefault(id(level), set()).add(edit.field)
        elif own[1].kind == "alias":  # available: *n -- the alias becomes the value itself
            self._replace(own[1], _scalar(edit.value))
        else:
            self._replace_scalar(own[1], _scalar(edit.value))
            self.changed.setdefault(id(own[1]), set()).add(edit.field)
            self.changed.setdefault(id(level), set()).add(edit.field)

    def remove(self, location: str, item: str) -> None:
        _, level = self._level(location, item)
        self.removed.add((location, item))
        del self.final[(location, item)]
        if level.kind == "map":  # its anchors go with it: levels that use them are written out
            names = {name.value for name, _ in level.pairs if not name.merge}
            self.changed.setdefault(id(level), set()).update(names)
            self.gone.add(id(level))
            for _, value in level.pairs:
                self.changed.setdefault(id(value), set())

    def add(self, levels: list[LevelAdd]) -> None:
        by_location: dict[str, list[LevelAdd]] = {}
        for level in levels:
            by_location.setdefault(self._location_key(level.location), []).append(level)
        for location, adds in by_location.items():
            for level in adds:
                fields = dict(level.fields)
                self.final[(location, level.item)] = (
                    bool(fields.pop("active")), {k: int(v) for k, v in fields.items()})
            entries = [(yaml_key(level.item), _flow(level.fields)) for level in adds]
            found = self._location(location)
            if found is not None:
                self._append(found[1], found[0], entries)
            else:
                self._append(self.locations, self.locations_key,
                             [(yaml_key(location), entries)])

    def _location_key(self, name: str) -> str:
        """The key the manifest writes location ``name`` as (compared in NFC), else ``name``."""
        for key, _ in self.locations.pairs:
            if key.kind == "scalar" and not key.merge and nfc(key.value) == nfc(name):
                return key.value
        return name

    def finish(self) -> None:
        """Write removals, keep every level that shares a changed node at its own values, and
        write levels out and keys into mappings as decided."""
        deps: dict[int, set[str]] = {}
        for location_key, location in self.locations.pairs:
            if location_key.kind != "scalar" or location.kind != "map":
                continue
            gone = [pair for pair in location.pairs if (location_key.value, pair[0].value)
                    in self.removed]
            if gone:
                self._delete(location_key, location, gone)
            for item_key, level in location.pairs:
                key = (location_key.value, item_key.value)
                if key in self.removed or key not in self.final or item_key.merge:
                    continue
                if level.kind == "alias":
                    if self._depends(cast(Node, level.target), deps):  # an alias has one
                        self.rendered.add(key)
                elif level.kind == "map" and any(id(m) in self.gone for m in level.merged()):
                    self.rendered.add(key)
                elif level.kind == "map":
                    self._pin(key, level, deps)
        written = set()
        for location_name, item in sorted(self.rendered):
            level = self._level(location_name, item)[1]
            active, quantities = self.final[(location_name, item)]
            # What was spliced inside it is in the values it is written out with.
            self.splices = [s for s in self.splices if not level.start <= s[0] <= s[1] <= level.end]
            self._replace(level, level_value(LevelEntry(item, active, quantities)))
            written.add(id(level))
        for level, fields in self.inserts.values():
            if id(level) not in written:
                self._append(level, None, [(k, _scalar(v)) for k, v in fields.items()])

    def _pin(self, key: tuple[str, str], level: Node, deps: dict[int, set[str]]) -> None:
        active, quantities = self.final[key]
        values = {"active": active, **quantities}
        for name, value in level.pairs:
            if value.kind == "alias" and id(value.target) in self.changed and not name.merge:
                self._replace(value, _scalar(values[name.value]))
        written = self.inserts.get(id(level), (level, {}))[1]
        for source in level.merged():
            for field_name in sorted(self._depends(source, deps)):
                if (level.own(field_name) is None and field_name not in written
                        and field_name in values):
                    self.inserts.setdefault(id(level), (level, written))
                    written[field_name] = values[field_name]

    def _depends(self, node: Node, deps: dict[int, set[str]], depth: int = 0) -> set[str]:
        """The fields of mapping ``node`` (with what it merges) that change in place."""
        if id(node) not in deps:
            deps[id(node)] = set()  # a merge cycle is a YAML error; this only stops recursion
            fields = set(self.changed.get(id(node), ()))
            for name, value in node.pairs:
                if id(value.resolved()) in self.changed and not name.merge:
                    fields.add(name.value)
            for source in node.merged():
                fields |= self._depends(source, deps, depth + 1)
            deps[id(node)] = fields
        return deps[id(node)]

    # -- splices ----------------------------------------------------------------------------

    def _replace(self, node: Node, new: str) -> None:
        self.splices.append((node.start, node.end, new))

    def _replace_scalar(self, node: Node, new: str) -> None:
        """Replace a scalar's value, keeping a tag or anchor written before it."""
        written = self.text[node.start:node.end]
        start = node.end - len(node.value) if node.value and written.endswith(node.value) else \
            node.start
        self.splices.append((start, node.end, new))

    def _line_start(self, offset: int) -> int:
        start = max(self.text.rfind(c, 0, offset) for c in "\r\n\x85\u2028\u2029") + 1
        if self.text[start:offset].strip(" \t"):
            raise cannot(self.file, "a level shares its line with other YAML; put each level on "
                          "a line of its own")
        return start

    def _next_line(self, offset: int) -> int:
        match = _BREAK.search(self.text, offset)
        return match.end() if match else len(self.text)

    def _delete(self, location_key: Node, location: Node,
                gone: list[tuple[Node, Node]]) -> None:
        pairs = location.pairs
        if location.flow:
            kept = [i for i, pair in enumerate(pairs) if pair not in gone]
            for i, pair in enumerate(pairs):
                if pair not in gone:
                    continue
                if i + 1 < len(pairs):
                    self.splices.append((pair[0].start, pairs[i + 1][0].start, ""))
                else:
                    previous = [j for j in kept if j < i]
                    start = pairs[previous[-1]][1].end if previous else pair[0].start
                    self.splices.append((start, pair[1].end, ""))
            return
        for key, value in gone:
            self.splices.append((self._line_start(key.start), self._next_line(value.end), ""))
        if len(gone) == len(pairs):  # nothing left: the location stays declared, empty
            colon = self.text.index(":", location_key.end)
            self.splices.append((colon + 1, colon + 1, " {}"))

    def _append(self, mapping: Node, key: Node | None, entries: list[Any]) -> None:
        """Add ``entries`` (key text, value text, or a list of entries for a nested mapping)
        at the end of ``mapping``, in its style."""
        if mapping.flow:
            text = ", ".join(f"{k}: {_inline(v)}" for k, v in entries)
            if mapping.pairs:
                self.splices.append((mapping.pairs[-1][1].end, mapping.pairs[-1][1].end,
                                     ", " + text))
                return
            if key is None:
                self.splices.append((mapping.start + 1, mapping.start + 1, text))
                return
            indent = self._column(key.start) + 2
            lines = self._lines(entries, indent, indent + 2)
            start = len(self.text[:mapping.start].rstrip(" \t"))  # `Loc: {}` -> `Loc:`
            self.splices.append((start, mapping.end, self.nl + lines[:-len(self.nl)]))
            return
        first = mapping.pairs[0][0]
        indent = self._column(first.start)
        step = 2
        nested = mapping.pairs[0][1]
        if nested.kind == "map" and not nested.flow and nested.pairs:
            step = self._column(nested.pairs[0][0].start) - indent
        lines = self._lines(entries, indent, indent + step)
        end = mapping.end
        at = self._next_line(end)
        if at == len(self.text) and not _BREAK.search(self.text, end):
            lines = self.nl + lines[:-len(self.nl)]  # the file ends without a line break
        self.splices.append((at, at, lines))

    def _lines(self, entries: list[Any], indent: int, nested: int) -> str:
        out = ""
        for k, v in entries:
            if isinstance(v, list):
                out += " " * indent + f"{k}:" + self.nl + self._lines(v, nested, nested + 2)
            else:
                out += " " * indent + f"{k}: {v}" + self.nl
        return out

    def _column(self, offset: int) -> int:
        return offset - self._line_start(offset)

    def result(self) -> str:
        """The text with every splice made (overlapping deletions are made as one)."""
        splices: list[tuple[int, int, str]] = []
        for start, stop, new in sorted(self.splices, key=lambda s: (s[0], s[1])):
            if splices and start < splices[-1][1]:
                if new or splices[-1][2]:
                    raise cannot(self.file, "two changes overlap; edit the file by hand")
                previous = splices.pop()
                start, stop = previous[0], max(stop, previous[1])
            splices.append((start, stop, new))
        parts, at = [], 0
        for start, stop, new in splices:
            parts += [self.text[at:start], new]
            at = stop
        return "".join(parts) + self.text[at:]


def _inline(value: str | list[Any]) -> str:
    if isinstance(value, list):
        return "{" + ", ".join(f"{k}: {_inline(v)}" for k, v in value) + "}"
    return value


def _flow(fields: Mapping[str, int | bool]) -> str:
    return "{" + ", ".join(f"{name}: {_scalar(value)}" for name, value in fields.items()) + "}"


def _scalar(value: int | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


