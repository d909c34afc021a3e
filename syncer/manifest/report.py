"""What ``syncer validate`` prints: a summary of valid manifests, the last line of invalid
ones, and the JSON report (the renderers of the manifest stage)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from syncer.errors import Problem, Source, plural  # noqa: F401  (Source: the doctest)
from syncer.model import DesiredState


def summarize(desired: DesiredState) -> str:
    """The one-line summary ``syncer validate`` prints for valid manifests.

    >>> summarize(DesiredState(levels=(), files=("a.yaml",)))
    '1 file, 0 locations, 0 levels: valid'
    """
    counts = (
        plural(len(desired.files), "file"),
        plural(len(desired.location_sources), "location"),
        plural(len(desired.levels), "level"),
    ) + ((plural(len(desired.discounts), "discount code"),) if desired.discounts else ())
    return ", ".join(counts) + ": valid"


def summarize_problems(problems: Sequence[Problem]) -> str:
    """The last line ``syncer validate`` prints for invalid manifests.

    >>> summarize_problems([Problem(Source("a.yaml", 1, 1), "x"), Problem(Source("b.yaml"), "y")])
    '2 problems in 2 files: invalid'
    """
    files = len({problem.source.file for problem in problems})
    return f"{plural(len(problems), 'problem')} in {plural(files, 'file')}: invalid"


def render_report_json(desired: DesiredState | None, problems: Sequence[Problem]) -> str:
    """The ``syncer validate --format json`` report: the same keys whether valid or not.

    Counts are null when the manifests are invalid; each problem has file, line, column (1-based,
    0 when the problem is about a whole file) and message.
    """
    report = {
        "valid": desired is not None and not problems,
        "files": len(desired.files) if desired else None,
        "locations": len(desired.location_sources) if desired else None,
        "levels": len(desired.levels) if desired else None,
        "problems": [problem.to_dict() for problem in problems],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)
