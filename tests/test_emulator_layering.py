"""The emulator's modules form layers: no import cycle, whatever the form or depth of an import.

The graph is read from the source (``ast``), not from ``sys.modules``: an import inside a
function, a relative import and ``import syncer.emulator.x`` all count, wherever they sit. An
import made at run time (``__import__``, ``importlib.import_module``) would hide an edge, so
it is refused; ``importlib.resources`` reads package files and imports nothing.
"""

import ast
from pathlib import Path

import pytest

EMULATOR = Path(__file__).resolve().parent.parent / "syncer" / "emulator"
DYNAMIC = {"__import__", "import_module", "exec", "eval"}


def module_graph(folder: Path, package: str) -> tuple[dict[str, set[str]], list[str]]:
    """Each module of ``package`` (``folder``) and the package modules it imports, by short name
    (``__init__`` for the package itself); and every run-time import found, as text."""
    modules = {path.stem for path in folder.glob("*.py")}
    graph, dynamic = {}, []
    for name in sorted(modules):
        path = folder / f"{name}.py"
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    graph[name] |= _targets(alias.name, (), package, modules)
                    if alias.name.split(".")[0] == "importlib" \
                            and alias.name != "importlib.resources":
                        dynamic.append(f"{where} imports {alias.name}")
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                graph[name] |= _targets(base, [a.name for a in node.names], package, modules)
                if base.split(".")[0] == "importlib" and \
                        any(f"{base}.{a.name}" != "importlib.resources" for a in node.names):
                    dynamic.append(f"{where} imports from {base}")
            elif isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else \
                    getattr(node.func, "id", None)
                if called in DYNAMIC:
                    dynamic.append(f"{where} calls {called}")
        graph[name].discard(name)
    return graph, dynamic


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join(parts + ([node.module] if node.module else []))


def _targets(base: str, names, package: str, modules: set[str]) -> set[str]:
    """The package modules an import of ``names`` from ``base`` (or of ``base`` itself) runs."""
    if base == package:  # the package's __init__ runs first, then any submodule named
        return {"__init__", *(n for n in names if n in modules)}
    if base.startswith(package + "."):
        return {base[len(package) + 1:].split(".")[0]}
    return set()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) through each group of modules that import each other."""
    found, done = [], set()
    for start in sorted(graph):
        stack, path, on_path = [(start, iter(sorted(graph[start])))], [start], {start}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                cycle = path[path.index(child):] + [child]
                if not any(set(cycle) == set(c) for c in found):
                    found.append(cycle)
            elif child not in done and child in graph:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return found


def test_the_emulator_has_no_import_cycle_and_no_import_at_run_time():
    graph, dynamic = module_graph(EMULATOR, "syncer.emulator")
    assert {"store", "schema", "bulk", "bulkquery", "discounts", "mutations"} <= set(graph)
    assert not dynamic, dynamic
    assert cycles(graph) == [], " ; ".join(" -> ".join(c) for c in cycles(graph))


def test_the_store_holds_no_mixin_and_declares_every_attribute():
    from syncer.emulator.store import Store

    assert Store.__mro__ == (Store, object)
    store = Store(shop="demo.myshopify.com")
    with pytest.raises(AttributeError):
        store.undeclared = 1  # slots: an attribute exists only if Store declares it


@pytest.mark.parametrize("second", [
    "def later():\n    from pkg.a import x\n",            # inside a function
    "if True:\n    from . import a\n",                     # relative, nested in a block
    "import pkg.a as renamed\n",                           # plain import of the module
    "from pkg import a\n",                                 # the module from its package
])
def test_a_planted_cycle_is_found_in_every_form_of_import(tmp_path, second):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from pkg.b import y\nx = 1\n")
    (tmp_path / "b.py").write_text(second + "y = 2\n")
    (tmp_path / "c.py").write_text("from pkg.a import x\n")
    graph, _ = module_graph(tmp_path, "pkg")
    assert cycles(graph) == [["a", "b", "a"]]


def test_an_import_at_run_time_is_refused(tmp_path):
    (tmp_path / "a.py").write_text(
        "import importlib\nfrom importlib import resources\n"
        "def f():\n    return __import__('pkg.b')\n")
    _, dynamic = module_graph(tmp_path, "pkg")
    assert dynamic == ["a.py:1 imports importlib", "a.py:4 calls __import__"]
