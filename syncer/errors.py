"""The one error root of syncer and its subclasses (the CLI maps them to exit codes), and the
pieces every message is made of: where (``Source``), what (``Problem``), how many (``plural``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3
EXIT_CONFLICT = 4
EXIT_PARTIAL = 5
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 level``, ``2 levels``, ``1,204 levels``; ``many`` for irregular plurals.

    >>> plural(1, "level"), plural(1204, "level"), plural(2, "quantity", "quantities")
    ('1 level', '1,204 levels', '2 quantities')
    """
    return f"{n:,} {word if n == 1 else many or word + 's'}"


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quoted(text: object) -> str:
    r"""``text`` in single quotes for a message, as written: unlike ``repr`` it escapes no
    quote or backslash (a name with both quotes stays readable); only characters that would
    break or hide in the line (control and other unprintable ones) are shown as escapes.

    >>> print(quoted("o'brien \"cap\""), quoted("C:\\tmp"), quoted("two\nlines"))
    'o'brien "cap"' 'C:\tmp' 'two\nlines'
    """
    return "'" + "".join(ch if ch.isprintable() else _escape(ch) for ch in str(text)) + "'"


def _escape(ch: str) -> str:
    code = ord(ch)
    return _ESCAPES.get(ch) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


class SyncerError(Exception):
    """Base of every error syncer raises on purpose.

    ``plan`` is the plan the error is about when there is one to show (a plan with errors, an
    unsafe plan refused by ``apply``); ``errors.py`` imports nothing, so it is typed ``Any``.
    """

    exit_code = EXIT_ERROR
    plan: Any = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from: a file, 1-based line and column.

    >>> str(Source("stores/us.yaml", 3, 5))
    'stores/us.yaml:3:5'
    """

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a manifest (or other input) is wrong, with where it is."""

    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source.file,
            "line": self.source.line,
            "column": self.source.column,
            "message": self.message,
        }


class ManifestError(SyncerError):
    """One or more manifests are invalid; carries every problem found.

    ``readable`` is the desired state of what could be read (the valid levels of every file),
    for reports such as drift that show what they can beside the problems; None when unknown.
    """

    # readable: a DesiredState (Any: errors.py imports nothing of syncer)
    def __init__(self, problems: Sequence[Problem], readable: Any = None):
        self.problems = tuple(problems)
        self.readable = readable
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(SyncerError):
    """A flag or argument is wrong."""

    exit_code = EXIT_USAGE


class StoreError(SyncerError):
    """The store could not be reached, refused us, or answered something we cannot use."""


class RefusedError(StoreError):
    """The store refused the request before running it (HTTP 401, 403, 404): nothing changed."""


class RemoteError(StoreError):
    """The API answered with errors (top-level or userErrors) that syncer does not handle."""

    def __init__(self, message: str, errors: Sequence[dict[str, Any]] = ()):
        self.errors = tuple(errors)
        super().__init__(message)


class UnsafePlanError(SyncerError):
    """The plan breaks a safety limit; pass --force to apply it anyway.

    ``findings`` lists the plan's safety findings (``syncer.plan.notices.Finding``).
    """

    exit_code = EXIT_UNSAFE

    def __init__(self, message: str, findings: Sequence[Any] = ()):
        self.findings = list(findings)
        super().__init__(message)


class PlanProblemError(SyncerError):
    """The plan has errors (unknown SKU, ``canDeactivate: false``, ...) and cannot be applied.

    ``problems`` lists them (``syncer.plan.notices.PlanProblem``).
    """

    def __init__(self, message: str, problems: Sequence[Any] = ()):
        self.problems = list(problems)
        super().__init__(message)


class ConflictError(SyncerError):
    """The live store moved since the plan was made (CAS), or the plan is stale."""

    exit_code = EXIT_CONFLICT


class ApplyError(SyncerError):
    """An apply stopped part way; the report says what was applied."""

    exit_code = EXIT_PARTIAL

    # report: an ApplyReport (Any: errors.py imports nothing of syncer)
    def __init__(self, message: str, report: Any = None):
        self.report = report
        super().__init__(message)


class PlanFileError(SyncerError):
    """A saved plan file cannot be used: newer format, missing keys, or edited by hand."""
