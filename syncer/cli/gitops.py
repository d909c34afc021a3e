"""The GitOps loop on the command line: ``syncer import``, and what ``plan``, ``drift`` and
``apply`` add for it (per-store settings, fleets, drift write-back, what changed since review).

Options in, one library call, rendering out; the work is in ``syncer.importer``,
``syncer.fleet``, ``syncer.gitops`` and ``syncer.review``.
"""

from __future__ import annotations

import os

import click

from syncer import engine, fleet
from syncer.errors import ManifestError, UsageError
from syncer.importer import ImportOptions, import_discounts, import_store, parse_quantities
from syncer.review import render_since_review, since_review
from syncer.shopify.stores import STORE_ENV, TOKEN_ENV


def progress(text: str) -> None:
    click.echo(text, err=True)


def config_problems(paths) -> tuple:
    """Problems of the ``syncer.yaml`` files beside ``paths`` (for ``validate``)."""
    try:
        fleet.resolve_settings(paths, env={})
    except ManifestError as exc:
        return exc.problems
    return ()


def stores_for(paths, **flags) -> list[fleet.Settings]:
    """The store folders among ``paths``, each with its settings (flag > env > syncer.yaml)."""
    return fleet.resolve_settings(paths, flags)


def one_store(paths, **flags) -> fleet.Settings:
    """The settings of ``paths``, which must belong to one store."""
    stores = fleet.resolve_settings(paths, flags) if paths else []
    if len(stores) > 1:
        raise UsageError(f"these paths belong to {len(stores)} stores (syncer.yaml files: "
                         f"{', '.join(s.config_file or '-' for s in stores)}); give one store's")
    return stores[0] if stores else fleet.settings_for_files([], flags)


def plan_fleet(stores, renderers, fmt, detailed, plan_options, write_manifests=False) -> int:
    """Plan (or drift) each store folder against its own store in parallel; output per store."""
    after = (lambda result: write_back(result, None)) if write_manifests else None
    drift = bool(plan_options.get("report_only"))
    outcomes = fleet.plan_each(stores, progress=progress, after=after, **plan_options)
    click.echo(fleet.render_fleet(outcomes, renderers[fmt], fmt, detailed, drift), nl=False)
    return fleet.fleet_exit_code(outcomes, detailed, drift)


def write_back(result, adopt_unmanaged) -> None:
    """``drift --write-manifests``: adopt live values, list what was not written."""
    # Imported here: only drift --write-manifests edits manifest text.
    from syncer.gitops import write_drift

    written = write_drift(result, adopt_unmanaged=adopt_unmanaged, progress=progress)
    if written.files:
        progress(written.summary())
    for level in written.unmanaged:
        progress(f"  not written (unmanaged): {level.location} / {level.sku}; pass "
                 "--adopt-unmanaged FILE to add it")


def show_since_review(plan_file, report, store, api_version, manifests) -> None:
    """After a conflict: the reviewed plan beside a fresh plan of the same manifests."""
    plan, meta = engine.show(plan_file)
    connection = engine.connect(store or meta.store, api_version=api_version or meta.api_version)
    try:
        landed = [c for r in report.results for c in (*r.applied, *r.already)]
        differences = since_review(plan, list(manifests or meta.manifest_files), connection,
                                   landed=landed, progress=progress)
    finally:
        connection.close()
    click.echo("\n" + render_since_review(differences, meta.plan_id), nl=False)


def _quantities(_ctx, _param, value):
    try:
        return parse_quantities(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("import")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the manifests into (one file per location).")
@click.option("--store", envvar=STORE_ENV, metavar="STORE",
              help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
              f"(token from ${TOKEN_ENV}). Default: ${STORE_ENV}, else DIR/syncer.yaml.")
@click.option("--api-version", metavar="YYYY-MM",
              help="Shopify Admin API version. Default: $SYNCER_API_VERSION, syncer.yaml, "
              "else the latest syncer knows.")
@click.option("--location", "locations", multiple=True, metavar="NAME",
              help="Import only this location (name or gid; repeatable). Default: all.")
@click.option("--sku", "skus", multiple=True, metavar="GLOB",
              help="Import only items whose SKU (or item gid) matches (repeatable).")
@click.option("--quantities", default="available", show_default=True, callback=_quantities,
              metavar="NAMES", help="Quantities to manage, comma-separated: available,damaged,...")
@click.option("--include-inactive/--no-include-inactive", default=True, show_default=True,
              help="Write inactive levels as `active: false`.")
@click.option("--force", is_flag=True, help="Replace manifest files that already exist.")
@click.option("--kind", type=click.Choice(["InventoryLevels", "DiscountCodes"]),
              default="InventoryLevels", show_default=True,
              help="What to import: inventory levels (one file per location), or every code "
              "discount into DIR/discounts.yaml (expired ones as active: false).")
def import_command(out_dir, store, api_version, locations, skus, quantities, include_inactive,
                   force, kind):
    """Write manifests from the live store: a starting point that plans to no changes.

    Example:

    \b
        syncer import -o stores/us --store us-flagship.myshopify.com
        syncer import -o stores/us --location "Warehouse East" --sku 'TSHIRT-*' \\
            --quantities available,damaged --store store.json
        syncer import -o stores/us --kind DiscountCodes --store store.json
    """
    settings = one_store([out_dir] if os.path.isdir(out_dir) else [], store=store,
                         api_version=api_version)
    if kind == "DiscountCodes" and (locations or skus):
        raise click.UsageError("--location and --sku choose inventory; --kind DiscountCodes "
                               "imports every code discount")
    connection = engine.connect(settings.store, api_version=settings.api_version)
    if kind == "DiscountCodes":
        result = import_discounts(connection, out_dir, force, progress=progress)
    else:
        options = ImportOptions(locations=locations, skus=skus, quantities=quantities,
                                include_inactive=include_inactive, force=force)
        result = import_store(connection, out_dir, options, progress=progress)
    for path in result.files:
        click.echo(str(path))
    progress(f"{result.summary()}; check them with: syncer plan {out_dir}")
