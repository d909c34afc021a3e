"""Every example (``>>>``) in the docstrings of the ``syncer`` package runs and shows its output.

The modules are found by their source, so a module that gains an example is checked without
being listed here. ``# doctest: +SKIP`` marks an example that only illustrates.
"""

from __future__ import annotations

import doctest
import importlib
import types
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syncer"
NOT_IMPORTED = {"syncer.__main__"}  # importing it runs the command line


def modules_with_examples(root: Path = PACKAGE) -> list[str]:
    """The dotted names of the modules below ``root`` whose source holds a ``>>>`` example."""
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name not in NOT_IMPORTED and ">>>" in path.read_text(encoding="utf-8"):
            names.append(name)
    return names


def run_examples(module: types.ModuleType) -> tuple[int, int, str]:
    """Run the examples of ``module``: how many ran, how many failed, and doctest's report."""
    report: list[str] = []
    attempted = failed = 0
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder(exclude_empty=True).find(module):
        result = runner.run(test, out=report.append)
        attempted += result.attempted
        failed += result.failed
    return attempted, failed, "".join(report)


MODULES = modules_with_examples()


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of(name):
    _attempted, failed, report = run_examples(importlib.import_module(name))
    assert not failed, f"{failed} example(s) of {name} failed:\n{report}"


def test_modules_are_found_in_every_package():
    found = set(MODULES)
    assert {"syncer.model", "syncer.manifest.scalars", "syncer.plan.fit",
            "syncer.shopify.decode", "syncer.apply.journal", "syncer.emulator.clock"} <= found
    assert "syncer.__main__" not in found


def test_a_wrong_example_fails():
    planted = types.ModuleType("planted")
    exec(
        'def double(n):\n'
        '    """Twice ``n``.\n\n'
        '    >>> double(2)\n'
        '    4\n'
        '    >>> double(3)\n'
        '    7\n'
        '    """\n'
        '    return 2 * n\n',
        planted.__dict__,
    )
    attempted, failed, report = run_examples(planted)
    assert (attempted, failed) == (2, 1)
    assert "double(3)" in report and "Expected:\n    7\nGot:\n    6" in report
