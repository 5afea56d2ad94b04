"""The storefront at scale: PostgreSQL, Redis and two real RQ worker processes. A sale on the
WooCommerce store sells the last units; the Shopify store's shoppers see it sold out, sign up,
and the WooCommerce restock brings their e-mail through a real SMTP server."""

from __future__ import annotations

import pytest

from sandbox.common import ServerThread
from tests.conftest import wait_for
from tests.sync.harness import PUBLIC, SHOP, connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def stores(rq_app, rq_workers, pki, shopify_sandbox, woo_sandbox, smtp_server):
    url, mailbox = smtp_server
    rq_app.config["SMTP_URL"] = url  # the workers send the notices
    server = ServerThread(rq_app, ssl_context=pki.server_context()).start()
    rq_app.config["APP_URL"] = PUBLIC
    rq_workers.start(2)
    stores = connect(rq_app, shopify_sandbox, woo_sandbox, {"LAMP": (2, 2)}, loopback=server.url)
    yield stores, mailbox
    server.stop()


def test_sold_out_elsewhere_then_restocked_notifies_through_the_workers(stores):
    stores, mailbox = stores
    client = stores.app.test_client()
    variant = str(stores.shopify_variants["LAMP"]["legacy_id"])

    def state():
        answer = client.get(
            "/storefront/v1/availability", query_string={"shop": SHOP, "variants": variant}
        ).get_json()
        return answer["variants"].get(variant, {}).get("state")

    wait_for(lambda: state() == "low_stock", timeout=20, message="LAMP never shown low")
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["LAMP"]["id"], "quantity": 2}]
    )
    wait_for(lambda: state() == "out_of_stock", timeout=20, message="sale not shown on Shopify")
    signup = client.post(
        "/storefront/v1/notify",
        json={"shop": SHOP, "variant": variant, "contact": "fan@example.com", "consent": True},
    )
    assert signup.status_code == 201
    stores.woo.set_stock(stores.woo_products["LAMP"]["id"], 6)
    [message] = mailbox.wait(1, timeout=30)
    assert message["To"] == "fan@example.com" and "Product LAMP" in message["Subject"]
    wait_for(lambda: state() == "in_stock", timeout=20)
    stores.converge({"LAMP": 6})
