"""``syncer import``: manifests (or the code discounts) written from the live store."""

from __future__ import annotations

import click

from syncer import engine
from syncer.cli.options import Console, flags, verbosity_options
from syncer.errors import UsageError


def _quantities(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return engine.parse_quantities(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("import")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the manifests into (one file per location).")
@click.option("--store", envvar=engine.STORE_ENV, metavar="STORE",
              help="Local state file, http://127.0.0.1:PORT emulator, or SHOP.myshopify.com "
              f"(credentials: ${engine.TOKEN_ENV}, or $SHOPIFY_CLIENT_ID and "
              f"$SHOPIFY_CLIENT_SECRET). Default: ${engine.STORE_ENV}, else DIR/syncer.yaml.")
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
@click.option("--read", type=click.Choice(["auto", "bulk", "paged"]),
              help="How to read the store: auto (one bulk query when a page of item ids shows "
              f"it may hold {engine.BULK_MIN_LEVELS} levels or more, else page by page; pages "
              "again if the bulk query fails), bulk or paged. Default: $SYNCER_READ, "
              "syncer.yaml's read, auto.")
@click.option("--kind", type=click.Choice(["InventoryLevels", "DiscountCodes"]),
              default="InventoryLevels", show_default=True,
              help="What to import: inventory levels (one file per location), or every code "
              "discount into DIR/discounts.yaml (expired ones as active: false).")
@verbosity_options
def import_command(out_dir: str, store: str | None, api_version: str | None,
                   locations: tuple[str, ...], skus: tuple[str, ...], quantities: tuple[str, ...],
                   include_inactive: bool, force: bool, read: str | None, kind: str,
                   verbose: bool, quiet: bool) -> None:
    """Write manifests from the live store: a starting point that plans to no changes.

    Example:

    \b
        syncer import -o stores/us --store us-flagship.myshopify.com
        syncer import -o stores/us --location "Warehouse East" --sku 'TSHIRT-*' \\
            --quantities available,damaged --store store.json
        syncer import -o stores/us --kind DiscountCodes --store store.json
    """
    console = Console(verbose, quiet)
    request = engine.ImportRequest(out_dir, flags(store, api_version, read=read), tuple(locations),
                                   tuple(skus), tuple(quantities), include_inactive, force, kind)
    result = engine.import_(request, console.progress)
    for path in (*result.files, *result.extra):
        click.echo(str(path))
    console.say(f"{result.summary()}. Next: {result.next_command}")
