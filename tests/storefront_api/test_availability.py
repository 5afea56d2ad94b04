"""The public availability API: states, quantities, alternatives, caching headers, CORS, and
every kind of bad input — against a Shopify sandbox store with StockGuard installed."""

from __future__ import annotations

import datetime as dt

from tests.storefront_api.conftest import ORIGIN, SHOP, open_shop


def test_each_variant_gets_its_state_and_only_what_a_shopper_may_see(shop):
    answer = shop.availability(
        variants=[shop.vid("TEE-S"), shop.vid("TEE-M"), shop.vid("TEE-L"), shop.vid("CAP")]
    )
    assert answer.status_code == 200
    variants = answer.get_json()["variants"]
    small, medium, large, cap = (variants[shop.vid(s)] for s in ("TEE-S", "TEE-M", "TEE-L", "CAP"))
    assert small["state"] == "in_stock" and small["quantity"] is None and not small["notify"]
    # 2 units, under the default threshold of 5: "only 2 left"
    assert medium["state"] == "low_stock" and medium["quantity"] == 2
    assert large["state"] == "out_of_stock" and large["notify"] is True
    # Sold out: in-stock products of the same type, never the product itself.
    assert [a["title"] for a in large["alternatives"]] == ["Polo"]
    assert large["alternatives"][0]["url"].startswith("/products/")
    assert cap["state"] == "out_of_stock" and cap["alternatives"] == []
    for data in variants.values():
        assert set(data) == {
            "product",
            "state",
            "quantity",
            "eta",
            "eta_soon",
            "notify",
            "alternatives",
        }
    assert "available" not in answer.get_data(as_text=True)


def test_a_product_brings_all_its_variants_and_its_best_state(shop):
    body = shop.availability(products=[shop.pid("tee"), shop.pid("cap")]).get_json()
    tee = body["products"][shop.pid("tee")]
    assert tee["state"] == "in_stock"
    assert sorted(tee["variants"]) == sorted(shop.vid(s) for s in ("TEE-S", "TEE-M", "TEE-L"))
    assert body["products"][shop.pid("cap")]["state"] == "out_of_stock"
    assert set(body["variants"]) == set(tee["variants"]) | {shop.vid("CAP")}
    assert set(body["settings"]) == {"texts", "colors"}


def test_a_sale_in_the_store_changes_what_shoppers_see(shop):
    shop.sell("TEE-M", 2)
    sold_out = shop.wait_state("TEE-M", "out_of_stock")
    assert sold_out["quantity"] is None and sold_out["notify"] is True
    shop.set_available("TEE-M", 30)
    assert shop.wait_state("TEE-M", "in_stock")["quantity"] is None


def test_etag_short_cache_and_304(shop):
    first = shop.availability(variants=[shop.vid("TEE-S")])
    assert first.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=30"
    etag = first.headers["ETag"]
    again = shop.availability(variants=[shop.vid("TEE-S")], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = shop.availability(variants=[shop.vid("TEE-M")], headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_cors_answers_only_the_stores_own_origins(shop):
    own = shop.availability(variants=[shop.vid("TEE-S")], headers={"Origin": ORIGIN})
    assert own.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in own.headers["Vary"]
    evil = shop.availability(
        variants=[shop.vid("TEE-S")], headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 200 and "Access-Control-Allow-Origin" not in evil.headers
    # An origin the merchant adds (a custom domain) is answered too.
    shop.settings(origins=["https://www.badge-store.example/"])
    from views.storefront import cache

    cache.clear()
    custom = shop.availability(
        variants=[shop.vid("TEE-S")], headers={"Origin": "https://www.badge-store.example"}
    )
    assert custom.headers["Access-Control-Allow-Origin"] == "https://www.badge-store.example"


def test_show_quantity_off_and_threshold(shop):
    shop.settings(show_quantity=False)
    assert shop.wait_state("TEE-M", "low_stock")["quantity"] is None
    shop.settings(low_stock_threshold=1, show_quantity=True)
    assert shop.wait_state("TEE-M", "in_stock")["quantity"] is None


def test_another_stores_ids_are_never_answered(shop, shopify_sandbox):
    other = open_shop(
        shop.app,
        shopify_sandbox,
        "other-store.myshopify.com",
        {"mug": ("Secret Mug", "Mugs", [("MUG", 7)])},
    )
    theirs = other.vid("MUG")
    assert (
        other.availability(variants=[theirs], shop="other-store.myshopify.com").get_json()[
            "variants"
        ][theirs]["state"]
        == "in_stock"
    )
    mine = shop.availability(variants=[theirs], products=[other.pid("mug")]).get_json()
    assert mine["variants"] == {} and mine["products"] == {}


def test_bad_input_is_refused_clearly(shop):
    def ask(**query):
        return shop.client.get("/storefront/v1/availability", query_string=query)

    cases = [
        ({"variants": "1"}, 400, "shop is required"),
        ({"shop": "nope.myshopify.com", "variants": "1"}, 404, "no store"),
        ({"shop": "<script>alert(1)</script>", "variants": "1"}, 400, "shop is not"),
        ({"shop": SHOP}, 400, "ask for variants or products"),
        ({"shop": SHOP, "variants": "1;DROP TABLE sku"}, 400, "numbers of at most 20 digits"),
        ({"shop": SHOP, "variants": "<img src=x onerror=alert(1)>"}, 400, "at most 20 digits"),
        ({"shop": SHOP, "variants": "1" * 21}, 400, "at most 20 digits"),
        ({"shop": SHOP, "variants": ",".join(str(i) for i in range(51))}, 400, "at most 50"),
        ({"shop": SHOP, "products": "9" * 2000}, 400, "at most 50"),
        ({"shop": "x" * 300, "variants": "1"}, 400, "shop is not"),
    ]
    for query, status, message in cases:
        response = ask(**query)
        assert response.status_code == status, (query, response.get_json())
        assert message in response.get_json()["error"]
        assert response.headers["Cache-Control"] == "no-store"
    # Ids that look fine but aren't this store's: simply absent.
    assert shop.availability(variants=["123456789"]).get_json()["variants"] == {}


def test_one_client_is_rate_limited(shop):
    shop.app.config["STOREFRONT_RATE_LIMIT"] = 5
    statuses = [shop.availability(variants=[shop.vid("TEE-S")]).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limited = shop.availability(variants=[shop.vid("TEE-S")])
    assert int(limited.headers["Retry-After"]) >= 1
    assert "too many" in limited.get_json()["error"]


def test_restock_eta_from_open_restocks_supplier_lead_time_and_overdue(shop):
    today = dt.datetime.now(dt.UTC).date()
    soon = (today + dt.timedelta(days=5)).isoformat()
    assert (
        shop.admin(
            "post",
            "/restocks",
            json={"sku": "TEE-L", "quantity": 12, "expected_on": soon, "reference": "PO-1"},
        ).status_code
        == 201
    )
    shop.idle()
    shop.wait_state("TEE-L", "out_of_stock", eta=soon)
    # No restock for the cap, but a supplier with a 10-day lead time and a planned reorder.
    supplier = shop.admin("post", "/suppliers", json={"name": "Hat Co", "lead_time_days": 10})
    assert supplier.status_code == 201
    plan = shop.admin(
        "put",
        "/skus/CAP/restock-plan",
        json={"supplier_id": supplier.get_json()["id"], "reorder_planned": True},
    )
    assert plan.status_code == 200
    shop.wait_state("CAP", "out_of_stock", eta=(today + dt.timedelta(days=10)).isoformat())
    # A late restock: never a date in the past, "soon" instead, and the merchant is told.
    late = (today - dt.timedelta(days=2)).isoformat()
    assert (
        shop.admin(
            "post",
            "/restocks",
            json={"sku": "TEE-L", "quantity": 12, "expected_on": late, "reference": "PO-1"},
        ).status_code
        == 201
    )
    shop.idle()
    from sync.restocks import check_overdue

    with shop.app.app_context():
        assert check_overdue() == 1
    shop.wait_state("TEE-L", "out_of_stock", eta=None, eta_soon=True)
    from extensions import db
    from models import ActivityEntry

    with shop.app.app_context():
        kinds = [a.kind for a in db.session.query(ActivityEntry).all()]
    assert "restock_overdue" in kinds


def test_receiving_a_restock_adds_the_stock_everywhere(shop):
    today = dt.datetime.now(dt.UTC).date()
    created = shop.admin(
        "post", "/restocks", json={"sku": "TEE-L", "quantity": 4, "expected_on": today.isoformat()}
    ).get_json()
    received = shop.admin("post", f"/restocks/{created['id']}/receive", json={})
    assert received.status_code == 200 and received.get_json()["received"] == 4
    assert shop.wait_state("TEE-L", "low_stock")["quantity"] == 4
    shop.idle()
    assert shop.sandbox.available(SHOP, shop.variants["TEE-L"]["inventory_item_id"]) == 4
    # Twice: refused, nothing moves.
    again = shop.admin("post", f"/restocks/{created['id']}/receive", json={})
    assert again.status_code == 400 and "already received" in again.get_json()["error"]


def test_the_wordpress_plugin_downloads_as_an_installable_zip(client):
    import io
    import zipfile

    response = client.get("/integrations/stockguard-wordpress.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()
    assert "stockguard/stockguard.php" in names and "stockguard/readme.txt" in names
