"""The Admin API versions the emulator serves, and what differs between them.

One SDL (``schema.graphql``, the 2026-04 subset) is the base; a later version is the base with
its changes applied (``sdl``). Behaviour that depends on the version is read from ``Version``.
Sources for every difference are listed in README.md ("API versions").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Served versions, oldest first.
VERSIONS = ("2026-04", "2026-07", "2026-10")
OLDEST, LATEST = VERSIONS[0], VERSIONS[-1]
#: The response header naming the version that executed a request (Shopify's spelling).
VERSION_HEADER = "X-Shopify-API-Version"
_RELEASE = re.compile(r"^\d{4}-(01|04|07|10)$")
# The quantity mutations' error code enums that lose ITEM_NOT_STOCKED_AT_LOCATION in 2026-10.
_NOT_STOCKED_ENUMS = ("InventoryAdjustQuantitiesUserErrorCode",
                      "InventoryMoveQuantitiesUserErrorCode",
                      "InventorySetOnHandQuantitiesUserErrorCode",
                      "InventorySetQuantitiesUserErrorCode")


@dataclass(frozen=True, slots=True)
class Version:
    """How one served version behaves where versions differ."""

    name: str
    #: 2026-10: quantities can be changed at a location without a level (one is created);
    #: before, such a change is refused with ITEM_NOT_STOCKED_AT_LOCATION.
    any_location: bool
    #: 2026-10: an inventorySetQuantities key whose earlier attempt failed is refused with
    #: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED instead of running again.
    previous_attempt_failed: bool


_VERSIONS = {name: Version(name, name >= "2026-10", name >= "2026-10") for name in VERSIONS}


def version(name: str) -> Version:
    """The behaviour of served version ``name`` (KeyError for one not served)."""
    return _VERSIONS[name]


def served_version(requested: str) -> str | None:
    """The version that answers a request for ``requested``, or None (HTTP 404).

    A served version answers itself. An older release (retired) is answered by the oldest
    served version, as Shopify "falls forward". A malformed or newer, unknown one is not found.

    >>> served_version("2026-07"), served_version("2025-10"), served_version("2027-01")
    ('2026-07', '2026-04', None)
    """
    if requested in _VERSIONS:
        return requested
    if _RELEASE.match(requested) and requested < OLDEST:
        return OLDEST
    return None


def sdl(base: str, name: str) -> str:
    """The SDL of version ``name`` from the base (2026-04) SDL ``base``."""
    if version(name).any_location:
        base = remove_enum_value(base, _NOT_STOCKED_ENUMS, "ITEM_NOT_STOCKED_AT_LOCATION")
    return base


def remove_enum_value(sdl_text: str, enums: tuple[str, ...], value: str) -> str:
    """``sdl_text`` without ``value`` in each of the enums named (the others are untouched).

    >>> remove_enum_value("enum E {\\n  A\\n  B\\n}\\nenum F {\\n  B\\n}\\n", ("E",), "B")
    'enum E {\\n  A\\n}\\nenum F {\\n  B\\n}\\n'
    """
    def strip(match: re.Match) -> str:
        body = re.sub(rf"^\s*{value}\s*\n", "", match.group(2), flags=re.M)
        return match.group(1) + body + match.group(3)

    pattern = rf"(^enum (?:{'|'.join(enums)}) \{{\n)(.*?)(^\}})"
    return re.sub(pattern, strip, sdl_text, flags=re.M | re.S)
