"""What one request's resolvers see: the ``Context`` of a graphql-core execution."""

from __future__ import annotations

from dataclasses import dataclass

from syncer.emulator.store import Store
from syncer.emulator.versions import OLDEST, Version, version


@dataclass
class Context:
    """What one request's resolvers see."""

    store: Store
    now_iso: str
    dirty: bool = False
    request: int | None = None  # the emulator's request number, for the mutation journal
    version: Version = version(OLDEST)  # the API version answering this request
    key_replay: str = "cached"  # how a repeated idempotency key is answered (mutations.py)
    bulk: object | None = None  # the emulator's bulk operations (``bulk.Bulk``)
    scopes: frozenset[str] | None = None  # the token's access scopes (None: every scope)
