"""Names as people compare them: in Unicode NFC, and for did-you-mean, ignoring case.

A location or SKU typed with a combining accent matches the store's precomposed one; an unknown
name gets the closest name syncer read as a suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar, cast

from syncer.errors import quoted
from syncer.model import ITEM_GID, Item, LiveState, items_by_nfc_sku, nfc

_V = TypeVar("_V")

#: Most unknown names per plan that get a fuzzy did-you-mean (each compares with every name).
_FUZZY_SUGGESTIONS = 20
_FUZZY_CANDIDATES = 20_000


class Suggester:
    """Did-you-mean for names the store does not have: the same name in another case, else the
    closest name (difflib), compared in NFC; fuzzy matching is bounded per plan."""

    def __init__(self, names: Iterable[str]):
        self.folded: dict[str, str] = {}
        for name in sorted(names):
            self.folded.setdefault(nfc(name).casefold(), name)
        self.fuzzy_left = _FUZZY_SUGGESTIONS if len(self.folded) <= _FUZZY_CANDIDATES else 0

    def __call__(self, ref: str) -> str:
        key = nfc(ref).casefold()
        name = self.folded.get(key)
        if name is None and self.fuzzy_left > 0:
            self.fuzzy_left -= 1
            close = difflib.get_close_matches(key, list(self.folded), n=1, cutoff=0.75)
            name = self.folded[close[0]] if close else None
        return f" (did you mean {quoted(name)}?)" if name is not None else ""


def suggestion(ref: str, names: Iterable[str]) -> str:
    """`` (did you mean 'NAME'?)`` for the name in ``names`` closest to ``ref``, or ``''``.

    >>> suggestion("main warehouse", ["Main Warehouse", "Retail Soho"])
    " (did you mean 'Main Warehouse'?)"
    """
    return Suggester(names)(ref)


def by_name(values: Iterable[_V],
            name: Callable[[_V], str]) -> tuple[Mapping[str, Sequence[_V]],
                                                Mapping[str, Sequence[_V]]]:
    """Values by exact name and by NFC name."""
    exact: dict[str, list[_V]] = {}
    normal: dict[str, list[_V]] = {}
    for value in values:
        exact.setdefault(name(value), []).append(value)
        normal.setdefault(nfc(name(value)), []).append(value)
    return exact, normal


class ItemIndex:
    """Items by gid or SKU (compared in NFC), the label a level of each is shown by, and
    did-you-mean for unknown SKUs."""

    def __init__(self, live: LiveState):
        self.live = live
        self._nfc: dict[str, list[str]] | None = None
        self._labels: dict[str, str] = {}
        self._suggest: Suggester | None = None

    def _by_nfc(self) -> dict[str, list[str]]:
        if self._nfc is None:
            self._nfc = items_by_nfc_sku(self.live.items_by_sku)
        return self._nfc

    def resolve(self, ref: str) -> Item | tuple[str, ...]:
        """The item ``ref`` names, or the ids it matches when not exactly one.

        A SKU matches every item whose SKU is the same in NFC: two items whose SKUs differ only
        in how an accent is encoded are as ambiguous as two items with the very same SKU.
        """
        live = self.live
        if ref.startswith(ITEM_GID):
            item = live.items.get(ref)
            return item if item is not None else ()
        ids = tuple(sorted(self._by_nfc().get(nfc(ref), ())))
        return live.items[ids[0]] if len(ids) == 1 else ids

    def label(self, item: Item) -> str:
        """What a level of ``item`` is shown by: its SKU, or its gid when it has no SKU or shares
        it with another item (Shopify allows that), so that two items never share a row."""
        label = self._labels.get(item.id)
        if label is None:
            shared = not item.sku or len(self._by_nfc().get(nfc(item.sku), ())) > 1
            label = self._labels[item.id] = item.id if shared else cast(str, item.sku)  # has one
        return label

    def suggest(self, ref: str) -> str:
        if self._suggest is None:
            self._suggest = Suggester(self.live.items_by_sku)
        return self._suggest(ref)
