"""Compose a YAML document from the parser's events: plain values, their marks, and problems.

The document is built from the event stream with an explicit stack, not with pyyaml's composer:
the composer recurses (libyaml's Cython composer crashes the process on deeply nested input),
keeps the last of two duplicate keys without a word, and constructs whatever a tag names. Here
duplicate keys, non-scalar keys, unknown tags, a second document and nesting deeper than
``MAX_DEPTH`` are problems, and the result holds only dicts, lists, str, int, float, bool and
None. Anchors, aliases and merge keys are ``syncer.manifest.aliases``; scalars are read by
``syncer.manifest.scalars``.
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol

from yaml.error import Mark
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

from syncer.errors import Problem, Source, quoted
from syncer.manifest.aliases import Aliases
from syncer.manifest.parsed import START, Marks, ParsedYaml, Path, format_path
from syncer.manifest.scalars import PLAIN, TAG, TEXT_TAGS, TYPED_TAGS, read_plain, read_tagged

#: How deeply lists and mappings may nest (a manifest needs 4); bounds time and memory.
MAX_DEPTH = 64
#: The problem for a document nested deeper (``parse_yaml`` looks for it in a first read).
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; a manifest needs 4"

_COLLECTION_TAGS = {None, "!", TAG + "map", TAG + "seq"}
_SKIP = object()  # the value of a dropped entry (duplicate or non-scalar key) is read and dropped
_KEY_SKIP = object()  # a non-scalar key is being read; its value is dropped after it
_MERGE = object()  # the "<<" merge key


class Events(Protocol):
    """A pyyaml parser (``SafeLoader``, ``CSafeLoader``): its events, one by one."""

    def get_event(self) -> Any: ...


class _Abort(Exception):
    """Stop reading this document: a problem was recorded and nothing after it can be trusted."""


class _Frame:
    __slots__ = ("value", "path", "is_map", "key", "kmark", "marks", "merges", "anchor", "start")

    def __init__(self, value: Any, path: Path | None, is_map: bool, marks: Marks,
                 anchor: str | None, start: int) -> None:
        self.value = value  # the dict or list being read
        self.path = path
        self.is_map = is_map
        self.key: Any = None  # the key read (str), or one of the markers _SKIP, _KEY_SKIP, _MERGE
        self.kmark: Any = None  # the Mark of the key read (None before one is read)
        self.marks = marks
        self.merges: list[tuple[object, Mark]] | None = None
        self.anchor = anchor
        self.start = start


class Composer(Aliases):
    """Builds one document of ``file`` from a parser's events; ``result()`` is what it read."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.document: object = None
        self.root = START
        self.marks: dict[Path, Marks] = {}
        self.problems: list[Problem] = []
        self.bad: set[Path] = set()
        self.nulls: dict[Path, str] = {}
        self.stack: list[_Frame] = []

    def result(self) -> ParsedYaml:
        return ParsedYaml(self.document, self.marks, self.problems, self.bad, self.root,
                          self.nulls)

    def problem(self, line: int, column: int, message: str, path: Path | None = None) -> None:
        where = f"{format_path(path)}: " if path else ""
        self.problems.append(Problem(Source(self.file, line, column), where + message))

    def run(self, loader: Events) -> None:
        """Read ``loader``'s events to the end, or to a problem that stops this document."""
        try:
            self._read(loader)
        except _Abort:
            pass

    def _read(self, loader: Events) -> None:
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
                    message = "a second YAML document starts here: write one manifest per file"
                    self._stop(event.start_mark, message)
            elif kind is StreamEndEvent or event is None:
                return

    # Events are pyyamls (get_event is untyped; its events always have a start_mark)
    def _collection(self, event: Any, is_map: bool, count: int) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self._too_deep(event)
        path = self._begin(event.start_mark)
        if event.tag not in _COLLECTION_TAGS:
            self._bad_tag(event.tag, event.start_mark, path)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        marks: Marks = {}
        if path is not None:
            self.marks[path] = marks
        frame = _Frame({} if is_map else [], path, is_map, marks, event.anchor, 0)
        frame.start = count + self.expanded
        self.stack.append(frame)

    def _too_deep(self, event: Any) -> NoReturn:
        self._stop(event.start_mark, TOO_DEEP)

    def _stop(self, mark: Mark, message: str) -> NoReturn:
        """Record a problem after which nothing in this document can be trusted, and stop."""
        self.problem(mark.line + 1, mark.column + 1, message)
        raise _Abort

    def _key(self, top: _Frame, event: Any) -> None:
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
                f"duplicate key {quoted(key)}, first declared at {where}: YAML would keep only the "
                "last one; remove or merge one of them",
                top.path,
            )
            top.key = _SKIP
        else:
            top.key = key
        if event.anchor is not None:
            self.anchors[event.anchor] = (key, 1)

    def _begin(self, mark: Mark) -> Path | None:
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

    def _end(self, value: object) -> None:
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

    def _scalar(self, event: Any, path: Path | None) -> object:
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

    def _bad_tag(self, tag: str, mark: Mark, path: Path | None) -> None:
        shown = tag.replace(TAG, "!!")
        self._fail(mark, path, f"tag {shown} is not allowed: manifests hold plain values only")

    def _fail(self, mark: Mark, path: Path | None, message: str) -> None:
        if path is None:
            return
        self.problem(mark.line + 1, mark.column + 1, message, path)
        self.bad.add(path)
