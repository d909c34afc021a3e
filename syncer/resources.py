"""Locates the data files that ship with syncer (JSON Schemas, GraphQL documents)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

_REPO_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def schema_path(name: str) -> Path:
    """Path of ``schemas/<name>``: inside the wheel, or the repository's folder in development."""
    packaged = resources.files("syncer") / "schemas" / name
    if packaged.is_file():
        return Path(str(packaged))
    path = _REPO_SCHEMAS / name
    if not path.is_file():
        raise FileNotFoundError(f"syncer resource schemas/{name} is missing from the installation")
    return path


@cache
def load_json_schema(name: str) -> dict[str, Any]:
    """The parsed JSON Schema ``schemas/<name>``."""
    schema: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return schema


def schema_names() -> list[str]:
    """Every file under ``schemas/`` (for the test that loads each resource)."""
    packaged = resources.files("syncer") / "schemas"
    base = Path(str(packaged)) if packaged.is_dir() else _REPO_SCHEMAS
    return sorted(p.name for p in base.iterdir() if p.is_file())
