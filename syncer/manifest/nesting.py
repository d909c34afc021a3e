"""Find flow brackets nested too deep before the YAML parser reads the text.

PyYAML 6.0.4 stops at about 1,000 flow levels with its own error, and earlier versions do not
stop at all; syncer's limit is far lower and its message says what a manifest needs. This scan
only points at where the limit may be passed: ``yamlmarks`` then reads the text up to that point,
so the parser never sees the deep part and the error is syncer's whatever the PyYAML version.

It counts brackets as written, without reading quotes or comments: a bracket inside a string can
make it point too early (the reader then finds nothing wrong there and reads the whole text), and
a closing bracket inside a string can hide depth (PyYAML's own limit is then the backstop).
"""

from __future__ import annotations

import re

_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")
_BRACKET = re.compile(r"[\[\]{}]")


def deep_bracket_end(text: str, limit: int) -> int | None:
    """The offset just after the first bracket that opens level ``limit + 1``, else None.

    >>> deep_bracket_end("a: [[[1]]]", 2), deep_bracket_end("a: [[1], [2]]", 2)
    (6, None)
    """
    brackets = _NOT_BRACKET.sub("", text)
    # Drop innermost pairs level by level at C speed: any real manifest is empty after a few.
    for _ in range(limit):
        brackets, dropped = _INNERMOST_PAIR.subn("", brackets)
        if not brackets or not dropped:
            break
    if not brackets:
        return None
    depth = 0
    for match in _BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return match.end()
        elif depth:
            depth -= 1
    return None
