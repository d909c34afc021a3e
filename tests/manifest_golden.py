"""The golden bad-input corpus under tests/manifest_cases, shared by the loader and CLI tests.

Each folder holds manifest files and ``expected.txt``, the exact problem lines. Optional
``args.txt`` lists the paths to load, one per line (default: the folder itself), and
``symlinks.txt`` lines ``link -> target`` create symbolic links first: no loop is ever stored in
the repository for other tools to walk into. Adding a case means adding a folder.
"""

import os
import shutil
from pathlib import Path

CASES = Path(__file__).resolve().parent / "manifest_cases"
CONTROL = ("expected.txt", "args.txt", "symlinks.txt")


def case_names() -> list[str]:
    return sorted(path.name for path in CASES.iterdir() if path.is_dir())


def prepare_case(name: str, tmp_path: Path) -> tuple[Path, list[str]]:
    """A working copy of case ``name`` under ``tmp_path`` and the paths to load, relative to it."""
    case = CASES / name
    work = tmp_path / name
    shutil.copytree(case, work, symlinks=True)
    for control in CONTROL:
        (work / control).unlink(missing_ok=True)
    links = case / "symlinks.txt"
    for line in links.read_text().splitlines() if links.exists() else ():
        link, target = (part.strip() for part in line.split("->"))
        os.symlink(target, work / link)
    args_file = case / "args.txt"
    args = args_file.read_text().splitlines() if args_file.exists() else ["."]
    return work, [arg for arg in args if arg]
