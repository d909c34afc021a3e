"""Each stage imports only from the stages below it (STYLE.md, DESIGN.md section 7).

Every import form counts: ``import syncer.x``, ``from syncer import x``, ``from syncer.x import
y``, relative imports, and imports inside functions. A module whose stage has no rule fails, so a
new module cannot slip past the check.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syncer"

# stage -> the stages it may import (its own stage is always allowed)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "resources": set(),
    "progress": set(),
    # outputs.py: writing output files (atomically, through symlinks, never over an input)
    "outputs": {"errors"},
    "model": {"errors"},
    "manifest": {"model", "errors", "resources"},
    "plan": {"model", "errors", "resources"},
    "shopify": {"plan", "model", "errors", "resources", "progress"},
    "apply": {"plan", "shopify", "model", "errors", "resources"},
    "emulator": set(),  # the emulator never imports the client it is used to test
    # connect.py: reaching a store (a local file through the emulator, or HTTP) and its lock
    "connect": {"shopify", "emulator", "model", "errors", "resources"},
    # saved_plans.py: plan files on disk and the checks that a saved plan still applies
    "saved_plans": {"syncer", "connect", "outputs", "manifest", "plan", "model", "errors",
                    "resources"},
    "engine": {"syncer", "connect", "saved_plans", "outputs", "manifest", "plan", "shopify",
               "apply", "emulator", "model", "errors", "resources"},
    # the GitOps loop's engine-level workflows: import, drift write-back, fleets, review
    "importer": {"connect", "outputs", "manifest", "shopify", "model", "errors", "resources"},
    "gitops": {"engine", "saved_plans", "outputs", "manifest", "plan", "model", "errors",
               "resources"},
    "fleet": {"engine", "connect", "saved_plans", "manifest", "plan", "shopify", "errors"},
    "review": {"engine", "connect", "plan"},
    "cli": {"syncer", "engine", "connect", "saved_plans", "outputs", "importer", "gitops", "fleet",
            "review", "manifest", "plan", "shopify", "apply", "emulator", "model", "errors",
            "resources", "progress"},
    "syncer": {"manifest", "plan", "model", "errors"},  # syncer/__init__.py: the library API
    "__main__": {"cli"},
}
# third-party library -> the only modules that may import it
ONLY_IN = {"click": {"syncer.cli", "syncer.cli.emulator", "syncer.cli.terminal",
                     "syncer.cli.gitops", "syncer.cli.options", "syncer.cli.planning",
                     "syncer.cli.applying"},
           "requests": {"syncer.shopify.http_transport"}}
# I/O modules the pure plan stage must never reach, whatever ALLOWED says
PLAN_FORBIDDEN = ("syncer.shopify", "syncer.apply", "syncer.cli", "syncer.engine",
                  "syncer.connect", "syncer.saved_plans")


def module_name(path: Path, root: Path) -> str:
    """``syncer/plan/changes.py`` -> ``syncer.plan.changes``; a package's ``__init__``: its name."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module ``path`` imports, absolute, in any form and at any depth."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            found.add(origin)
            # `from syncer import cli` / `from syncer.plan import planner` import submodules
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def stage_of(module: str) -> str:
    """The stage a syncer module belongs to: ``syncer.plan.changes`` -> ``plan``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "syncer"


def _is_module(name: str, root: Path) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def violations(root: Path) -> list[str]:
    """Every layering rule broken by the package at ``root``, one line each."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        stage = stage_of(module)
        if stage not in ALLOWED:
            problems.append(f"{module}: no layering rule for stage {stage!r}; add one")
            continue
        for name in sorted(imported_modules(path, root)):
            top = name.split(".")[0]
            for lib, owners in ONLY_IN.items():
                if top == lib and module not in owners:
                    problems.append(f"{module} imports {lib}; only {sorted(owners)} may")
            if top != "syncer" or not _is_module(name, root):
                continue
            target = stage_of(name)
            if target == "cli" and stage != "cli" and module != "syncer.__main__":
                problems.append(f"{module} imports {name}; nothing imports the CLI")
            elif stage == "plan" and name.startswith(PLAN_FORBIDDEN):
                problems.append(f"{module} imports {name}: the plan stage does no I/O")
            elif target != stage and target not in ALLOWED[stage]:
                problems.append(f"{module} imports {name}: {stage} may not import {target}")
    return problems


def test_every_module_follows_the_layering():
    assert violations(PACKAGE) == []


def test_every_stage_has_a_module():
    stages = {stage_of(module_name(p, PACKAGE)) for p in PACKAGE.rglob("*.py")}
    assert set(ALLOWED) - stages == set(), "a rule names a stage that no longer exists"


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory):
    """A copy of the package that passes the check; each test plants one file in it."""
    copy = tmp_path_factory.mktemp("layering") / "syncer"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert violations(copy) == []
    return copy


@pytest.mark.parametrize(
    "where, code, expected",
    [
        ("emulator/planted.py", "from syncer.model import Level\n", "emulator may not import"),
        ("emulator/planted.py", "from ..errors import SyncerError\n", "emulator may not import"),
        ("plan/planted.py", "def f():\n    from syncer.shopify import reader\n",
         "plan stage does no I/O"),
        ("plan/planted.py", "from syncer import engine\n", "plan stage does no I/O"),
        ("plan/planted.py", "import syncer.apply.applier\n", "plan stage does no I/O"),
        ("manifest/planted.py", "import click\n", "imports click"),
        ("shopify/planted.py", "import requests\n", "imports requests"),
        ("engine_helper.py", "x = 1\n", "no layering rule"),
        ("apply/planted.py", "from syncer import cli\n", "nothing imports the CLI"),
        ("model_extra.py", "", "no layering rule"),
    ],
)
def test_a_planted_violation_fails_the_check(clean_copy, where, code, expected):
    planted = clean_copy / where
    planted.write_text(code, encoding="utf-8")
    try:
        found = violations(clean_copy)
    finally:
        planted.unlink()
    assert any(expected in line for line in found), found
