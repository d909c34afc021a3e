"""What reading a YAML document gives back: ``ParsedYaml`` and the document paths it is keyed by.

``ParsedYaml`` holds the document as plain values, the marks of every key and value by path, and
the problems found in the text; it answers where a path is written (``key_source``,
``value_source``), the way later checks point at the line to fix. ``format_path`` writes a path
as a reader would. ``syncer.manifest.yamlmarks`` builds these values; the checks read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncer.errors import Problem, Source

#: Where a key and its value start, as pyyaml marks (0-based ``line`` and ``column``).
Mark = tuple[object, object]
Path = tuple[str | int, ...]
#: The marks of a mapping's keys or a list's indexes: ``{key or index: (key mark, value mark)}``
#: (pyyaml's marks; a list item's key mark is its value mark).
Marks = dict[str | int, tuple[Any, Any]]

#: Where a document is said to be written until its first value is read (line 1, column 1).
START = (1, 1)


@dataclass(slots=True)
class ParsedYaml:
    """A YAML document as plain values, where each value was, and what was wrong with the text.

    ``marks`` maps the path of each mapping or list to ``{key or index: (key mark, value mark)}``.
    ``bad_paths`` are paths whose value could not be read (a problem is already reported there),
    so later checks can stay quiet about them.
    """

    document: object
    marks: dict[Path, Marks]
    problems: list[Problem]
    bad_paths: set[Path] = field(default_factory=set)
    root: tuple[int, int] = START
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
