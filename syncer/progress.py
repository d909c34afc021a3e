"""Progress lines: what a long read or apply is doing, printed without flooding a CI log.

Library code reports progress by calling ``progress(text)`` with a ``str``. A ``Tick`` is a
``str`` too, for a line that a later one replaces (``Reading levels: 42,000 / 100,000, 12 s``):
it carries ``done`` and ``total`` so a terminal can draw a bar. ``ProgressPrinter`` prints plain
lines as they come and, of the ticks, on a terminal one line redrawn in place with a bar, and
elsewhere at most one every ``every`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class Tick(str):
    """A transient progress line; ``done`` of ``total`` (None when unknown). ``terminal_only``:
    drawn on a terminal, never printed as a line elsewhere (an apply's step bar)."""

    done: int | None
    total: int | None
    terminal_only: bool

    def __new__(cls, text: str, done: int | None = None, total: int | None = None,
                terminal_only: bool = False) -> Tick:
        tick = super().__new__(cls, text)
        tick.done, tick.total, tick.terminal_only = done, total, terminal_only
        return tick


BAR_WIDTH = 24


def bar(done: int | None, total: int | None, width: int = BAR_WIDTH) -> str:
    """``[#########---------------]`` for ``done`` of ``total``; empty when either is unknown.

    >>> bar(1, 4, width=8)
    '[##------]'
    """
    if done is None or not total:
        return ""
    filled = min(width, round(width * done / total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class ProgressPrinter:
    """Prints progress lines to ``stream``; see the module docstring."""

    def __init__(self, stream: TextIO, *, terminal: bool | None = None, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self.every = every
        self.clock = clock
        self._last: float | None = None
        self._open = False  # a tick is drawn on the terminal's current line

    def __call__(self, text: str) -> None:
        if isinstance(text, Tick):
            self._tick(text)
            return
        self._end_line()
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def _tick(self, tick: Tick) -> None:
        if self.terminal:
            shown = f"{bar(tick.done, tick.total)} {tick}".strip()
            self.stream.write(f"\r\x1b[2K{shown}")
            self._open = True
        elif tick.terminal_only:
            return
        else:
            now = self.clock()
            if self._last is not None and now - self._last < self.every:
                return
            self._last = now
            self.stream.write(f"{tick}\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self._open:
            self.stream.write("\r\x1b[2K")
            self._open = False


def silent(_text: str) -> None:
    """A progress callable that prints nothing (``--quiet``)."""
    return None


class StepTicks:
    """An apply's ``(steps done, units moved)`` as ``Tick`` lines to ``progress``: drawn as a
    bar on a terminal, never printed as lines elsewhere (``terminal_only``)."""

    def __init__(self, progress: Callable[[str], None], steps: int) -> None:
        self.progress = progress
        self.steps = steps

    def __call__(self, done: int, units: int) -> None:
        if self.steps > 1:
            self.progress(Tick(f"Applying: {done:,} / {self.steps:,} steps, {units:,} units "
                               "moved", done, self.steps, terminal_only=True))
