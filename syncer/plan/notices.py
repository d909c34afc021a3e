"""What a plan tells people: notices, and their three kinds (findings, warnings, problems)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from syncer.errors import Source


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the plan tells people, about one level (``location``/``sku``) or the whole plan."""

    code: str
    message: str
    location: str | None = None
    sku: str | None = None
    source: Source | None = None

    def sort_key(self) -> tuple[Any, ...]:
        src = self.source or Source("")
        return (src.file, src.line, src.column, self.location or "", self.sku or "", self.code,
                self.message)

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        level = f"{self.location} / {self.sku}: " if self.location and self.sku else ""
        return f"{where}{level}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        src = self.source
        return {
            "code": self.code,
            "message": self.message,
            "location": self.location,
            "sku": self.sku,
            "source": None if src is None else {"file": src.file, "line": src.line,
                                                "column": src.column},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        src = data.get("source")
        return cls(data["code"], data["message"], data.get("location"), data.get("sku"),
                   None if src is None else Source(src["file"], src["line"], src["column"]))


@dataclass(frozen=True, slots=True)
class Finding(Notice):
    """A safety finding: the plan breaks a limit, so ``apply`` refuses it without ``--force``."""


@dataclass(frozen=True, slots=True)
class PlanWarning(Notice):
    """Worth a reviewer's attention, but not blocking (e.g. Shopify's ``deactivationAlert``)."""


@dataclass(frozen=True, slots=True)
class PlanProblem(Notice):
    """A plan error (unknown SKU, ``canDeactivate: false``, ...): the plan cannot be applied."""
