"""Install-flow abuse: spoofed shops, open redirects, replayed or transplanted state, forged
callbacks — for Shopify OAuth and WooCommerce app auth, against the sandboxes.

Already covered in tests/connectors/shopify/test_install.py (not repeated): evil.com,
a.myshopify.com.evil.com and other bad shops at install; a forged hmac; a tampered shop; a stale
timestamp; a missing or forged state; the callback in a browser without the state cookie; a
reused state's 403. In tests/connectors/woocommerce/test_install.py: tampered and expired install
tokens, a replayed install token, store URLs with credentials or a query.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import shopify
from sqlalchemy import func, select

from connectors.shopify.auth import SHOP_RE
from extensions import db
from models import ActivityEntry, Installation, InstallState
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET
from tests.connectors.shopify.helpers import authorize, begin_install, callback_params
from tests.connectors.woocommerce.helpers import start as woo_start

SHOP = "victim-store.myshopify.com"
APP = "https://stockguard.test"


def _resign(params: dict) -> dict:
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params = {k: v for k, v in params.items() if k != "hmac"}
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return params


def _count(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model))


def _approved(client, sandbox, shop=SHOP) -> dict:
    if shop not in sandbox.shops:
        sandbox.create_shop(shop, name="Victim")
    start = begin_install(client, shop)
    assert start.status_code == 302
    return callback_params(authorize(start.headers["Location"]))


SPOOFED_SHOPS = [
    "a.myshopify.com:443",
    "a.myshopify.com:8443",
    "user@a.myshopify.com",
    "a.myshopify.com@evil.com",
    "a.myshopify.com/evil",
    "a.myshopify.com?x=evil.com",
    "a.myshopify.com#evil.com",
    "a.myshopify.com.",
    "a\u2024myshopify.com",  # one dot leader
    "a\uff0emyshopify\uff0ecom",  # fullwidth full stops
    "\u0430.myshopify.com",  # Cyrillic a
    "a.myshop\u0131fy.com",  # dotless i
    "a.myshopify.com\u200b",  # zero-width space
    "a.myshopify.com%2F@evil.com",
    "//evil.com/a.myshopify.com",
    "evil.com\\a.myshopify.com",
    "a.myshopify.com\r\nSet-Cookie: x=1",
]


def test_spoofed_shops_never_leave_the_shopify_domain(client, db_session, shopify_sandbox):
    for shop in SPOOFED_SHOPS + ["\u212aiwi.myshopify.com"]:  # Kelvin sign: lower() is "k"
        response = begin_install(client, shop)
        location = response.headers.get("Location")
        if response.status_code == 400:
            assert location is None, shop
            continue
        # Only a look-alike that normalises to a real ASCII shop may pass: to that shop.
        host = urlsplit(location).hostname
        assert response.status_code == 302 and host.isascii() and SHOP_RE.fullmatch(host), shop
        assert location.startswith(f"https://{host}/admin/oauth/authorize?"), shop
    states = db_session.scalars(select(InstallState.shop_domain)).all()
    assert states == ["kiwi.myshopify.com"]
    # A callback Shopify would have signed, for a spoofed shop: refused before anything is sent.
    params = _approved(client, shopify_sandbox)
    for shop in SPOOFED_SHOPS + ["evil.com", "victim-store.myshopify.com.evil.com"]:
        forged = _resign({**params, "shop": shop})
        response = client.get("/auth/shopify/callback?" + urlencode(forged))
        # Refused on the shop itself, before the code is exchanged: our client secret would go
        # to whatever host ``shop`` names.
        assert response.status_code == 400, shop
        assert "Location" not in response.headers
    assert _count(Installation) == 0
    assert shopify_sandbox.shops[SHOP].access_tokens == set()


def test_redirect_targets_stay_on_the_shop_or_the_app(client, shopify_sandbox):
    shopify_sandbox.create_shop(SHOP)
    evil = "https://evil.example/steal"
    start = client.get(
        "/auth/shopify/install",
        query_string={
            "shop": SHOP,
            "redirect_uri": evil,
            "return_url": evil,
            "next": evil,
            "host": "ZXZpbC5leGFtcGxl",
        },
    )
    location = start.headers["Location"]
    assert urlsplit(location).hostname == SHOP
    consent = callback_params(location)
    assert consent["redirect_uri"] == f"{APP}/auth/shopify/callback"
    back = callback_params(authorize(location))
    # Even extra parameters Shopify itself signed do not choose where the merchant lands.
    params = _resign({**back, "return_to": evil, "redirect_uri": evil, "next": evil})
    done = client.get("/auth/shopify/callback?" + urlencode(params))
    assert done.status_code == 302
    assert done.headers["Location"] == f"https://{SHOP}/admin/apps/{SHOPIFY_API_KEY}"
    # An error page's only link starts the install again, here.
    failed = client.get("/auth/shopify/callback?" + urlencode({**params, "hmac": "0" * 64}))
    html = failed.get_data(as_text=True)
    assert (
        failed.status_code == 401
        and 'href="/auth/shopify/install?shop=victim-store.myshopify.com"' in html
    )
    assert "evil.example" not in html


def test_state_is_single_use_and_bound_to_its_shop_and_browser(app, client, shopify_sandbox):
    params = _approved(client, shopify_sandbox)
    with client.session_transaction() as sess:
        bound = dict(sess["shopify_oauth"])
    assert client.get("/auth/shopify/callback?" + urlencode(params)).status_code == 302
    inst = Installation.find(db.session, "shopify", SHOP)
    sealed, tokens, activity = (
        inst.credentials_sealed,
        set(shopify_sandbox.shops[SHOP].access_tokens),
        _count(ActivityEntry),
    )
    for _ in range(2):
        with client.session_transaction() as sess:  # the cookie replayed with the URL
            sess["shopify_oauth"] = bound
        assert client.get("/auth/shopify/callback?" + urlencode(params)).status_code == 403
        # A fresh timestamp and signature do not revive the spent state either.
        with client.session_transaction() as sess:
            sess["shopify_oauth"] = bound
        fresh = _resign({**params, "timestamp": str(int(time.time()))})
        assert client.get("/auth/shopify/callback?" + urlencode(fresh)).status_code == 403
    db.session.remove()
    assert _count(Installation) == 1 and _count(ActivityEntry) == activity
    assert Installation.find(db.session, "shopify", SHOP).credentials_sealed == sealed
    assert shopify_sandbox.shops[SHOP].access_tokens == tokens
    # Bound to its browser and its shop: two merchants' installs, swapped.
    victim, attacker = app.test_client(), app.test_client()
    victim_params = _approved(victim, shopify_sandbox, "second-victim.myshopify.com")
    attacker_params = _approved(attacker, shopify_sandbox, "attacker-store.myshopify.com")
    # A state issued for one shop, in a callback Shopify signed for another: refused.
    other = _resign({**attacker_params, "shop": "second-victim.myshopify.com"})
    assert attacker.get("/auth/shopify/callback?" + urlencode(other)).status_code == 403
    # Each browser holds a state of its own: the victim's callback in the attacker's browser
    # (holding a state of its own again) installs nobody.
    _approved(attacker, shopify_sandbox, "attacker-store.myshopify.com")
    assert attacker.get("/auth/shopify/callback?" + urlencode(victim_params)).status_code == 403
    assert _count(Installation) == 1


UNSIGNED_OR_STALE = [
    {"hmac": None},
    {"hmac": ""},
    {"extra": "added-after-signing"},
    {"hmac": "resign", "timestamp": str(int(time.time()) + 3600)},  # from the future
    {"hmac": "resign", "timestamp": "yesterday"},
    {"hmac": "resign", "timestamp": None},
]


def test_callbacks_shopify_did_not_sign_or_not_now_are_refused(client, shopify_sandbox):
    approved = _approved(client, shopify_sandbox)
    for change in UNSIGNED_OR_STALE:
        resign = change.get("hmac") == "resign"
        params = {**approved, **{k: v for k, v in change.items() if k != "hmac" or not resign}}
        params = {k: v for k, v in params.items() if v is not None}
        if resign:
            params = _resign(params)
        response = client.get("/auth/shopify/callback?" + urlencode(params))
        assert response.status_code in (400, 401), change
    assert _count(Installation) == 0 and shopify_sandbox.shops[SHOP].access_tokens == set()
    # The state survived those refusals: the genuine callback still installs.
    assert client.get("/auth/shopify/callback?" + urlencode(approved)).status_code == 302


# --------------------------------------------------------------------------- WooCommerce


def _woo_start(client, store_url, **extra):
    return woo_start(client, store_url, **extra)


STORE_URL_GAMES = [
    "https://shop.example.com\\@evil.com",
    "https://evil.com#@shop.example.com",
    "https://shop.example.com%2F@evil.com",
    "//evil.com",
    "https:evil.com",
    "https://shop.example.com:99999",
    "https://evil.com\r\nLocation: https://evil.com",
    "https://\u0430pple.com",
]


def test_woocommerce_redirects_only_to_the_stores_authorize_page_and_back_to_us(
    client, woo_sandbox
):
    for store_url in STORE_URL_GAMES:
        response = _woo_start(client, store_url)
        assert response.status_code == 400 and "Location" not in response.headers, store_url
    evil = "https://evil.example/x"
    response = _woo_start(
        client, woo_sandbox.base_url, return_url=evil, callback_url=evil, app_name="Evil"
    )
    location = urlsplit(response.headers["Location"])
    store = urlsplit(woo_sandbox.base_url)
    assert (location.netloc, location.path) == (store.netloc, "/wc-auth/v1/authorize")
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["callback_url"] == f"{APP}/auth/woocommerce/callback"
    assert query["return_url"] == f"{APP}/auth/woocommerce/installed"
    assert query["app_name"] == "StockGuard"


def _keys(user_id) -> dict:
    return {
        "key_id": 1,
        "user_id": user_id,
        "consumer_key": "ck_" + "c" * 40,
        "consumer_secret": "cs_" + "d" * 40,
        "key_permissions": "read_write",
    }


def test_a_callback_needs_our_install_token_and_the_stores_own_keys(live_app, client, woo_sandbox):
    app = live_app
    from itsdangerous import URLSafeTimedSerializer

    from connectors.woocommerce.auth import launch_link
    from sync.pools import link_token
    from views.admin_api import panel_token

    with app.test_request_context():
        ours_for_other_uses = [
            panel_token(1),
            parse_qs(urlsplit(launch_link(1)).query)["launch"][0],
            link_token(1, "woocommerce", "https://shop.example.com"),
        ]
    other_deployment = URLSafeTimedSerializer("another-secret", salt="wc-install").dumps(
        {"store": "https://shop.example.com", "nonce": "n"}
    )
    for user_id in [
        *ours_for_other_uses,
        other_deployment,
        1,
        "1",
        None,
        {"store": "x"},
        "x" * 5000,
    ]:
        response = client.post("/auth/woocommerce/callback", json=_keys(user_id))
        assert response.status_code == 403, user_id
        installed = client.get(
            "/auth/woocommerce/installed", query_string={"success": "1", "user_id": user_id}
        )
        assert installed.status_code == 403, user_id
    assert _count(Installation) == 0
    _keys_the_store_does_not_know_store_nothing(app, woo_sandbox)


def _keys_the_store_does_not_know_store_nothing(live_app, woo_sandbox):
    client = live_app.test_client()

    def token_for_store():
        start = _woo_start(client, woo_sandbox.base_url)
        assert start.status_code == 302, start.get_data(as_text=True)
        return parse_qs(urlsplit(start.headers["Location"]).query)["user_id"][0]

    # A token for this store, keys of someone else's: registering webhooks with them fails.
    response = client.post("/auth/woocommerce/callback", json=_keys(token_for_store()))
    assert response.status_code == 502
    with live_app.app_context():
        assert _count(Installation) == 0
    # Once really connected, the same trick leaves the store's keys alone.
    start = _woo_start(client, woo_sandbox.base_url)
    assert "success=1" in woo_sandbox.approve(start.headers["Location"])
    with live_app.app_context():
        sealed = Installation.find(
            db.session, "woocommerce", woo_sandbox.base_url
        ).credentials_sealed
    assert (
        client.post("/auth/woocommerce/callback", json=_keys(token_for_store())).status_code == 502
    )
    with live_app.app_context():
        db.session.remove()
        inst = Installation.find(db.session, "woocommerce", woo_sandbox.base_url)
        assert inst.credentials_sealed == sealed and _count(Installation) == 1
    # And the landing page, whatever it is told, opens nothing: it only says where to open
    # StockGuard (the store's own admin). Its install token passed through a browser.
    landing = client.get(
        "/auth/woocommerce/installed",
        query_string={"success": "1", "user_id": token_for_store(), "next": "https://evil.example"},
    )
    page = landing.get_data(as_text=True)
    assert landing.status_code == 200 and "Location" not in landing.headers
    assert "launch=" not in page and "stockguard-token" not in page and "evil.example" not in page
