"""Marking text up for where a renderer's output is read: a terminal, Markdown or HTML.

``paint`` colours a line for a terminal (ANSI, only when asked); ``escape_markdown`` and
``escape_html`` make manifest data (SKUs, location names, messages) literal text that cannot start
Markdown or HTML or mention anyone; ``markdown_notes`` is a titled list of notes, shortened past
50. The plan and drift renderers share them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from syncer.plan.notices import Notice

_NOTES_SHOWN = 50

_ANSI = {"+": "32", "~": "33", "-": "31", "!": "35", "x": "1;31", "h": "1"}


def paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color else text


#: Characters that could start Markdown or HTML in a table cell or list item: backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
#: A mention (``@team``) or reference (``#12``) in manifest data must not notify or link anyone:
#: a zero-width space after the sign breaks it and stays invisible.
_MENTION = re.compile(r"([@#])(?=[\w-])")


def escape_markdown(text: object) -> str:
    r"""``text`` (a SKU, a location name, a message) as literal Markdown text on one line.

    >>> escape_markdown("**x** <b>@ops</b> [a](b) | c")
    '\\*\\*x\\*\\* \\<b\\>@\u200bops\\</b\\> \\[a\\](b) \\| c'
    """
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))
    return _MENTION.sub("\\1\u200b", text)


def escape_html(text: object) -> str:
    """``text`` as literal HTML text (a ``<summary>``: Markdown is not read there)."""
    return _MENTION.sub("\\1\u200b", html.escape(" ".join(str(text).splitlines())))


def markdown_notes(title: str, notes: Iterable[Notice]) -> list[str]:
    notes = list(notes)
    if not notes:
        return []
    out = [f"**{title}**", ""]
    out.extend(f"- {escape_markdown(n)}" for n in notes[:_NOTES_SHOWN])
    if len(notes) > _NOTES_SHOWN:
        out.append(f"- ... and {len(notes) - _NOTES_SHOWN} more")
    return out + [""]
