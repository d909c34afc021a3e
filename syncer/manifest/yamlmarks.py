"""YAML text to plain values plus the line and column of every key and value.

The document is built from the parser's event stream with an explicit stack, not from pyyaml's
composer: the composer recurses (libyaml's Cython composer crashes the process on deeply nested
input), keeps the last of two duplicate keys without a word, and constructs whatever a tag names.
Here duplicate keys, non-scalar keys, unknown tags and alias bombs are problems, and the result
holds only dicts, lists, str, int, float, bool and None.

Scalars are read by ``syncer.manifest.scalars``: YAML 1.2 core, in the forms every YAML version
reads alike.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from syncer.errors import Problem, Source
from syncer.manifest.nesting import deep_bracket_end
from syncer.manifest.scalars import (
    PLAIN,
    TAG,
    TEXT_TAGS,
    TYPED_TAGS,
    read_plain,
    read_tagged,
)

#: libyaml's parser when pyyaml was built with it (about 10x faster), else the pure Python one.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: How many nodes aliases may add to one document; a "billion laughs" file stops here.
ALIAS_LIMIT = 1_000_000
#: How deeply lists and mappings may nest (a manifest needs 4); bounds time and memory.
MAX_DEPTH = 64
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; a manifest needs 4"

#: Where a key and its value start, as pyyaml marks (0-based ``line`` and ``column``).
Mark = tuple[object, object]
Path = tuple[str | int, ...]

_COLLECTION_TAGS = {None, "!", TAG + "map", TAG + "seq"}
_SKIP = object()  # the value of a dropped entry (duplicate or non-scalar key) is read and dropped
_KEY_SKIP = object()  # a non-scalar key is being read; its value is dropped after it
_MERGE = object()  # the "<<" merge key
_START = (1, 1)


@dataclass(slots=True)
class ParsedYaml:
    """A YAML document as plain values, where each value was, and what was wrong with the text.

    ``marks`` maps the path of each mapping or list to ``{key or index: (key mark, value mark)}``.
    ``bad_paths`` are paths whose value could not be read (a problem is already reported there),
    so later checks can stay quiet about them.
    """

    document: object
    marks: dict[Path, dict]
    problems: list[Problem]
    bad_paths: set[Path] = field(default_factory=set)
    root: tuple[int, int] = _START
    #: How each null written as a word (``~``, ``null``) was written, by path.
    nulls: dict[Path, str] = field(default_factory=dict)

    def key_source(self, file: str, path: Path) -> Source:
        """Where the key of ``path`` is written (or the nearest enclosing one that is)."""
        return self._source(file, path, 0)

    def value_source(self, file: str, path: Path) -> Source:
        """Where the value at ``path`` is written (or the nearest enclosing one that is)."""
        return self._source(file, path, 1)

    def _source(self, file: str, path: Path, which: int) -> Source:
        # Values reached through an alias or a merge key have no marks of their own: point at the
        # alias, the closest thing the user wrote.
        while path:
            entry = self.marks.get(path[:-1], {}).get(path[-1])
            if entry is not None:
                mark = entry[which]
                return Source(file, mark.line + 1, mark.column + 1)
            path = path[:-1]
        return Source(file, *self.root)


class _Abort(Exception):
    """Stop reading this document: a problem was recorded and nothing after it can be trusted."""


class _Frame:
    __slots__ = ("value", "path", "is_map", "key", "kmark", "marks", "merges", "anchor", "start")

    def __init__(self, value, path, is_map, marks, anchor, start):
        self.value = value
        self.path = path
        self.is_map = is_map
        self.key = None
        self.kmark = None
        self.marks = marks
        self.merges = None
        self.anchor = anchor
        self.start = start


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into plain values and marks; never raises for bad input.

    >>> parsed = parse_yaml("a: {b: 1}\\n", "x.yaml")
    >>> parsed.document, parsed.value_source("x.yaml", ("a", "b")), parsed.problems
    ({'a': {'b': 1}}, Source(file='x.yaml', line=1, column=8), [])
    """
    builder = _Builder(file)
    # The parse allocates millions of small acyclic objects; the cyclic collector would walk them
    # again and again for nothing (it doubles the time of a large file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        end = deep_bracket_end(text, MAX_DEPTH)
        if end is not None:
            # Read only up to the bracket past the limit: the parser never sees the deep part,
            # whose own limit (PyYAML >= 6.0.4) would otherwise answer first.
            head = _parse(builder, text[:end])
            if any(p.message == _TOO_DEEP for p in head.problems):
                return head
            builder = _Builder(file)
        return _parse(builder, text)
    finally:
        if collecting:
            gc.enable()


def _parse(builder: _Builder, text: str) -> ParsedYaml:
    try:
        loader = LOADER(text)
    except (yaml.YAMLError, UnicodeError, ValueError) as exc:
        builder.problem(1, 1, f"cannot read the file as YAML: {exc}")
        return builder.result()
    try:
        builder.run(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if mark is not None and _char_at(text, mark) == "\t":
            # libyaml says "found character that cannot start any token" without naming it.
            builder.problem(line, column, "a tab character: YAML indents with spaces only; "
                            "replace the tab with spaces")
        else:
            builder.problem(line, column, f"YAML syntax error: {what}{context}")
    except yaml.reader.ReaderError as exc:
        position = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        builder.problem(line, column, f"YAML syntax error: {exc.reason} (#x{exc.character:04x})")
    except (yaml.YAMLError, UnicodeError, ValueError) as exc:
        builder.problem(1, 1, f"cannot read the file as YAML: {exc}")
    except _Abort:
        pass
    finally:
        loader.dispose()
    return builder.result()


def _char_at(text: str, mark) -> str:
    """The character a parser mark points at ('' past the end)."""
    lines = text.split("\n", mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line[mark.column : mark.column + 1]


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.document = None
        self.root = _START
        self.marks: dict[Path, dict] = {}
        self.problems: list[Problem] = []
        self.bad: set[Path] = set()
        self.nulls: dict[Path, str] = {}
        self.anchors: dict[str, tuple[object, int]] = {}
        self.open_anchors: set[str] = set()
        # Values read so far, counting what aliases expand to: an anchored collection's size is
        # the difference between its end and its start.
        self.expanded = 0
        self.stack: list[_Frame] = []

    def result(self) -> ParsedYaml:
        return ParsedYaml(self.document, self.marks, self.problems, self.bad, self.root,
                          self.nulls)

    def problem(self, line: int, column: int, message: str, path: Path | None = None) -> None:
        where = f"{format_path(path)}: " if path else ""
        self.problems.append(Problem(Source(self.file, line, column), where + message))

    def run(self, loader) -> None:
        # The hot loop: a scalar key and a plain scalar value inside a mapping are handled inline
        # (most events of a manifest); everything else goes through the helpers below.
        stack = self.stack
        get_event = loader.get_event
        plain = PLAIN
        count = 0
        documents = 0
        while True:
            event = get_event()
            count += 1
            kind = type(event)
            if kind is ScalarEvent and stack:
                top = stack[-1]
                if top.is_map:
                    key = top.key
                    if key is None:
                        key = event.value
                        if key in top.value or key == "<<" or event.anchor is not None:
                            self._key(top, event)
                        else:
                            # Keys are always the text as written: SKU 0123 stays "0123".
                            top.key = key
                            top.kmark = event.start_mark
                        continue
                    if key.__class__ is str and top.path is not None:
                        value = event.value
                        if event.tag is None and event.implicit[0]:
                            if value in plain:
                                value = plain[value]
                            elif value.isdigit() and value.isascii():
                                value = int(value)  # decimal, as YAML 1.2: 010 is 10
                            else:
                                value = self._scalar(event, top.path + (key,))
                        elif event.tag is not None:
                            value = self._scalar(event, top.path + (key,))
                        top.marks[key] = (top.kmark, event.start_mark)
                        top.value[key] = value
                        top.key = None
                        if event.anchor is not None:
                            self.anchors[event.anchor] = (value, 1)
                        continue
                path = self._begin(event.start_mark)
                value = self._scalar(event, path)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
                self._end(value)
            elif kind is MappingStartEvent and stack and event.anchor is None:
                # A level's mapping (the second most common event), inline.
                top = stack[-1]
                key = top.key
                if top.is_map and key.__class__ is str and event.tag is None and top.path:
                    if len(stack) >= MAX_DEPTH:
                        self._too_deep(event)
                    path = top.path + (key,)
                    top.marks[key] = (top.kmark, event.start_mark)
                    marks = self.marks[path] = {}
                    stack.append(_Frame({}, path, True, marks, None, 0))
                else:
                    self._collection(event, True, count)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self._collection(event, kind is MappingStartEvent, count)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    self._merge(frame)
                if frame.anchor is not None:
                    size = count + self.expanded - frame.start
                    self.anchors[frame.anchor] = (frame.value, size)
                    self.open_anchors.discard(frame.anchor)
                self._end(frame.value)
            elif kind is ScalarEvent:
                self.root = (event.start_mark.line + 1, event.start_mark.column + 1)
                self.document = self._scalar(event, ())
            elif kind is AliasEvent:
                path = self._begin(event.start_mark)
                self._end(self._alias(event.anchor, event.start_mark, path))
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    message = "a second YAML document starts here: write one manifest per file"
                    self.problem(mark.line + 1, mark.column + 1, message)
                    raise _Abort
            elif kind is StreamEndEvent or event is None:
                return

    def _collection(self, event, is_map: bool, count: int) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self._too_deep(event)
        path = self._begin(event.start_mark)
        if event.tag not in _COLLECTION_TAGS:
            self._bad_tag(event.tag, event.start_mark, path)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        marks = {}
        if path is not None:
            self.marks[path] = marks
        frame = _Frame({} if is_map else [], path, is_map, marks, event.anchor, 0)
        frame.start = count + self.expanded
        self.stack.append(frame)

    def _too_deep(self, event) -> None:
        mark = event.start_mark
        self.problem(mark.line + 1, mark.column + 1, _TOO_DEEP)
        raise _Abort

    def _key(self, top: _Frame, event) -> None:
        key = event.value
        top.kmark = event.start_mark
        if event.implicit[0] and key == "<<":
            top.key = _MERGE
        elif top.path is not None and key in top.value:
            first = top.marks.get(key)
            where = f"{self.file}:{first[0].line + 1}:{first[0].column + 1}" if first else "above"
            mark = event.start_mark
            self.problem(
                mark.line + 1,
                mark.column + 1,
                f"duplicate key {key!r}, first declared at {where}: YAML would keep only the "
                "last one; remove or merge one of them",
                top.path,
            )
            top.key = _SKIP
        else:
            top.key = key
        if event.anchor is not None:
            self.anchors[event.anchor] = (key, 1)

    def _begin(self, mark) -> Path | None:
        """Start a value: record its marks and return its path (None when it will be dropped)."""
        stack = self.stack
        if not stack:
            self.root = (mark.line + 1, mark.column + 1)
            return ()
        top = stack[-1]
        key = top.key
        if top.is_map and key is None:
            if top.path is not None:
                message = "keys must be plain text, not a list, mapping or alias"
                self.problem(mark.line + 1, mark.column + 1, message, top.path)
            top.key = _KEY_SKIP
            return None
        if top.path is None:
            return None
        if top.is_map:
            if key is _SKIP or key is _MERGE or key is _KEY_SKIP:
                return None
            top.marks[key] = (top.kmark, mark)
            return top.path + (key,)
        index = len(top.value)
        top.marks[index] = (mark, mark)
        return top.path + (index,)

    def _end(self, value) -> None:
        stack = self.stack
        if not stack:
            self.document = value
            return
        top = stack[-1]
        if not top.is_map:
            top.value.append(value)
            return
        key = top.key
        if key is _KEY_SKIP:
            top.key = _SKIP
            return
        top.key = None
        if key is _SKIP:
            return
        if key is _MERGE:
            if top.merges is None:
                top.merges = []
            top.merges.append((value, top.kmark))
            return
        top.value[key] = value

    def _scalar(self, event, path: Path | None):
        value = event.value
        tag = event.tag
        mark = event.start_mark
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value
            read = read_plain(value)
            if read is None and value and path is not None:
                self.nulls[path] = value
            return read
        if tag in TEXT_TAGS:
            return value
        if tag in TYPED_TAGS:
            read, problem = read_tagged(tag, value)
            if problem is not None:
                self._fail(mark, path, problem)
            return read
        self._bad_tag(tag, mark, path)
        return None

    def _bad_tag(self, tag: str, mark, path: Path | None) -> None:
        shown = tag.replace(TAG, "!!")
        self._fail(mark, path, f"tag {shown} is not allowed: manifests hold plain values only")

    def _fail(self, mark, path: Path | None, message: str) -> None:
        if path is None:
            return
        self.problem(mark.line + 1, mark.column + 1, message, path)
        self.bad.add(path)

    def _alias(self, anchor: str, mark, path: Path | None):
        if anchor not in self.anchors:
            why = "refers to itself" if anchor in self.open_anchors else "has no matching &anchor"
            self._fail(mark, path if path is not None else (), f"alias *{anchor} {why}")
            return None
        value, size = self.anchors[anchor]
        self.expanded += size
        if self.expanded > ALIAS_LIMIT:
            self.problem(
                mark.line + 1,
                mark.column + 1,
                f"aliases expand to more than {ALIAS_LIMIT:,} values; write the values out or use "
                "fewer nested aliases",
            )
            raise _Abort
        return value

    def _merge(self, frame: _Frame) -> None:
        """Apply ``<<`` merge keys: keys written in the mapping win, then earlier merges win."""
        own = frame.value
        for value, mark in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    if frame.path is not None:
                        message = "<< must merge a mapping or a list of mappings"
                        self.problem(mark.line + 1, mark.column + 1, message, frame.path)
                        self.bad.add(frame.path)
                    continue
                for key, item in source.items():
                    if key not in own:
                        own[key] = item
                        frame.marks[key] = (mark, mark)


def format_path(path: Path | None) -> str:
    """A document path as a reader would write it: dotted, with odd keys quoted.

    >>> format_path(("locations", "Warehouse East", "TSHIRT-RED-M", "available"))
    'locations."Warehouse East".TSHIRT-RED-M.available'
    >>> format_path(("locations", "gid://shopify/Location/1", 0))
    'locations."gid://shopify/Location/1"[0]'
    """
    out = ""
    for part in path or ():
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if not _is_plain(part):
            part = '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += ("." if out else "") + part
    return out


def _is_plain(text: str) -> bool:
    return bool(text) and all(c.isalnum() or c in "-_" for c in text) and text.isascii()
