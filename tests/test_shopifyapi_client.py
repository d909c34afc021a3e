"""The official ShopifyAPI Python client (``shopify``) works against the emulator, over HTTP,
for every served version; a retired version is answered as the oldest served one."""

import json
import threading
from pathlib import Path

import pytest

from syncer.emulator import Emulator, VirtualClock, serve
from syncer.emulator.versions import VERSIONS

shopify = pytest.importorskip("shopify")

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart" / "store.json"
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: "official-client-1") {
    inventoryAdjustmentGroup { changes(quantityNames: ["available"]) { quantityAfterChange } }
    userErrors { code } } }"""


@pytest.fixture
def emulator_url(tmp_path):
    target = tmp_path / "store.json"
    state = json.loads(QUICKSTART.read_text())
    state["access_token"] = "shpat_official"
    target.write_text(json.dumps(state))
    server = serve(Emulator.load(target, clock=VirtualClock()), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url.split("/admin/")[0]
    server.shutdown()
    server.server_close()


def _client(url, version):
    """A ShopifyAPI session for ``version``, pointed at the emulator instead of the shop."""
    session = shopify.Session("quickstart.myshopify.com", version, "shpat_official")
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = f"{url}/admin/api/{version}"
    return shopify.GraphQL()


@pytest.mark.parametrize("version", VERSIONS)
def test_the_official_client_queries_and_mutates_each_version(emulator_url, version):
    try:
        client = _client(emulator_url, version)
        shop = json.loads(client.execute("{ shop { name myshopifyDomain } }"))
        assert shop["data"]["shop"] == {"name": "quickstart",
                                        "myshopifyDomain": "quickstart.myshopify.com"}
        assert shop["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 100
        variables = {"input": {"reason": "correction", "name": "available", "changes": [{
            "inventoryItemId": "gid://shopify/InventoryItem/1",
            "locationId": "gid://shopify/Location/1", "delta": 2, "changeFromQuantity": 40}]}}
        out = json.loads(client.execute(ADJUST, variables))["data"]["inventoryAdjustQuantities"]
        assert out == {"userErrors": [], "inventoryAdjustmentGroup": {
            "changes": [{"quantityAfterChange": 42}]}}
    finally:
        shopify.ShopifyResource.clear_session()


def test_the_official_client_is_refused_without_the_token(emulator_url):
    import urllib.error

    client = _client(emulator_url, "2026-10")
    client.headers = {}
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            client.execute("{ shop { name } }")
        assert info.value.code == 401
    finally:
        shopify.ShopifyResource.clear_session()
