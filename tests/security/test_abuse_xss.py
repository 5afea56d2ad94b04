"""Stored XSS: markup a store sends us (shop name, location name, product and variant titles,
imported from the Shopify sandbox) and markup a merchant types, in every page and message the
server renders: the admin panel page, the notify-me e-mail, the JSON the badge script reads.

Covered elsewhere (not repeated): the e-mail body and the unsubscribe page with a hostile
product title (tests/storefront_api/test_notify.py::test_a_hostile_product_title_is_only_ever_text),
markup in contact fields refused (test_bad_sign_ups_are_refused_and_leave_nothing), the badge and
panel scripts building DOM from text only (tests/browser/test_safety.py,
tests/test_admin_ads_page.py::test_scripts_never_build_markup_from_strings), a WooCommerce address
inside the snippet (tests/test_admin_storefront_page.py).
"""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Installation, Listing, NotifySubscription
from tests.connectors.shopify.helpers import install as shopify_install
from tests.security.conftest import bearer, panel_auth, session_token
from tests.storefront_api.conftest import Shop
from tests.sync.harness import _wait_import

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SHOP = "xss-store.myshopify.com"
RAW = ("<script>alert", "<img src=x", "onerror=alert(1)>")


def _assert_inert(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, (where, raw)


def _hostile_store(app, sandbox) -> Shop:
    """A Shopify store whose shop name, location name and titles carry markup, installed and
    imported as any store is."""
    sandbox.create_shop(SHOP, name=f"Shop {SCRIPT}")
    sandbox.shops[SHOP].catalog.locations[0].name = f"Depot {IMG}"
    tee = sandbox.create_product(
        SHOP, f"Tee {SCRIPT}", variants=[{"sku": "XSS-TEE", "available": 0}]
    )
    # No SKU: unmatched, for the merchant to resolve.
    sandbox.create_product(SHOP, f"Mug {IMG}", variants=[{"available": 3}])
    assert shopify_install(app.test_client(), SHOP).status_code == 302
    with app.app_context():
        installation = Installation.find(db.session, "shopify", SHOP)
        assert installation.name == f"Shop {SCRIPT}"
    _wait_import(app, installation.id)
    store = Shop(app, sandbox, installation.id, {"tee": tee}, {"XSS-TEE": tee["variants"][0]})
    store.idle()
    return store


def test_markup_from_the_store_is_text_on_the_admin_page(app, shopify_sandbox):
    store = _hostile_store(app, shopify_sandbox)
    client = app.test_client()
    with app.app_context():
        unmatched = db.session.scalar(
            select(Listing).where(
                Listing.installation_id == store.installation_id, Listing.status == "unmatched"
            )
        )
        assert unmatched is not None and IMG in unmatched.title
        location = db.session.get(Installation, store.installation_id).settings["location_name"]
        assert IMG in location  # the sandbox's name came through the import as it is
    # The merchant's resolution puts the title into the activity log the page shows.
    resolved = client.post(
        f"/admin/api/listings/{unmatched.id}/resolve",
        json={"action": "ignore"},
        headers=panel_auth(app, store),
    )
    assert resolved.status_code == 200
    page = client.get("/admin/shopify", query_string={"id_token": session_token(SHOP)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    _assert_inert(html, "admin page")
    assert "Shop &lt;script&gt;alert(1)&lt;/script&gt;" in html  # title and header
    assert "Depot &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # stock location
    assert "Mug &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # activity entry
    # The JSON the panel's scripts read carries the same text as data, never as HTML.
    listings = client.get("/admin/api/listings", headers=bearer(session_token(SHOP)))
    assert listings.mimetype == "application/json"
    assert any(IMG in row["title"] for row in listings.get_json()["listings"])


def test_markup_is_text_in_the_e_mail_and_in_the_json_shoppers_get(app, shopify_sandbox):
    from sync.notify import message_for

    store = _hostile_store(app, shopify_sandbox)
    with app.app_context():
        listing = db.session.scalar(
            select(Listing).where(
                Listing.installation_id == store.installation_id, Listing.sku == "XSS-TEE"
            )
        )
        listing.title = f"Size {IMG}"  # the variant's own title differs from the product's
        installation = db.session.get(Installation, store.installation_id)
        signup = NotifySubscription(
            installation_id=installation.id,
            listing_id=listing.id,
            variant_id=listing.public_id,
            contact="reader@example.com",
            channel="email",
            locale="en",
            consent=True,
        )
        db.session.add(signup)
        db.session.commit()
        message = message_for(installation, listing, signup)
    html = message["html"]
    _assert_inert(html, "e-mail html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shop and product
    assert "Size &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # variant
    assert 'href="https://' in html and "javascript:" not in html
    # The subject is one line (no header injection), the text part is plain text as typed.
    assert "\n" not in message["subject"] and "\r" not in message["subject"]
    assert SCRIPT in message["text"]
    # Merchant texts with markup reach shoppers as JSON data.
    texts = {"out_of_stock": f"Gone {SCRIPT}", "notify": f"Tell me {IMG}"}
    saved = app.test_client().put(
        "/admin/api/storefront", json={"texts": {"en": texts}}, headers=panel_auth(app, store)
    )
    assert saved.status_code == 200
    store.idle()
    answer = store.availability(variants=[store.vid("XSS-TEE")], shop=SHOP)
    assert answer.status_code == 200
    # Served as JSON (a browser never renders it as a page), the texts exactly as typed: the
    # badge script puts them in the page as text (tests/browser/test_safety.py).
    assert answer.mimetype == "application/json"
    assert answer.get_json()["settings"]["texts"]["en"] == texts
    # An error answer that names a field does not echo markup back as HTML either.
    bad = store.availability(variants=[SCRIPT], shop=SHOP)
    assert bad.status_code == 400 and bad.mimetype == "application/json"
    assert SCRIPT not in bad.get_data(as_text=True)
    page = app.test_client().get("/admin/shopify", query_string={"id_token": session_token(SHOP)})
    _assert_inert(page.get_data(as_text=True), "admin page with merchant texts")
