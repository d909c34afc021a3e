"""What the CLI asks of a terminal while applying: a confirmation and a progress bar."""

from __future__ import annotations

import sys

import click

from syncer.errors import SyncerError


def confirm(_plan) -> None:
    """Ask on the terminal before applying; anything but ``yes`` cancels."""
    answer = click.prompt("Apply this plan? Only 'yes' will be accepted", default="",
                          show_default=False, err=True)
    if answer.strip() != "yes":
        raise SyncerError("apply cancelled; nothing was changed")


class ProgressBar:
    """A click progress bar over steps on stderr when it is a terminal; else nothing."""

    def __init__(self, steps: int, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and steps > 1
        self.bar = None
        self.steps = steps
        self.done = 0

    def __enter__(self):
        if self.enabled:
            self.bar = click.progressbar(length=self.steps, label="Applying", file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
        return self

    def __call__(self, steps: int, units: int) -> None:
        if self.bar is not None:
            self.bar.label = f"Applying ({units:,} units moved)"
            self.bar.update(steps - self.done)
            self.done = steps

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
