"""Manifest text as a tree that knows where each key and value starts and ends: what
``edit.py`` splices. Read with the same YAML parser as ``syncer validate`` (``LOADER``), so it
accepts exactly what validate accepts."""

from __future__ import annotations

import re
from typing import Any, cast

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from syncer.errors import ManifestError, Problem, Source
from syncer.manifest.yamlmarks import LOADER

#: Line breaks as YAML counts lines (a parser mark's line number).
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

class Node:
    """A YAML node and the span of text it was read from (``end`` of a block collection: the end
    of its last value). ``target`` is what an alias names; ``pairs`` and ``items`` its content."""

    __slots__ = ("kind", "start", "end", "value", "flow", "pairs", "items", "target", "merge")
    kind: str
    start: int
    end: int
    value: str
    flow: bool
    target: Node | None
    merge: bool

    def __init__(self, kind: str, start: int, end: int = 0) -> None:
        self.kind, self.start, self.end = kind, start, end
        self.value, self.flow, self.target, self.merge = "", False, None, False
        self.pairs: list[tuple[Node, Node]] = []
        self.items: list[Node] = []

    def resolved(self) -> Node:
        # an alias always has its target (_tree refuses one without)
        return cast(Node, self.target) if self.kind == "alias" else self

    def own(self, key: str) -> tuple[Node, Node] | None:
        """The pair this mapping writes itself for ``key`` (not one a merge brings)."""
        for pair in self.pairs:
            if pair[0].kind == "scalar" and not pair[0].merge and pair[0].value == key:
                return pair
        return None

    def merged(self) -> list[Node]:
        """The mappings this mapping's ``<<`` keys merge, in the order they win."""
        out: list[Node] = []
        for key, value in self.pairs:
            if key.merge:
                value = value.resolved()
                out += [v.resolved() for v in value.items] if value.kind == "seq" else [value]
        return [node for node in out if node.kind == "map"]


def parse_tree(text: str, file: str) -> Node:
    """The document of ``text`` as a tree of ``Node`` with the text span of each node."""
    starts = [0] + [match.end() for match in _BREAK.finditer(text)]
    loader = LOADER(text)
    anchors: dict[str, Node] = {}
    stack: list[Node] = []
    pending: list[Node | None] = []  # per open mapping: its key waiting for a value
    root: Node | None = None

    # a pyyaml Mark: the stubs make an event's marks optional, the parser always sets them
    def at(mark: Any) -> int:
        offset: int = starts[mark.line] + mark.column
        return offset

    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, StreamEndEvent):
                break
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                node = Node("map" if isinstance(event, MappingStartEvent) else "seq",
                             at(event.start_mark))
                node.flow = bool(event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                stack.append(node)
                pending.append(None)
                continue
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                node, _ = stack.pop(), pending.pop()
                last = node.pairs[-1][1] if node.pairs else (node.items[-1] if node.items else None)
                node.end = at(event.end_mark) if node.flow or last is None else last.end
            elif isinstance(event, ScalarEvent):
                node = Node("scalar", at(event.start_mark), at(event.end_mark))
                node.value = event.value
                node.merge = event.value == "<<" and event.tag is None and event.implicit[0]
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif isinstance(event, AliasEvent):
                node = Node("alias", at(event.start_mark), at(event.end_mark))
                node.target = anchors.get(cast(str, event.anchor))  # an alias names one
                if node.target is None:
                    raise cannot(file, f"alias *{event.anchor} has no matching &anchor")
            else:
                continue
            if not stack:
                root = node
            elif stack[-1].kind == "seq":
                stack[-1].items.append(node)
            elif pending[-1] is None:
                pending[-1] = node
            else:
                stack[-1].pairs.append((pending[-1], node))
                pending[-1] = None
    except yaml.YAMLError as exc:
        raise cannot(file, f"not readable as YAML ({exc})") from None
    finally:
        loader.dispose()
    return root if root is not None else Node("scalar", 0)



def cannot(file: str, message: str) -> ManifestError:
    return ManifestError([Problem(Source(file), f"cannot edit: {message}")])

