"""Each stage imports only from the stages below it, as ``layering.toml`` (the checked-in
rules, at the repository's root) says; no import cycle anywhere; no dynamic import.

Every import form counts: ``import syncer.x``, ``from syncer import x``, ``from syncer.x import
y``, relative imports, and imports inside functions. A module whose stage has no rule fails, so a
new module cannot slip past the check.
"""

from __future__ import annotations

import ast
import functools
import shutil
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syncer"
RULES_FILE = PACKAGE.parent / "layering.toml"


def load_rules(path: Path = RULES_FILE) -> dict:
    with path.open("rb") as handle:
        rules = tomllib.load(handle)
    return {
        "allowed": {stage: set(targets) for stage, targets in rules["stages"].items()},
        "modules": {stage: set(names) for stage, names in rules.get("modules", {}).items()},
        "forbidden": {stage: tuple(names) for stage, names in rules.get("forbidden", {}).items()},
        "libraries": {lib: tuple(owners) for lib, owners in rules.get("libraries", {}).items()},
    }


RULES = load_rules()
ALLOWED: dict[str, set[str]] = RULES["allowed"]


def module_name(path: Path, root: Path) -> str:
    """``syncer/plan/changes.py`` -> ``syncer.plan.changes``; a package's ``__init__``: its name."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _walk(tree: ast.AST, runtime_only: bool):
    """``ast.walk``, leaving out ``if TYPE_CHECKING:`` blocks with ``runtime_only``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if runtime_only and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


@functools.cache
def _parse(source: str) -> ast.Module:
    """The syntax tree of one module's text. Cached: each planted-violation test checks a copy
    of the package in which only the planted file differs."""
    return ast.parse(source)


def imported_modules(path: Path, root: Path, runtime_only: bool = False) -> set[str]:
    """Every module ``path`` imports, absolute, in any form and at any depth (``runtime_only``:
    not under ``if TYPE_CHECKING:``)."""
    return set(_imports(module_name(path, root), path.name == "__init__.py",
                        path.read_text(encoding="utf-8"), runtime_only))


@functools.cache
def _imports(name: str, is_package: bool, source: str, runtime_only: bool) -> frozenset[str]:
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(_parse(source), runtime_only):
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
    return frozenset(found)


def stage_of(module: str) -> str:
    """The stage a syncer module belongs to: ``syncer.plan.changes`` -> ``plan``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "syncer"


def _modules(root: Path) -> set[str]:
    """The names of the package's modules at ``root``, packages included."""
    return {module_name(path, root) for path in root.rglob("*.py")}


def _owns(owners: tuple[str, ...], module: str) -> bool:
    return any(module == o or module.startswith(o + ".") for o in owners)


def violations(root: Path, rules: dict = RULES) -> list[str]:
    """Every layering rule broken by the package at ``root``, one line each."""
    allowed, only = rules["allowed"], rules["modules"]
    problems = []
    modules = _modules(root)
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        stage = stage_of(module)
        if stage not in allowed:
            problems.append(f"{module}: no layering rule for stage {stage!r}; add one to "
                            "layering.toml")
            continue
        problems += [f"{module}: {why}"
                     for why in dynamic_imports(_parse(path.read_text(encoding="utf-8")))]
        for name in sorted(imported_modules(path, root)):
            top = name.split(".")[0]
            for lib, owners in rules["libraries"].items():
                if top == lib and not _owns(owners, module):
                    problems.append(f"{module} imports {lib}; only {sorted(owners)} may")
            if top != "syncer" or name not in modules:
                continue
            target = stage_of(name)
            if target == "cli" and stage != "cli" and module != "syncer.__main__":
                problems.append(f"{module} imports {name}; nothing imports the CLI")
            elif name.startswith(rules["forbidden"].get(stage, ("-",))):
                problems.append(f"{module} imports {name}: the {stage} stage may never "
                                f"reach it")
            elif target != stage and target not in allowed[stage]:
                problems.append(f"{module} imports {name}: {stage} may not import {target}")
            elif target != stage and stage in only and name not in only[stage]:
                problems.append(f"{module} imports {name}: {stage} may import only "
                                f"{', '.join(sorted(only[stage]))}")
    return problems + [f"import cycle: {' -> '.join(c)}" for c in import_cycles(root)]


@functools.cache
def dynamic_imports(tree: ast.AST) -> list[str]:
    """Imports the check cannot see: ``importlib.import_module(...)``, ``__import__(...)``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
                    isinstance(func, ast.Name) and func.id in ("__import__", "import_module")):
                found.append("imports a module by name at run time (importlib/__import__): "
                             "import it as the check can see")
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the syncer modules it imports when it runs (every form, any depth; not those
    under ``if TYPE_CHECKING:``, which only a type checker reads)."""
    graph: dict[str, set[str]] = {}
    modules = _modules(root)
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        graph[module] = {name for name in imported_modules(path, root, runtime_only=True)
                         if name.split(".")[0] == "syncer" and name in modules
                         and name != module}
    return graph


def import_cycles(root: Path) -> list[list[str]]:
    """Every import cycle among the package's modules (Tarjan's strongly connected components
    of more than one module, or a module importing itself), each as a path back to its start."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component) + [sorted(component)[0]])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_every_module_follows_the_layering():
    assert violations(PACKAGE) == []


def test_every_stage_has_a_module():
    stages = {stage_of(module_name(p, PACKAGE)) for p in PACKAGE.rglob("*.py")}
    assert set(ALLOWED) - stages == set(), "a rule names a stage that no longer exists"


@pytest.fixture(scope="session")
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
         "plan stage may never reach it"),
        ("plan/planted.py", "from syncer import engine\n", "plan stage may never reach it"),
        ("plan/planted.py", "import syncer.apply.applier\n", "plan stage may never reach it"),
        ("manifest/planted.py", "import click\n", "imports click"),
        ("shopify/planted.py", "import requests\n", "imports requests"),
        ("engine_helper.py", "x = 1\n", "no layering rule"),
        ("apply/planted.py", "from syncer import cli\n", "nothing imports the CLI"),
        ("model_extra.py", "", "no layering rule"),
        # the CLI imports only the engine, the renderers and the errors
        ("cli/planted.py", "from syncer.apply.applier import Applier\n", "cli may not import"),
        ("cli/planted.py", "from syncer.engine import planning\n", "cli may import only"),
        ("cli/planted.py", "from syncer.plan.changes import Plan\n", "cli may import only"),
        ("cli/planted.py", "def f():\n    import syncer.apply.applier\n", "cli may not import"),
        ("cli/planted.py", "import importlib\nimportlib.import_module('syncer.apply')\n",
         "at run time"),
        ("apply/planted.py", "__import__('syncer.engine')\n", "at run time"),
        # a cycle: plan/planted imports model_x... here two apply modules import each other
        ("apply/planted.py", "from syncer.apply import planted_b\n", "import cycle"),
    ],
)
def test_a_planted_violation_fails_the_check(clean_copy, where, code, expected):
    planted = clean_copy / where
    planted.write_text(code, encoding="utf-8")
    partner = clean_copy / "apply" / "planted_b.py"
    if "planted_b" in code:
        partner.write_text("from syncer.apply import planted\n", encoding="utf-8")
    try:
        found = violations(clean_copy)
    finally:
        planted.unlink()
        partner.unlink(missing_ok=True)
    assert any(expected in line for line in found), found


def test_the_architecture_page_shows_these_rules():
    """docs/architecture.md's table is made from layering.toml (``docs/gen_layering.py``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_layering", PACKAGE.parent / "docs" /
                                                  "gen_layering.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.PAGE.read_text(encoding="utf-8")
    assert gen.page(text) == text, f"docs/architecture.md is stale: run {gen.COMMAND}"


def test_this_module_runs_in_its_xdist_group(request):
    """conftest puts this module's tests (which share a copy of the package) and the wheel
    tests (which share a wheelhouse) in xdist groups, each run by one worker. pytest 9.2 turned
    that off silently (pytest-dev/pytest-xdist#1386): the costly fixtures were then built once
    per worker, and the CI run took about 40 s of CPU more. Under ``--dist loadgroup`` the
    group must show in the test's id, as xdist schedules it."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with pytest-xdist's --dist loadgroup")
    assert request.node.nodeid.endswith("@test_layering")
