"""Each module imports only from the layers STYLE.md allows."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syncer"

# module -> syncer modules it may import (transitively allowed layers are listed explicitly)
ALLOWED = {
    "errors": set(),
    "resources": set(),
    "model": {"errors"},
    "yamlmarks": {"errors"},
    "manifest_schema": {"yamlmarks", "model", "errors", "resources"},
    "manifest_files": {"errors"},
    "manifest": {"manifest_files", "manifest_schema", "yamlmarks", "model", "errors", "resources"},
    "changes": {"model", "errors"},
    "planfile": {"changes", "model", "errors"},
    "planner": {"changes", "model", "errors"},
    "render": {"changes", "model", "errors"},
    "transport": {"errors"},
    "shopify": {"model", "changes", "errors", "resources"},
    "reader": {"transport", "shopify", "model", "errors"},
    "apply_report": {"changes", "errors"},
    "applier": {"changes", "shopify", "transport", "model", "errors", "reader", "planfile",
                "apply_report"},
}
THIRD_PARTY_ONLY_IN = {"gql": {"transport"}, "click": {"cli"}}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layering(path):
    rel = path.relative_to(PACKAGE)
    module = rel.with_suffix("").as_posix().replace("/", ".")
    imports = _imports(path)
    internal = {name.split(".")[1] for name in imports if name.startswith("syncer.")}
    if module.startswith("emulator"):
        assert internal <= {"emulator", "resources"}, f"emulator imports {internal}"
    elif module in ALLOWED:
        assert internal <= ALLOWED[module], f"{module} imports {internal - ALLOWED[module]}"
    for lib, owners in THIRD_PARTY_ONLY_IN.items():
        if any(name == lib or name.startswith(lib + ".") for name in imports):
            assert module in owners, f"{module} imports {lib}; only {owners} may"
