"""A pool link invites; it never moves a store. Found: a pool link (``POST /admin/api/pool/link``)
opened by another shop's admin moved that already installed shop, with its listings, into the
linker's pool, silently, on re-authorisation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from extensions import db
from models import Installation, Listing, Sku, StockPool
from tests.connectors.shopify.helpers import install as shopify_install
from tests.connectors.woocommerce.helpers import connect, open_panel
from tests.sync.harness import PUBLIC

SHOP = "atelier-a.myshopify.com"


def _woo(app, woo):
    with app.app_context():
        db.session.remove()
        inst = Installation.find(db.session, "woocommerce", woo.base_url)
        skus = db.session.scalars(
            select(Sku.key)
            .join(Listing, Listing.sku_id == Sku.id)
            .where(Listing.installation_id == inst.id)
        ).all()
        return inst.id, inst.pool_id, inst.invited_pool_id, sorted(skus)


def _pool_keys(app, pool_id):
    with app.app_context():
        db.session.remove()
        return sorted(db.session.scalars(select(Sku.key).where(Sku.pool_id == pool_id)))


def _bearer(app, installation_id):
    from views.admin_api import panel_token

    with app.test_request_context():
        return {"Authorization": f"Bearer {panel_token(installation_id)}"}


def test_a_pool_link_only_invites_and_only_the_invited_admin_accepts(
    live_app, shopify_sandbox, woo_sandbox
):
    jobs = live_app.extensions["jobs"]
    # Shopify refuses webhook addresses that are not public: the app calls itself PUBLIC and
    # the sandboxes route what they send there to its loopback server.
    loopback, live_app.config["APP_URL"] = live_app.config["APP_URL"], PUBLIC
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    woo_sandbox.route_callbacks(PUBLIC, loopback)
    client = live_app.test_client()
    shopify_sandbox.create_shop(SHOP, name="Atelier A")
    shopify_sandbox.create_product(SHOP, "Scarf", variants=[{"sku": "A-1", "available": 4}])
    assert shopify_install(client, SHOP).status_code == 302
    woo_sandbox.create_product("Lamp", sku="B-1", stock_quantity=7)
    assert "success=1" in connect(client, woo_sandbox)
    jobs.wait_idle(20)
    with live_app.app_context():
        shop_a = Installation.find(db.session, "shopify", SHOP)
        a_id, a_pool = shop_a.id, shop_a.pool_id
    b_id, b_pool, invited, b_skus = _woo(live_app, woo_sandbox)
    assert b_pool != a_pool and invited is None and b_skus == ["b-1"]

    # A's admin makes a link and gets B's admin to open it (B re-authorises: Shopify and
    # WooCommerce approve again without much to read).
    made = client.post(
        "/admin/api/pool/link",
        json={"platform": "woocommerce", "store": woo_sandbox.base_url + "/"},
        headers=_bearer(live_app, a_id),
    )
    assert made.status_code == 200, made.get_data(as_text=True)
    link = made.get_json()
    assert link["store"] == woo_sandbox.base_url and link["expires_in"] == 3600
    token = parse_qs(urlsplit(link["url"]).query)["pool"][0]
    assert "success=1" in connect(live_app.test_client(), woo_sandbox, pool=token)
    jobs.wait_idle(20)
    assert _woo(live_app, woo_sandbox) == (b_id, b_pool, a_pool, ["b-1"])  # nothing moved
    assert _pool_keys(live_app, a_pool) == ["a-1"]  # A sees nothing of B

    # A cannot answer for B; B's panel shows the invitation with A's name.
    mine = client.post(
        "/admin/api/pool/invitation", json={"accept": True}, headers=_bearer(live_app, a_id)
    )
    assert mine.status_code == 409
    shown = client.get("/admin/api/pool/invitation", headers=_bearer(live_app, b_id)).get_json()
    assert shown["invitation"]["stores"] == ["Atelier A"]
    page = open_panel(live_app.test_client(), woo_sandbox).get_data(as_text=True)
    assert 'data-test="pool-invitation"' in page and "Atelier A" in page

    # Declined: nothing moves and the invitation is gone.
    declined = client.post(
        "/admin/api/pool/invitation", json={"accept": False}, headers=_bearer(live_app, b_id)
    )
    assert declined.status_code == 200
    assert _woo(live_app, woo_sandbox) == (b_id, b_pool, None, ["b-1"])
    bad = client.post(
        "/admin/api/pool/invitation", json={"accept": "yes"}, headers=_bearer(live_app, b_id)
    )
    assert bad.status_code == 400

    # Invited again and accepted by B's admin: B joins A's pool, its old pool is gone.
    assert "success=1" in connect(live_app.test_client(), woo_sandbox, pool=token)
    jobs.wait_idle(20)
    accepted = client.post(
        "/admin/api/pool/invitation", json={"accept": True}, headers=_bearer(live_app, b_id)
    )
    assert accepted.status_code == 200 and accepted.get_json()["pool_stores"] == ["Atelier A"]
    jobs.wait_idle(20)
    assert _woo(live_app, woo_sandbox) == (b_id, a_pool, None, ["b-1"])
    assert _pool_keys(live_app, a_pool) == ["a-1", "b-1"]
    with live_app.app_context():
        assert db.session.get(StockPool, b_pool) is None


def test_a_pool_link_invites_only_the_store_it_names(live_app, shopify_sandbox, woo_sandbox):
    """Found in review: a pool link carried only the pool, so whoever saw it could connect a
    store of their own (even a fake one), accept in its panel and read the pool. A link now
    names its store: used for another, it invites nobody."""
    loopback, live_app.config["APP_URL"] = live_app.config["APP_URL"], PUBLIC
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    woo_sandbox.route_callbacks(PUBLIC, loopback)
    client = live_app.test_client()
    shopify_sandbox.create_shop(SHOP, name="Atelier A")
    assert shopify_install(client, SHOP).status_code == 302
    with live_app.app_context():
        a_id = Installation.find(db.session, "shopify", SHOP).id
    for bad in ({}, {"platform": "amazon", "store": "x"}, {"platform": "woocommerce"},
                {"platform": "woocommerce", "store": "javascript:alert(1)"},
                {"platform": "shopify", "store": "evil.com"}):  # fmt: skip
        answer = client.post("/admin/api/pool/link", json=bad, headers=_bearer(live_app, a_id))
        assert answer.status_code == 400, bad
    made = client.post(
        "/admin/api/pool/link",
        json={"platform": "woocommerce", "store": "https://someone-else.example"},
        headers=_bearer(live_app, a_id),
    ).get_json()
    token = parse_qs(urlsplit(made["url"]).query)["pool"][0]
    # The link reaches another store (the sandbox): it connects, but is invited nowhere.
    assert "success=1" in connect(live_app.test_client(), woo_sandbox, pool=token)
    live_app.extensions["jobs"].wait_idle(20)
    _, pool, invited, _ = _woo(live_app, woo_sandbox)
    with live_app.app_context():
        a_pool = db.session.get(Installation, a_id).pool_id
    assert invited is None and pool != a_pool
