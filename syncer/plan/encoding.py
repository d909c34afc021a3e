"""The JSON bytes syncer writes: documents people diff, and the canonical form digests hash."""

from __future__ import annotations

import json


def document_json(value: object) -> str:
    """Stable JSON for files people diff: sorted keys, one top-level key per line, and one list
    element per line (a change, a step), each written compactly.

    Equivalent to ``json.dumps(value, sort_keys=True)`` as data; much faster than ``indent=``
    for large plans (the C encoder does each line) and a changed level is a one-line diff.

    >>> print(document_json({"b": [{"y": 1, "x": 2}], "a": {"k": None}, "c": []}), end="")
    {
      "a": {"k": null},
      "b": [
        {"x": 2, "y": 1}
      ],
      "c": []
    }
    """
    def compact(v: object) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    if not isinstance(value, dict) or not value:
        return compact(value) + "\n"
    lines = ["{"]
    keys = sorted(value)
    for n, key in enumerate(keys):
        item = value[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(item, list) and item:
            lines.append(f"  {compact(key)}: [")
            lines.extend(f"    {compact(v)}{',' if i < len(item) - 1 else ''}"
                         for i, v in enumerate(item))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {compact(key)}: {compact(item)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def canonical_json(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes every digest in syncer is taken of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
