"""Seed the demo: the same small catalog in both stores, StockGuard installed into each, a
supplier with restocks, a bundle, and three ad platforms' campaigns linked to two SKUs."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from decimal import Decimal

import requests
from sqlalchemy import select

from demo.world import (
    ADS,
    BUNDLE,
    CATALOG,
    POLICY,
    RESTOCKS,
    SHOP,
    SUPPLIER,
    DemoError,
    Panel,
    World,
    loopback_path,
    wait_until,
)

log = logging.getLogger(__name__)
COST_SHARE = Decimal("0.4")  # what an item costs the merchant, as a share of its price


def seed(world: World) -> None:
    _stores(world)
    _install_shopify(world)
    _install_woo(world)
    _wait_jobs(world)
    panel = Panel(world, world.shopify_id)
    panel.call("post", "/bundles", json={"sku": BUNDLE[0], "components": [
        {"sku": sku, "quantity": qty} for sku, qty in BUNDLE[1]]})  # fmt: skip
    # Unit costs (the merchant's cost sheet): stock value and cash tied up in the reports.
    sheet = "sku,unit_cost\n" + "".join(
        f"{sku},{Decimal(price) * COST_SHARE:.2f}\n"
        for _title, variants in CATALOG
        for sku, _qty, price in variants
        if sku != BUNDLE[0]
    )
    panel.call("post", "/import/costs", files={"file": ("costs.csv", sheet, "text/csv")})
    supplier = panel.call("post", "/suppliers", json=SUPPLIER)
    today = dt.date.today()
    for sku, quantity, in_days, reference in RESTOCKS:
        panel.call("put", f"/skus/{sku}/restock-plan", json={"supplier_id": supplier["id"]})
        panel.call("post", "/restocks", json={
            "sku": sku, "quantity": quantity, "reference": reference,
            "supplier": SUPPLIER["name"],
            "expected_on": (today + dt.timedelta(days=in_days)).isoformat()})  # fmt: skip
    _ads(world, panel)
    _wait_jobs(world)
    _history(world)
    world.say("Demo ready: both stores connected, ads linked, supplier and restocks planned.")


def _history(world: World) -> None:
    """Past sales in the ledger, then the forecast and the alerts they lead to."""
    from demo.actions import after_action
    from demo.history import write_history
    from extensions import db

    with world.app.app_context():
        write_history(db.session, world.pool_id, world.shopify_id, dt.date.today())
        db.session.commit()
        db.session.remove()
    after_action(world)


def _stores(world: World) -> None:
    shopify, woo = world.shopify, world.woo
    shopify.create_shop(SHOP, name="Demo Outfitters", currency="EUR")
    for title, variants in CATALOG:
        specs = [
            {"sku": sku, "available": qty, "price": price}
            | ({"title": sku.rsplit("-", 1)[-1]} if len(variants) > 1 else {})
            for sku, qty, price in variants
        ]
        product = shopify.create_product(SHOP, title, variants=specs)
        for variant in product["variants"]:
            world.shopify_variants[variant["sku"]] = variant
            world.shopify_products[variant["sku"]] = product
        if len(variants) == 1:
            sku, qty, price = variants[0]
            item = woo.create_product(title, sku=sku, stock_quantity=qty, regular_price=price)
            world.woo_items[sku] = item
            world.woo_parents[sku] = item["id"]
            continue
        parent = woo.create_product(title, sku="", stock_quantity=None, type="variable")
        for sku, qty, price in variants:
            size = sku.rsplit("-", 1)[-1]
            world.woo_items[sku] = woo.create_variation(
                parent["id"], sku, qty, {"Size": size}, regular_price=price
            )
            world.woo_parents[sku] = parent["id"]
    woo.wait_for_deliveries(timeout=5)


def _install_shopify(world: World, attempts: int = 3) -> None:
    """The merchant's browser: our install link → Shopify's consent → our callback. A failed
    set-up (a slow machine: a call timed out) is retried as the merchant would, by installing
    again (which repairs what the first attempt left)."""
    for attempt in range(1, attempts + 1):
        try:
            return _install_shopify_once(world)
        except DemoError as e:
            if attempt == attempts:
                raise
            log.warning("Shopify install attempt %d failed (%s); trying again", attempt, e)
            time.sleep(1)


def _install_shopify_once(world: World) -> None:
    from models import Installation

    browser = requests.Session()
    start = browser.get(
        f"{world.url}/auth/shopify/install", params={"shop": SHOP}, allow_redirects=False
    )
    if start.status_code != 302:
        raise DemoError(f"Shopify install did not start: {start.status_code} {start.text[:300]}")
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    if consent.status_code != 302:
        raise DemoError(f"Shopify sandbox refused the install: {consent.text[:300]}")
    back = browser.get(
        world.url + loopback_path(consent.headers["Location"]), allow_redirects=False
    )
    if back.status_code != 302:
        raise DemoError(f"Shopify install callback failed: {back.status_code} {back.text[:300]}")
    world.shopify.set_app_url(SHOP, world.url)  # the app embed's "StockGuard server URL"
    with world.app.app_context():
        from extensions import db

        inst = Installation.find(db.session, "shopify", SHOP)
        world.shopify_id, world.pool_id = inst.id, inst.pool_id
        db.session.remove()
    _wait_import(world, world.shopify_id)


def _install_woo(world: World) -> None:
    """ "Connect another store": the pool's link, the store's authorize page, Approve."""
    from extensions import db
    from models import Installation
    from sync.pools import link_token
    from views.admin_api import panel_token

    with world.app.test_request_context():
        token = link_token(world.pool_id, "woocommerce", world.woo.base_url)
    browser = requests.Session()  # the confirmation form is bound to the browser's session
    page = browser.get(
        f"{world.url}/auth/woocommerce/install",
        params={"store_url": world.woo.base_url, "pool": token},
        timeout=10,
    )
    form = re.search(r'name="form_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or form is None:
        raise DemoError(f"WooCommerce install did not start: {page.text[:300]}")
    start = browser.post(
        f"{world.url}/auth/woocommerce/install",
        data={"store_url": world.woo.base_url, "pool": token, "form_token": form.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    if start.status_code != 302:
        raise DemoError(f"WooCommerce install did not start: {start.text[:300]}")
    final = world.woo.approve(start.headers["Location"])
    if "success=1" not in final:
        raise DemoError(f"WooCommerce authorization failed: {world.woo.last_auth_error}")
    with world.app.app_context():
        world.woo_id = Installation.find(db.session, "woocommerce", world.woo.base_url).id
        db.session.remove()
    _wait_import(world, world.woo_id)
    # The link only invites: accept it as the store's admin would in its panel.
    with world.app.test_request_context():
        panel = {"Authorization": f"Bearer {panel_token(world.woo_id)}"}
    accepted = requests.post(
        f"{world.url}/admin/api/pool/invitation", json={"accept": True}, headers=panel, timeout=30
    )
    if accepted.status_code != 200:
        raise DemoError(f"WooCommerce did not join the pool: {accepted.text[:300]}")
    _wait_import(world, world.woo_id)


def _wait_import(world: World, installation_id: int) -> None:
    from extensions import db
    from models import JobRun

    def done():
        with world.app.app_context():
            run = db.session.scalar(
                select(JobRun)
                .where(JobRun.installation_id == installation_id, JobRun.kind == "import")
                .order_by(JobRun.id.desc())
            )
            status, message = (run.status, run.message) if run else (None, None)
            db.session.remove()
        if status == JobRun.FAILED:
            raise DemoError(f"catalog import failed: {message}")
        return status == JobRun.DONE

    wait_until(done, 60, "the catalog import")


def _wait_jobs(world: World, timeout: float = 30) -> None:
    backend = world.app.extensions["jobs"]
    world.woo.wait_for_deliveries(timeout=5)
    if not backend.wait_idle(timeout):
        raise DemoError("background jobs did not settle")


def _ads(world: World, panel: Panel) -> None:
    """Campaigns on each platform (landing on the product page), connected, linked, live."""
    for platform, box in world.ads.items():
        linked = [(level, name, sku) for p, level, name, sku in ADS if p == platform]
        for level, name, sku in linked:
            url = world.shopify.storefront_url(
                SHOP, f"/products/{world.shopify_products[sku]['handle']}"
            )
            # The linked object carries the name the page shows.
            top = name if level == "campaign" else f"{name} (campaign)"
            campaign = box.create_object("campaign", top, daily_budget=5000)
            budget = None if platform == "google_ads" else 2000
            ad_set = box.create_object(
                "ad_set",
                name if level == "ad_set" else f"{name} (ad set)",
                parent=campaign,
                daily_budget=budget,
            )
            box.create_object("ad", f"{name} – ad", parent=ad_set, url=url)
            ref = campaign if level == "campaign" else ad_set
            world.ad_refs[(platform, ref)] = (name, level, sku)
        answer = panel.call("post", "/ads/accounts", json={"platform": platform,
                                                           **box.connect_form()})  # fmt: skip
        account_id = answer["account"]["id"]
        _wait_job(world, answer["job"]["id"])
        objects = _objects(panel)
        for (p, ref), (_name, _level, sku) in world.ad_refs.items():
            if p != platform:
                continue
            sku_id = _sku_id(world, sku)
            panel.call("post", "/ads/links", json={"object_id": objects[ref]["id"],
                                                   "sku_ids": [sku_id]})  # fmt: skip
        panel.call(
            "patch", f"/ads/accounts/{account_id}", json={"mode": "automatic", "end_dry_run": True}
        )
    panel.call("put", "/ads/policy", json=POLICY)


def _objects(panel: Panel) -> dict:
    found, page = {}, 1
    while True:
        body = panel.call("get", "/ads/objects", params={"page": page})
        found.update({o["ref"]: o for o in body["objects"]})
        if len(found) >= body["total"] or not body["objects"]:
            return found
        page += 1


def _wait_job(world: World, run_id: int) -> None:
    from extensions import db
    from models import JobRun

    def done():
        with world.app.app_context():
            run = db.session.get(JobRun, run_id)
            status, message = run.status, run.message
            db.session.remove()
        if status == JobRun.FAILED:
            raise DemoError(f"ad account import failed: {message}")
        return status == JobRun.DONE

    wait_until(done, 60, "the ad account import")


def _sku_id(world: World, sku: str) -> int:
    from extensions import db
    from models import Sku, sku_key

    with world.app.app_context():
        row = db.session.scalar(
            select(Sku.id).where(Sku.pool_id == world.pool_id, Sku.key == sku_key(sku))
        )
        db.session.remove()
    if row is None:
        raise DemoError(f"SKU {sku} was not imported")
    return row
