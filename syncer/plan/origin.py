"""Which store a plan was made against, as every plan output names it (issue 26).

``PlanOrigin`` is what the engine learnt when it connected: the store as given (a local state
file, an emulator URL, ``SHOP.myshopify.com``), the shop's name and ``myshopifyDomain`` as the
store answered, and the API version. It is not part of the plan's fingerprint: the same changes
made against the same store have one fingerprint whoever reads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from syncer.plan.markup import escape_markdown


@dataclass(frozen=True, slots=True)
class PlanOrigin:
    store: str
    api_version: str
    shop: str | None = None  # myshopifyDomain
    shop_name: str | None = None

    @property
    def kind(self) -> str:
        """``shopify``, ``http`` (an emulator URL) or ``file`` (a local state file)."""
        if self.store.startswith(("http://", "https://")):
            return "http"
        return "shopify" if self.store.endswith(".myshopify.com") else "file"

    def text(self) -> str:
        """``Acme (acme.myshopify.com), API 2026-10``; with where it was reached when that is
        not the shop itself: ``... in the state file store.json`` or ``... at http://...``.

        >>> PlanOrigin("store.json", "2026-10", "demo.myshopify.com", "Demo").text()
        'Demo (demo.myshopify.com) in the state file store.json, API 2026-10'
        """
        shop = self.shop or (self.store if self.kind == "shopify" else "shop unknown")
        named = f"{self.shop_name} ({shop})" if self.shop_name else shop
        where = {"file": f" in the state file {_shown_path(self.store)}",
                 "http": f" at {self.store}"}.get(
            self.kind, "" if shop == self.store else f" at {self.store}")
        return f"{named}{where}, API {self.api_version}"

    def to_dict(self) -> dict[str, Any]:
        """The keys a plan's JSON carries (``schemas/plan.schema.json``)."""
        return {"store": self.store, "shop": self.shop, "shop_name": self.shop_name,
                "api_version": self.api_version}


def _shown_path(path: str) -> str:
    """A state file's path as a person would type it here: relative to the working directory
    when it is under it, else as recorded (absolute)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith("..") or not os.path.isabs(path) else relative


def origin_line(origin: PlanOrigin | None, markdown: bool = False) -> str:
    """``Store: Acme (acme.myshopify.com), API 2026-10`` and a blank line, as every plan and
    drift output begins; nothing for a plan that does not know its store (made by hand)."""
    if origin is None:
        return ""
    text = origin.text()
    return f"Store: {escape_markdown(text) if markdown else text}\n\n"
