"""The public storefront API across stores: one store's address never answers for another
store's products, variants or sign-ups, however the address is spelt, and another store's page
is never let read the answers (CORS).

Covered elsewhere (not repeated): another store's ids absent from an answer, through two real
installs (tests/storefront_api/test_availability.py::test_another_stores_ids_are_never_answered),
bad ids and shops refused, CORS for the store's own origins.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import table_counts


@pytest.fixture
def shops(app, tenants):
    from views.storefront import cache

    app.config.update(STOREFRONT_RATE_LIMIT=0, NOTIFY_RATE_LIMIT=0)
    cache.clear()
    yield tenants
    cache.clear()


def _ask(client, shop, variants=(), products=(), origin=None):
    query = {"shop": shop}
    if variants:
        query["variants"] = ",".join(variants)
    if products:
        query["products"] = ",".join(products)
    return client.get(
        "/storefront/v1/availability",
        query_string=query,
        headers={"Origin": origin} if origin else {},
    )


def test_a_stores_address_answers_for_its_own_products_only(client, shops):
    a, b = shops
    theirs = _ask(client, b.shop, [b.ids["variant"]], [b.ids["product_public"]]).get_json()
    assert theirs["variants"][b.ids["variant"]]["state"] == "out_of_stock"  # the ids are real
    assert theirs["products"][b.ids["product_public"]]["variants"] == [b.ids["variant"]]
    for spelling in (a.shop, a.shop.upper(), f"https://{a.shop}/", f" http://{a.shop} "):
        mine = _ask(
            client,
            spelling,
            [b.ids["variant"], a.ids["variant"]],
            [b.ids["product_public"], a.ids["product_public"]],
        )
        assert mine.status_code == 200, spelling
        body = mine.get_json()
        assert set(body["variants"]) == {a.ids["variant"]}, spelling
        assert set(body["products"]) == {a.ids["product_public"]}, spelling
        assert body["shop"] == a.shop
        text = mine.get_data(as_text=True)
        assert b.private not in text and b.shop not in text, spelling
    # Another store's page cannot read this store's answers (CORS), its own page can.
    a_origin = f"https://{a.shop}"
    answer = _ask(client, b.shop, [b.ids["variant"]], origin=a_origin)
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
    preflight = client.options(
        "/storefront/v1/notify",
        query_string={"shop": b.shop},
        headers={"Origin": a_origin, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    # Each store's own page is let in (the check above could fail).
    own = _ask(client, b.shop, [b.ids["variant"]], origin=f"https://{b.shop}")
    assert own.headers["Access-Control-Allow-Origin"] == f"https://{b.shop}"


def test_notify_me_for_another_stores_variant_is_refused_and_stores_nothing(client, shops):
    a, b = shops
    before = table_counts()
    for variant in (b.ids["variant"], int(b.ids["variant"])):
        response = client.post(
            "/storefront/v1/notify",
            json={"shop": a.shop, "variant": variant, "contact": "x@example.com", "consent": True},
            headers={"Origin": f"https://{a.shop}"},
        )
        assert response.status_code == 404, response.get_json()
        assert response.get_json()["field"] == "variant"
    # Spelling B's shop like A's page would (A's origin) changes nothing for A either: the
    # sign-up is B's, made at B's address, and A's page is not let read the answer.
    response = client.post(
        "/storefront/v1/notify",
        json={
            "shop": b.shop,
            "variant": b.ids["variant"],
            "contact": "y@example.com",
            "consent": True,
        },
        headers={"Origin": f"https://{a.shop}"},
    )
    assert response.status_code == 201 and "Access-Control-Allow-Origin" not in response.headers
    after = table_counts()
    assert {t for t in after if after[t] != before[t]} == {"notify_subscription"}
    assert after["notify_subscription"] == before["notify_subscription"] + 1
