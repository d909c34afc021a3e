"""Write the rules table of docs/architecture.md from layering.toml (the checked-in rules that
tests/test_layering.py enforces).

Run ``python docs/gen_layering.py`` after changing layering.toml; ``tests/test_layering.py``
fails while the table in docs/architecture.md differs from what this writes.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
START = "<!-- layering-table: generated from layering.toml by docs/gen_layering.py -->"
END = "<!-- /layering-table -->"
COMMAND = "python docs/gen_layering.py"


def table(rules_file: Path = ROOT / "layering.toml") -> str:
    """The stages, bottom up, with what each may import (and, for some, only which modules)."""
    with rules_file.open("rb") as handle:
        rules = tomllib.load(handle)
    lines = ["| stage | may import |", "|---|---|"]
    only = rules.get("modules", {})
    for stage, targets in rules["stages"].items():
        allowed = ", ".join(f"`{t}`" for t in targets) or "nothing"
        if stage in only:
            allowed += " (only " + ", ".join(f"`{m}`" for m in only[stage]) + ")"
        lines.append(f"| `{stage}` | {allowed} |")
    return "\n".join(lines)


def page(text: str) -> str:
    """``text`` (docs/architecture.md) with the table between the markers made anew."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    PAGE.write_text(page(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
