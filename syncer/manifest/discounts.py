"""``kind: DiscountCodes`` manifests: which code discounts are active and which are paused.

The schema (``schemas/manifest.schema.json``) checks each file; this module reads the declared
discounts out of a valid document and finds the same discount declared twice across files.
Shopify matches codes case-insensitively, so ``SPRING`` and ``spring`` are one discount.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from syncer.errors import Problem, quoted
from syncer.manifest.parsed import ParsedYaml
from syncer.manifest.write import yaml_key
from syncer.model import DISCOUNT_GID, DesiredDiscount


def read_discounts(parsed: ParsedYaml, file: str,
                   document: dict[str, Any]) -> tuple[DesiredDiscount, ...]:
    """The discounts a ``kind: DiscountCodes`` document declares (entries with a readable
    ``active``; the schema reports the others)."""
    discounts = document.get("discounts")
    out = []
    for ref, value in discounts.items() if isinstance(discounts, dict) else ():
        if not isinstance(ref, str) or not ref or ref.startswith("gid://") and not _gid(ref):
            continue
        if type(value) is not dict or type(value.get("active")) is not bool:
            continue
        source = parsed.key_source(file, ("discounts", ref))
        out.append(DesiredDiscount(ref, value["active"], source))
    return tuple(out)


def render_discounts(discounts: Iterable[tuple[str, bool]], schema: str = "",
                     header: str = "") -> str:
    """A ``kind: DiscountCodes`` manifest declaring ``(code or gid, active)`` pairs, in order,
    with the schema comment and a header comment as ``write.render_manifest`` writes them.

    >>> print(render_discounts([("SPRING10", False), ("yes", True)]), end="")
    apiVersion: syncer/v1
    kind: DiscountCodes
    discounts:
      SPRING10: {active: false}
      "yes": {active: true}
    """
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines += [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["apiVersion: syncer/v1", "kind: DiscountCodes"]
    rows = [f"  {yaml_key(ref)}: {{active: {'true' if active else 'false'}}}"
            for ref, active in discounts]
    lines += ["discounts:", *rows] if rows else ["discounts: {}"]
    return "\n".join(lines) + "\n"


def _gid(ref: str) -> bool:
    number = ref[len(DISCOUNT_GID):]
    return ref.startswith(DISCOUNT_GID) and number.isascii() and number.isdigit()


def combine_discounts(
    declared: Iterable[DesiredDiscount], problems: list[Problem]
) -> tuple[DesiredDiscount, ...]:
    """Each discount once, sorted by ``ref``; a second declaration of one is a problem.

    >>> from syncer.errors import Source
    >>> a = DesiredDiscount("SPRING", True, Source("a.yaml", 3, 3))
    >>> b = DesiredDiscount("spring", False, Source("b.yaml", 4, 3))
    >>> problems = []
    >>> [d.ref for d in combine_discounts([a, b], problems)], str(problems[0])
    (['SPRING'], "b.yaml:4:3: discount code 'spring' is declared twice, first at a.yaml:3:3 (as 'SPRING'; Shopify ignores case in codes): keep one of them")
    """  # noqa: E501
    seen: dict[str, DesiredDiscount] = {}
    for discount in declared:
        first = seen.setdefault(discount.key, discount)
        if first is discount:
            continue
        what = "discount" if discount.ref.startswith(DISCOUNT_GID) else "discount code"
        alias = "" if first.ref == discount.ref else (
            f" (as {quoted(first.ref)}; Shopify ignores case in codes)")
        problems.append(Problem(discount.source, (
            f"{what} {quoted(discount.ref)} is declared twice, first at {first.source}{alias}: "
            "keep one of them")))
    return tuple(sorted(seen.values(), key=lambda d: d.ref))
