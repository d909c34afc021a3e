"""One read's exchange with the store: page sizes, queries, the pagination loop, progress lines.

``ReadLimits`` holds the page and batch sizes. A ``Pager`` carries one read: its transport, the
``LiveBuilder`` that collects what was read, the (location, items) groups waiting for point
reads, and the progress callback. ``pages`` is the reader's one pagination loop: smaller pages
when the store prices a page higher than our rules (``MAX_COST_EXCEEDED``), an error when it
repeats a cursor. ``tick`` and ``summary`` write the progress lines the CLI shows. ``catalog.py``
(locations and items) and ``levels.py`` read through a ``Pager``; ``reader.py`` drives them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncer.errors import RemoteError, plural, quoted
from syncer.model import LiveState
from syncer.progress import Tick
from syncer.shopify import decode, documents
from syncer.shopify.transport import Transport


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Page and batch sizes; the defaults are the largest that keep each query <= 1000 points."""

    locations_page: int = documents.LOCATIONS_PAGE_SIZE
    items_page: int = documents.ITEMS_PAGE_SIZE
    skus_per_query: int = documents.SKUS_PER_QUERY
    ids_per_query: int = documents.IDS_PER_QUERY
    levels_page: int = documents.LEVELS_PAGE_SIZE
    items_per_point_query: int = documents.ITEMS_PER_POINT_QUERY


class Pager:
    """One read in progress: what it has read (``builder``), what waits for point reads
    (``pending``), and the counters its progress lines report."""

    def __init__(self, transport: Transport, limits: ReadLimits,
                 progress: Callable[[str], None] | None) -> None:
        self.transport = transport
        self.limits = limits
        self.progress = progress or (lambda _text: None)
        self.builder = decode.LiveBuilder()
        self.pending: list[tuple[str, list[str]]] = []
        #: How many levels the read expects (the progress total until more are read).
        self.expected = 0
        self._calls0 = getattr(transport, "calls", 0)
        self._waited0 = getattr(transport, "waited", 0.0)
        # The transport's clock: real time over HTTP, which includes its waits; the emulator's
        # simulated clock in process, which its waits move.
        self._clock = getattr(transport, "clock", time.monotonic)
        self._started = self._clock()
        self._levels_read = 0
        self._levels_found = 0
        self._cost0 = getattr(transport, "cost_points", 0)

    def query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return decode.raise_for_errors(self.transport.execute(document, variables))

    def pages(
        self,
        document: str,
        variables: dict[str, Any],
        first: int,
        connection: Callable[[dict[str, Any]], object],
        what: str,
    ) -> Iterator[tuple[decode.Page, int]]:
        """Every page of a connection, as ``(page, first)``; stop early by leaving the loop.

        ``connection`` picks the connection out of an answer's data. A store that prices a page
        higher than our rules (``MAX_COST_EXCEEDED``) gets smaller pages; one that repeats a
        cursor is an error rather than a loop forever.
        """
        after = None
        while True:
            try:
                data = self.query(document, {**variables, "first": first, "after": after})
            except RemoteError as exc:
                smaller = decode.smaller_page(first, exc)
                if smaller is None:
                    raise
                first = smaller
                continue
            page = decode.page(connection(data), what)
            yield page, first
            if not page.has_next:
                return
            if page.end_cursor == after:
                raise decode.malformed(
                    f"{what} returned the same endCursor {quoted(page.end_cursor)} twice; stopped "
                    "paging"
                )
            after = page.end_cursor

    def tick(self, read: int, found: int, where: str = "") -> None:
        """``Reading levels: 41,800 found, 42,000 / 100,000 looked up, 12 s`` (and the
        rate-limit wait, if any); a scan names its location (``where``).

        ``read`` levels were looked up (a point read of an item with no level there finds
        none), ``found`` of them exist: the count ``summary`` ends with.
        """
        self._levels_read += read
        self._levels_found += found
        waited = getattr(self.transport, "waited", 0.0) - self._waited0
        elapsed = self._clock() - self._started  # waits included: they took that time
        total = max(self.expected, self._levels_read)
        text = (f"Reading levels: {self._levels_found:,} found, {self._levels_read:,} / "
                f"{total:,} looked up")
        if elapsed >= 1:
            text += f", {elapsed:.0f} s"
        if waited >= 1:
            text += f" ({waited:.0f} s waiting on the rate limit)"
        text += where
        self.progress(Tick(text, self._levels_read, total))

    def summary(self, live: LiveState, managed: Mapping[str, object]) -> str:
        levels = [lvl for lvl in live.levels.values() if lvl.location_id in managed]
        inactive = sum(1 for lvl in levels if not lvl.active)
        calls = getattr(self.transport, "calls", 0) - self._calls0
        cost = getattr(self.transport, "cost_points", 0) - self._cost0
        return (
            f"Reading {plural(len(managed), 'location')}, {plural(len(levels), 'level')} "
            f"found (incl. {inactive:,} inactive) ... done ({plural(calls, 'call')}, "
            f"{cost:,.0f} cost points)"
        )


def chunks(values: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), max(1, size)):
        yield list(values[start : start + size])
