"""``syncer import``: write manifests from the live store, one file per location.

What it writes reads back to the same levels: ``syncer validate`` accepts it and ``syncer plan``
against the same store shows no changes. Items are named by SKU unless the SKU is missing, looks
like an ID, or is carried by two items (then by ``gid://shopify/InventoryItem/N``); locations by
name unless the name is empty, looks like an ID or two locations share it.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from syncer.engine.connect import Connection, connect
from syncer.engine.import_files import (
    SCHEMA_COPY,
    file_names,
    refuse_existing,
    store_config,
    write_files,
)
from syncer.engine.requests import ImportRequest
from syncer.engine.settings import one_store
from syncer.errors import UsageError, plural, quoted
from syncer.manifest.discounts import render_discounts
from syncer.manifest.files import CONFIG_NAME
from syncer.manifest.write import LevelEntry, render_manifest, yaml_key
from syncer.model import ADJUSTABLE, LiveLevel, LiveState, Location, items_by_nfc_sku, nfc
from syncer.resources import schema_path
from syncer.shopify.discounts import list_discounts
from syncer.shopify.reader import read_store

DEFAULT_QUANTITIES = ("available",)
#: The file ``import --kind DiscountCodes`` writes in the output directory.
DISCOUNTS_FILE = "discounts.yaml"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What to import: location names or gids (empty: all), SKU globs (empty: all), which
    quantities to manage, whether inactive levels are written, whether files may be replaced."""

    locations: Sequence[str] = ()
    skus: Sequence[str] = ()
    quantities: Sequence[str] = DEFAULT_QUANTITIES
    include_inactive: bool = True
    force: bool = False
    #: How to read the store: ``auto`` (a bulk query once the store proves to hold
    #: ``BULK_MIN_LEVELS`` levels or more), ``bulk`` or ``paged`` (``reader.read_store``).
    read: str = "auto"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The files written (in order) and how many levels they hold."""

    files: tuple[Path, ...]
    levels: int
    inactive: int
    #: What the files hold when it is not levels (``import --kind DiscountCodes``).
    noun: str = ""
    #: Written beside the manifests: the schema their comment names, and ``syncer.yaml``.
    extra: tuple[Path, ...] = ()

    @property
    def next_command(self) -> str:
        """What to run next, as typed from here: plan the folder (its ``syncer.yaml`` names
        the store)."""
        folder = self.files[0].parent if self.files else Path(".")
        return f"syncer plan {shlex.quote(str(folder))} --detailed-exitcode"

    def summary(self) -> str:
        held = self.noun or f"{self.levels:,} levels"
        return (f"Wrote {plural(len(self.files), 'manifest')} with {held} "
                f"({self.inactive:,} inactive)")


def parse_quantities(text: str) -> tuple[str, ...]:
    """``available,damaged`` -> the names, checked; ``UsageError`` names the unknown ones."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in ADJUSTABLE]
    if unknown or not names:
        raise UsageError(
            f"--quantities {quoted(text)}: {', '.join(unknown) or 'no names'} "
            f"{'is' if len(unknown) == 1 else 'are'} not adjustable; choose from "
            f"{', '.join(ADJUSTABLE)}"
        )
    return names


def import_(request: ImportRequest,
            progress: Callable[[str], None] | None = None) -> ImportResult:
    """``syncer import``: manifests (or, ``kind: DiscountCodes``, the code discounts) from the
    store that the flags, the environment or ``DIR/syncer.yaml`` name."""
    if request.kind == "DiscountCodes" and (request.locations or request.skus):
        raise UsageError("--location and --sku choose inventory; --kind DiscountCodes imports "
                         "every code discount")
    folder = [request.out_dir] if os.path.isdir(request.out_dir) else []
    settings = one_store(folder, request.flags)
    connection = connect(settings.store, api_version=settings.api_version,
                             credentials=settings.credentials)
    try:
        if request.kind == "DiscountCodes":
            return import_discounts(connection, request.out_dir, request.force,
                                    progress=progress)
        options = ImportOptions(locations=request.locations, skus=request.skus,
                                quantities=request.quantities,
                                include_inactive=request.include_inactive, force=request.force,
                                read="paged" if settings.read == "scan" else settings.read)
        config = None if settings.config_file else store_config(
            request.out_dir, str(settings.store), request.flags.api_version)
        return import_store(connection, request.out_dir, options, progress=progress,
                            config=config)
    finally:
        connection.close()


def import_store(
    store: Connection,
    out_dir: str | os.PathLike[str],
    options: ImportOptions = ImportOptions(),
    *,
    progress: Callable[[str], None] | None = None,
    config: str | None = None,
) -> ImportResult:
    """Read ``store`` and write one manifest per chosen location into ``out_dir``, the manifest
    schema beside them (their schema comment names it: it works wherever the folder goes), and
    ``config`` as ``out_dir/syncer.yaml`` (``store_config``) when given.

    Refuses, before reading the store, a folder that already holds manifests unless
    ``options.force`` (and before writing anything, to replace any file it would write).
    """
    unknown_quantities = set(options.quantities) - set(ADJUSTABLE)
    if unknown_quantities:
        raise UsageError(f"not adjustable quantities: {', '.join(sorted(unknown_quantities))}")
    out = Path(out_dir)
    if not options.force:
        refuse_existing(sorted(p for p in out.glob("*.y*ml") if p.name != CONFIG_NAME))
    live = read_store(store.transport, options.locations or None, progress=progress,
                      read=options.read, fetch=store.fetch)
    chosen = _chosen_locations(live, options.locations)
    files = file_names(out, chosen)
    extra = [(out / SCHEMA_COPY, schema_path("manifest.schema.json").read_text("utf-8"))]
    if config is not None:
        extra.append((out / CONFIG_NAME, config))
    if not options.force:
        refuse_existing([*files.values(), *(p for p, _t in extra if p.name != SCHEMA_COPY)])
    schema = SCHEMA_COPY
    # The shop's domain names where the files came from (never a path of this machine).
    source = live.shop[0] if live.shop else ("a local state file" if store.kind == "file"
                                             else store.name)
    names = _location_keys(live)
    by_location: dict[str, list[LiveLevel]] = {loc.id: [] for loc in chosen}
    for level in live.levels.values():
        if level.location_id in by_location and _wanted(level, live, options):
            by_location[level.location_id].append(level)
    texts, count, inactive = [], 0, 0
    by_nfc = items_by_nfc_sku(live.items_by_sku)
    for location in chosen:
        entries = [_entry(level, live, by_nfc, options.quantities)
                   for level in by_location[location.id]]
        text = render_manifest(names[location.id], entries, schema,
                               header=f"Imported from {source} by syncer import.")
        texts.append((files[location.id], text))
        count += len(entries)
        inactive += sum(1 for e in entries if not e.active)
    written = write_files(store, texts + extra)
    return ImportResult(written[:len(texts)], count, inactive, extra=written[len(texts):])


def import_discounts(
    store: Connection,
    out_dir: str | os.PathLike[str],
    force: bool = False,
    *,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Write every code discount of ``store`` into ``out_dir/discounts.yaml`` (``kind:
    DiscountCodes``): expired ones as ``active: false``, active and scheduled ones as ``active:
    true`` (so a plan changes none of them). Each is named by its first code, or by its id when
    it has none or another discount has the same code.
    """
    path = Path(out_dir) / DISCOUNTS_FILE
    if not force:
        refuse_existing([path])
    if progress:
        progress("Reading the code discounts ...")
    listed = list_discounts(store.transport)
    counts: dict[str, int] = {}
    for _discount, code in listed:
        if code:
            counts[code.casefold()] = counts.get(code.casefold(), 0) + 1
    entries = [(code if code and counts[code.casefold()] == 1 else d.id, d.status != "EXPIRED")
               for d, code in listed]
    text = render_discounts(entries, SCHEMA_COPY,
                            header=f"Imported from {store.shop()} by syncer import.")
    schema = (path.parent / SCHEMA_COPY, schema_path("manifest.schema.json").read_text("utf-8"))
    written = write_files(store, [(path, text), schema])
    return ImportResult(written[:1], 0, sum(1 for _, active in entries if not active),
                        noun=plural(len(entries), "discount code"), extra=written[1:])


def _chosen_locations(live: LiveState, refs: Sequence[str]) -> list[Location]:
    locations = sorted(live.locations.values(), key=lambda loc: (loc.name, loc.id))
    if not refs:
        return locations
    missing = [ref for ref in refs
               if not any(ref in (loc.id, loc.name) for loc in locations)]
    if missing:
        known = ", ".join(sorted({loc.name for loc in locations})[:10])
        raise UsageError(f"--location {quoted(missing[0])}: no such location in the store "
                         f"(locations: {known})")
    return [loc for loc in locations if loc.id in refs or loc.name in refs]


def _location_keys(live: LiveState) -> dict[str, str]:
    """The manifest key of every location: its name when that names it alone, else its gid."""
    counts: dict[str, int] = {}
    for location in live.locations.values():
        counts[location.name] = counts.get(location.name, 0) + 1
    return {
        loc.id: loc.name if _name_ok(loc.name) and counts[loc.name] == 1 else loc.id
        for loc in live.locations.values()
    }


def _name_ok(name: str | None) -> bool:
    if not name:
        return False
    return not name.startswith("gid://") and name == name.strip()


def _item_key(item_id: str, live: LiveState, by_nfc: dict[str, list[str]]) -> tuple[str, str]:
    """The manifest key of an item (its SKU when that names it alone, compared in NFC as the
    planner does, else its gid) and a comment that shows the SKU of an item named by its gid."""
    sku = live.items[item_id].sku
    if not sku:
        return item_id, ""
    shared = len(by_nfc.get(nfc(sku), ()))
    if shared == 1 and _name_ok(sku):
        return sku, ""
    why = f", shared by {shared} items" if shared > 1 else ""
    return item_id, f"SKU {yaml_key(sku)}{why}"


def _wanted(level: LiveLevel, live: LiveState, options: ImportOptions) -> bool:
    if not level.active and not options.include_inactive:
        return False
    if not options.skus:
        return True
    names = [live.items[level.item_id].sku or "", level.item_id]
    return any(fnmatch.fnmatchcase(name, glob) for glob in options.skus for name in names)


def _entry(level: LiveLevel, live: LiveState, by_nfc: dict[str, list[str]],
           quantities: Iterable[str]) -> LevelEntry:
    """Active levels carry their managed quantities; inactive ones only ``active: false``."""
    managed = {name: level.quantities.get(name, 0) for name in quantities} if level.active else {}
    key, comment = _item_key(level.item_id, live, by_nfc)
    return LevelEntry(key, level.active, managed, comment)


