"""At scale, end to end: sales in the Shopify sandbox take a SKU to critical and two real RQ
worker processes (PostgreSQL, Redis) pause its Meta ad set, TikTok campaign and Google Ads
campaign; a restock brings them back."""

from __future__ import annotations

import time

import pytest

from sandbox.common import ServerThread
from tests.ads.harness import LINKED_LEVEL, Panel, build_campaigns, done_actions
from tests.conftest import wait_for
from tests.sync.harness import PUBLIC, SHOP, connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def world(rq_app, rq_workers, pki, shopify_sandbox, woo_sandbox, ad_sandboxes):
    server = ServerThread(rq_app, ssl_context=pki.server_context()).start()
    rq_app.config["APP_URL"] = PUBLIC
    rq_workers.start(2)
    stores = connect(
        rq_app, shopify_sandbox, woo_sandbox, {"TEE": (6, 6), "MUG": (20, 20)}, loopback=server.url
    )
    yield stores
    server.stop()


def test_shopify_sales_pause_every_platform_and_a_restock_resumes_them(world, ad_sandboxes):
    stores = world
    panel = Panel(stores.app, stores.shopify_id)
    refs = build_campaigns(ad_sandboxes, f"https://{SHOP}/products/product-tee")
    tee = stores.sku("TEE").id
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
        panel.link(refs[platform][LINKED_LEVEL[platform]], tee)
        panel.go_live(platform)
    panel.policy(pause_at=2, resume_at=5, min_pause_minutes=0)

    variant = stores.shopify_variants["TEE"]["id"]
    stores.shopify.place_order(SHOP, [{"variant_id": variant, "quantity": 3}])
    stores.converge({"TEE": 3, "MUG": 20})
    for platform, sb in ad_sandboxes.items():  # 3 left: not yet critical
        assert sb.is_active(refs[platform][LINKED_LEVEL[platform]]), platform

    started = time.monotonic()
    stores.shopify.place_order(SHOP, [{"variant_id": variant, "quantity": 1}])
    for platform, sb in ad_sandboxes.items():
        ref = refs[platform][LINKED_LEVEL[platform]]
        wait_for(lambda sb=sb, ref=ref: not sb.is_active(ref), timeout=15, message=platform)
    paused_after = time.monotonic() - started
    print(f"\nShopify order → all three platforms paused: {paused_after * 1000:.0f} ms")
    stores.converge({"TEE": 2, "MUG": 20})

    # The merchant restocks in Shopify's admin. (On WooCommerce, which has no compare-and-set,
    # a rise within 10 s of StockGuard's own write is taken for a sale it overwrote.)
    stores.shopify.set_available(SHOP, stores.shopify_variants["TEE"]["inventory_item_id"], None, 8)
    stores.converge({"TEE": 8, "MUG": 20})
    for platform, sb in ad_sandboxes.items():
        ref = refs[platform][LINKED_LEVEL[platform]]
        wait_for(
            lambda ref=ref: len(done_actions(stores.app, ref)) == 2, timeout=15, message=platform
        )
        assert sb.is_active(ref)
        assert [a.kind for a in done_actions(stores.app, ref)] == ["pause", "resume"]
