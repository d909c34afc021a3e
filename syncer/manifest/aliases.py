"""Anchors, aliases and ``<<`` merge keys while a YAML document is composed.

An alias is the value its anchor named, shared, not copied; what it adds is counted all the same,
so a "billion laughs" file stops at ``ALIAS_LIMIT`` values instead of exhausting memory. An alias
with no anchor before it, or inside the collection it names, is a problem. A merge key copies
the keys a mapping does not write itself, and merging anything but mappings is a problem. This is
a base class of ``syncer.manifest.compose.Composer``, whose event loop records the anchors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, Protocol, cast

from yaml.error import Mark

from syncer.manifest.parsed import Marks, Path

#: How many nodes aliases may add to one document; a "billion laughs" file stops here.
ALIAS_LIMIT = 1_000_000


class _Frame(Protocol):
    """What ``_merge`` reads of the composer's open mapping (``compose._Frame``)."""

    value: Any
    path: Path | None
    marks: Marks
    merges: list[tuple[object, Mark]] | None


class Aliases:
    """The anchors read so far and what aliases expand to; problems go to the composer.

    The composer provides ``problem``, ``_fail``, ``_stop`` and ``bad``; its event loop stores
    each anchored value in ``anchors`` with its size and keeps ``open_anchors`` and ``expanded``.
    """

    if TYPE_CHECKING:  # provided by the composer
        bad: set[Path]

        def problem(self, line: int, column: int, message: str,
                    path: Path | None = None) -> None: ...
        def _fail(self, mark: Mark, path: Path | None, message: str) -> None: ...
        def _stop(self, mark: Mark, message: str) -> NoReturn: ...

    def __init__(self) -> None:
        self.anchors: dict[str, tuple[object, int]] = {}
        self.open_anchors: set[str] = set()
        # Values read so far, counting what aliases expand to: an anchored collection's size is
        # the difference between its end and its start.
        self.expanded = 0

    def _alias(self, anchor: str, mark: Mark, path: Path | None) -> object:
        if anchor not in self.anchors:
            why = "refers to itself" if anchor in self.open_anchors else "has no matching &anchor"
            self._fail(mark, path if path is not None else (), f"alias *{anchor} {why}")
            return None
        value, size = self.anchors[anchor]
        self.expanded += size
        if self.expanded > ALIAS_LIMIT:
            self._stop(mark, f"aliases expand to more than {ALIAS_LIMIT:,} values; write the "
                             "values out or use fewer nested aliases")
        return value

    def _merge(self, frame: _Frame) -> None:
        """Apply ``<<`` merge keys: keys written in the mapping win, then earlier merges win."""
        own = frame.value
        for value, mark in cast("list[tuple[object, Mark]]", frame.merges):  # it has some
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
