"""``--history DIR``: one record per drift or apply run, appended to ``DIR/history.jsonl``.

Shopify keeps adjustment history for 90 days and no API queries it; syncer keeps its own. Each
line is one JSON record (``schemas/history.schema.json``): a drift run's store, time, API
version, exit code, totals and every drifted level (declared and live values); an apply run's
plan, reference, counts and exit code. ``syncer report DIR`` draws them (``report.py``).

Appending is one ``write`` of one line to a file opened for appending, so a run killed half way
leaves the earlier records whole (a cut last line is skipped by the reader and named).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncer.errors import UsageError
from syncer.plan.changes import Plan
from syncer.plan.drift import drift_entries

FILE = "history.jsonl"
VERSION = 1


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def drift_record(plan: Plan, store: str, exit_code: int, at: str | None = None) -> dict[str, Any]:
    """The record of one store's drift run (``plan``: the drift, made with ``report_only``)."""
    origin = plan.origin
    levels = [{k: e[k] for k in ("location", "sku", "item_id", "kind", "quantity", "desired",
                                 "live", "delta")}
              for e in drift_entries(plan)]
    moved = [e["delta"] for e in levels if isinstance(e["delta"], int)]
    return {
        "version": VERSION, "kind": "drift", "time": at or now(), "store": store,
        "shop": origin.shop if origin else None,
        "shop_name": origin.shop_name if origin else None,
        "api_version": origin.api_version if origin else None,
        "exit_code": exit_code,
        "totals": {"levels": len({(e["location"], e["item_id"]) for e in levels}),
                   "units": sum(abs(d) for d in moved),
                   "above": sum(-d for d in moved if d < 0),  # live above the manifests
                   "below": sum(d for d in moved if d > 0)},
        "levels": levels,
        # what undoing the drift is worth at cost, when an item has a cost (as drift shows it)
        **({"value": plan.value.to_dict()} if plan.value.currencies else {}),
    }


def apply_record(plan: Plan, plan_id: str, reference: str | None, store: str, shop: str | None,
                 summary: Mapping[str, Any], exit_code: int,
                 at: str | None = None) -> dict[str, Any]:
    """The record of one apply run: which plan, what it did, how it ended."""
    origin = plan.origin
    return {"version": VERSION, "kind": "apply", "time": at or now(), "store": store,
            "shop": shop, "shop_name": origin.shop_name if origin else None,
            "api_version": origin.api_version if origin else None, "exit_code": exit_code,
            "plan_id": plan_id, "reference": reference, "summary": dict(summary)}


def history_source(flag: str | None, config_file: str | None) -> str:
    """How a history folder was given, for its errors: ``--history`` or ``FILE's history:``."""
    return "--history" if flag or not config_file else f"{config_file}'s history:"


def check_folder(folder: str, given: str = "--history") -> Path:
    """``DIR`` for ``--history`` (``given`` names where it came from, such as a ``syncer.yaml``'s
    ``history:``): an existing folder or one that can be made; never a file."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{given} {folder}: is a file; give a folder (syncer keeps "
                         f"{FILE} in it)")
    kept = path / FILE
    if kept.is_symlink() or (kept.exists() and not kept.is_file()):
        raise UsageError(f"{given} {folder}: {kept} is not a regular file (a symlink, a "
                         "device or a folder); syncer appends its records only to a file of "
                         "its own")
    return path


def append(folder: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """Append ``record`` as one line of ``folder/history.jsonl`` (the folder is made)."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    with open(path / FILE, "a", encoding="utf-8") as handle:
        handle.write(line)
    return path / FILE


def read(folder: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(line number, record)`` for each line of ``folder/history.jsonl``; ``None`` for a line
    that is not a record (a run killed while writing it)."""
    path = Path(folder) / FILE
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the history ({exc.strerror}); run syncer drift "
                         "--history with this folder first") from None
    with handle:
        for number, line in enumerate(handle, 1):
            try:
                record = json.loads(line)
            except ValueError:
                yield number, None
                continue
            yield number, record if isinstance(record, dict) and "kind" in record else None
