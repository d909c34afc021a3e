"""Markdown that fits a pull-request comment: sections of table rows cut to a size limit."""

from __future__ import annotations

from syncer.errors import plural

#: Markdown output stays below this many characters (GitHub comments allow 65,536).
MARKDOWN_LIMIT = 60_000
_TABLE = "\n\n| | SKU | Change |\n|---|---|---|\n"
_CLOSING = "\n</details>\n\n"
_MORE_ROW = 60  # room for one section's "| | ... N more |" row


def fit_sections(head: list[str], sections: list[tuple[str, list[str]]], tail: list[str],
              what: str) -> str:
    """``head``, one ``<details>`` section per location, then ``tail``, below the limit.

    Every section keeps its heading (which carries its count); when the rows do not all fit,
    each section gets a fair share of the room (a small section all its rows, the rest split
    evenly) and says how many of its rows it leaves out.
    """
    header, footer = "\n".join(head) + "\n", "\n".join(tail) + "\n"
    notice = 200  # room for the closing "... and N more" line
    openings = [f"<details><summary>{summary}</summary>{_TABLE}" for summary, _ in sections]
    fixed = len(header) + len(footer) + notice + sum(
        len(o) + len(_CLOSING) + _MORE_ROW for o in openings)
    if fixed > MARKDOWN_LIMIT:
        return _headings_only(header, footer, sections, what)
    sizes = [sum(len(row) + 1 for row in rows) for _, rows in sections]
    room = _shares(sizes, MARKDOWN_LIMIT - fixed)
    parts = [header]
    left_out = 0
    for opening, (_, rows), share in zip(openings, sections, room, strict=True):
        parts.append(opening)
        used = fitted = 0
        for row in rows:
            if used + len(row) + 1 > share:
                break
            parts.append(row + "\n")
            used += len(row) + 1
            fitted += 1
        if fitted < len(rows):
            parts.append(f"| | ... | {len(rows) - fitted:,} more {what} not shown here |\n")
            left_out += len(rows) - fitted
        parts.append(_CLOSING)
    if left_out:
        parts.append(f"... and {left_out:,} more {what} not shown here "
                     "(see the plan as text or JSON)\n\n")
    parts.append(footer)
    return "".join(parts)


def _shares(sizes: list[int], budget: int) -> list[int]:
    """Characters for each section: small ones get all they need, the others equal shares.

    >>> _shares([10, 500, 500], 410)
    [10, 200, 200]
    """
    room = [0] * len(sizes)
    left = max(budget, 0)
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    for done, index in enumerate(order):
        room[index] = min(sizes[index], left // (len(sizes) - done))
        left -= room[index]
    return room


def _headings_only(header: str, footer: str, sections: list[tuple[str, list[str]]],
                   what: str) -> str:
    """Too many locations for their tables: one line per location, as many as fit."""
    parts, size = [header, "\n"], len(header) + len(footer) + 400
    shown = 0
    for summary, _ in sections:
        line = f"- {summary}\n"
        if size + len(line) > MARKDOWN_LIMIT:
            break
        parts.append(line)
        size += len(line)
        shown += 1
    rows = sum(len(rows) for _, rows in sections)
    unlisted = len(sections) - shown
    more = f" ({plural(unlisted, 'more location')} not listed)" if unlisted else ""
    parts.append(f"\n{rows:,} {what} not shown here{more}: see the plan as text or JSON\n\n")
    parts.append(footer)
    return "".join(parts)
