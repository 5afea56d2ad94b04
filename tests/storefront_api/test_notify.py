"""Notify-me: sign-ups (checked, deduplicated, rate limited), notices on restock sent through a
real SMTP server in sign-up order and only as many as the units restocked, unsubscribe links,
and customers/redact."""

from __future__ import annotations

import json
import logging
import re

from sqlalchemy import func, select

from extensions import db
from models import JobRun, NotifySubscription
from tests.conftest import wait_for
from tests.storefront_api.conftest import ORIGIN, SHOP


def sign_up(shop, contact, sku="TEE-L", **extra):
    body = {"shop": SHOP, "variant": shop.vid(sku), "contact": contact, "consent": True, **extra}
    return shop.client.post("/storefront/v1/notify", json=body, headers={"Origin": ORIGIN})


def subscriptions(shop) -> list[NotifySubscription]:
    with shop.app.app_context():
        db.session.remove()
        rows = db.session.scalars(select(NotifySubscription).order_by(NotifySubscription.id)).all()
        db.session.expunge_all()
        return rows


def test_sign_up_is_recorded_once(shop):
    first = sign_up(shop, "  Ada@Example.COM ", locale="fr")
    assert first.status_code == 201 and first.get_json() == {"status": "subscribed"}
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    again = sign_up(shop, "ada@example.com")
    assert again.status_code == 200 and again.get_json() == {"status": "already_subscribed"}
    phone = sign_up(shop, "+33 6 12 34 56 78")
    assert phone.status_code == 201
    rows = subscriptions(shop)
    assert [(r.contact, r.channel, r.locale, r.status) for r in rows] == [
        ("ada@example.com", "email", "fr", "waiting"),
        ("+33612345678", "sms", "en", "waiting"),
    ]


def test_bad_sign_ups_are_refused_and_leave_nothing(shop):
    shop.app.config["NOTIFY_RATE_LIMIT"] = 0  # the flood case is its own test
    cases = [
        ({"contact": "not-an-email"}, 400, "contact"),
        ({"contact": "<script>alert(1)</script>@x.com"}, 400, "contact"),
        ({"contact": "+1"}, 400, "contact"),
        ({"contact": ""}, 400, "contact"),
        ({"contact": "a@example.com", "consent": False}, 400, "consent"),
        ({"contact": "a@example.com", "consent": "yes"}, 400, "consent"),
        ({"contact": "a@example.com", "variant": "1 OR 1=1"}, 400, "variant"),
        ({"contact": "a@example.com", "variant": "424242"}, 404, "variant"),
        ({"contact": "a@example.com", "shop": "nope.myshopify.com"}, 404, "shop"),
    ]
    for changes, status, field in cases:
        body = {"shop": SHOP, "variant": shop.vid("TEE-L"), "consent": True, **changes}
        response = shop.client.post("/storefront/v1/notify", json=body)
        assert response.status_code == status, (changes, response.get_json())
        assert response.get_json()["field"] == field
    assert shop.client.post("/storefront/v1/notify", data="[1,2]").status_code == 400
    huge = json.dumps({"shop": SHOP, "contact": "a@example.com", "pad": "x" * 10_000})
    assert (
        shop.client.post(
            "/storefront/v1/notify", data=huge, content_type="application/json"
        ).status_code
        == 413
    )
    assert subscriptions(shop) == []


def test_a_flood_of_sign_ups_from_one_client_is_stopped(shop):
    shop.app.config["NOTIFY_RATE_LIMIT"] = 3
    codes = [sign_up(shop, f"shopper{i}@example.com").status_code for i in range(6)]
    assert codes == [201, 201, 201, 429, 429, 429]
    assert len(subscriptions(shop)) == 3


def test_preflight_only_for_the_stores_origins(shop):
    own = shop.client.options(
        f"/storefront/v1/notify?shop={SHOP}",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert own.status_code == 204
    assert own.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert own.headers["Access-Control-Allow-Headers"] == "Content-Type"
    evil = shop.client.options("/storefront/v1/notify", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_restock_notifies_in_sign_up_order_only_as_many_as_units(shop, smtp):
    for name in ("first", "second", "third"):
        assert sign_up(shop, f"{name}@example.com").status_code == 201
    shop.set_available("TEE-L", 2)  # the merchant receives 2 units, entered in Shopify
    messages = smtp.wait(2)
    shop.idle()
    assert [m["To"] for m in messages] == ["first@example.com", "second@example.com"]
    message = messages[0]
    assert message["Subject"] == "Back in stock: Linen Tee"
    text = message.get_body(("plain",)).get_content()
    assert f"https://{SHOP}/products/" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    statuses = [(s.contact, s.status) for s in subscriptions(shop)]
    assert statuses == [
        ("first@example.com", "sent"),
        ("second@example.com", "sent"),
        ("third@example.com", "waiting"),
    ]
    with shop.app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.kind == "notify"))
        assert (run.status, run.done, run.details["sent"], run.details["budget"]) == (
            "done",
            2,
            2,
            2,
        )
    # The merchant sees the progress and results.
    overview = shop.admin("get", "/notify").get_json()
    assert overview["counts"] == {"sent": 2, "waiting": 1}
    assert overview["runs"][0]["done"] == 2
    # Two more units: the third shopper, and nobody twice.
    shop.set_available("TEE-L", 4)
    messages = smtp.wait(3)
    assert [m["To"] for m in messages][2:] == ["third@example.com"]


def test_the_unsubscribe_link_works_and_a_forged_one_does_not(shop, smtp):
    shop.app.config["NOTIFY_RATE_LIMIT"] = 0
    assert sign_up(shop, "leaving@example.com", locale="ar").status_code == 201
    assert sign_up(shop, "staying@example.com").status_code == 201
    shop.set_available("TEE-L", 1)
    [message] = smtp.wait(1)
    assert message["To"] == "leaving@example.com"
    link = re.search(
        r"https://\S+/storefront/v1/unsubscribe/\S+", message.get_body(("plain",)).get_content()
    ).group(0)
    path = link.split("stockguard.example", 1)[1]
    page = shop.client.get(path)
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)
    # Already sent: nothing left to stop — a waiting sign-up can be stopped.
    assert sign_up(shop, "leaving@example.com", sku="CAP").status_code == 201
    [cap] = [s for s in subscriptions(shop) if s.variant_id == shop.vid("CAP")]
    from sync.notify import unsubscribe_token

    with shop.app.app_context():
        token = unsubscribe_token(db.session.get(NotifySubscription, cap.id))
    confirm = shop.client.get(f"/storefront/v1/unsubscribe/{token}")
    assert 'data-test="unsubscribe"' in confirm.get_data(as_text=True)
    done = shop.client.post(f"/storefront/v1/unsubscribe/{token}")
    assert 'data-test="unsubscribed"' in done.get_data(as_text=True)
    assert [s.status for s in subscriptions(shop) if s.id == cap.id] == ["unsubscribed"]
    assert shop.client.get("/storefront/v1/unsubscribe/" + token[:-3] + "abc").status_code == 404
    assert shop.client.post("/storefront/v1/unsubscribe/" + "x" * 300).status_code == 404


def test_customers_redact_deletes_the_customers_sign_ups(shop):
    assert sign_up(shop, "gone@example.com").status_code == 201
    assert sign_up(shop, "kept@example.com").status_code == 201
    body = json.dumps(
        {
            "shop_id": 1,
            "shop_domain": SHOP,
            "customer": {"id": 7, "email": "gone@example.com", "phone": None},
            "orders_to_redact": [],
        }
    ).encode()
    url = f"{shop.app.config['APP_URL']}/webhooks/shopify"
    delivery = shop.sandbox.send_signed(url, "customers/redact", SHOP, body)
    assert delivery.status_code == 200, delivery.response_body
    shop.idle()
    with shop.app.app_context():
        contacts = db.session.scalars(select(NotifySubscription.contact)).all()
        assert contacts == ["kept@example.com"]
        assert db.session.scalar(select(func.count()).select_from(NotifySubscription)) == 1


EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_a_hostile_product_title_is_only_ever_text(served_app, shopify_sandbox, smtp):
    from tests.storefront_api.conftest import open_shop

    shop = open_shop(served_app, shopify_sandbox, catalog={"evil": (EVIL, "Evil", [("EVIL-1", 0)])})
    assert sign_up(shop, "reader@example.com", sku="EVIL-1").status_code == 201
    shop.set_available("EVIL-1", 3)
    [message] = smtp.wait(1)
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    text = message.get_body(("plain",)).get_content()
    assert EVIL in text  # plain text is not markup: shown as typed
    # The unsubscribe page names the product as text too.
    [signup] = subscriptions(shop)
    from sync.notify import unsubscribe_token

    with shop.app.app_context():
        token = unsubscribe_token(db.session.get(NotifySubscription, signup.id))
    page = shop.client.get(f"/storefront/v1/unsubscribe/{token}").get_data(as_text=True)
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" in page


def test_the_same_sign_up_twice_at_once_is_stored_once(shop):
    import threading

    shop.app.config["NOTIFY_RATE_LIMIT"] = 0
    start, codes = threading.Barrier(4), []

    def twin() -> None:
        start.wait()
        codes.append(sign_up(shop, "twin@example.com").status_code)

    threads = [threading.Thread(target=twin) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(codes) == [200, 200, 200, 201]
    assert [s.contact for s in subscriptions(shop)] == ["twin@example.com"]


def test_notices_not_sent_for_want_of_smtp_or_sms_log_neither_body_nor_token(shop, caplog):
    """Without SMTP_URL and SMS_URL (one machine, development) a notice is only logged: to whom
    (masked), which message, its links with their tokens masked. Never its body, never the
    shopper's unsubscribe link (tests/secret_logs.py checks every test's logs for those too)."""
    from sync.notify import unsubscribe_token

    caplog.set_level(logging.INFO)
    assert shop.app.config["SMTP_URL"] is None and shop.app.config["SMS_URL"] is None
    assert sign_up(shop, "mail.shopper@example.com").status_code == 201
    assert sign_up(shop, "+33 6 12 34 56 78").status_code == 201
    shop.set_available("TEE-L", 2)
    wait_for(lambda: all(s.status == "sent" for s in subscriptions(shop)), timeout=15)
    shop.idle()
    with shop.app.app_context():
        tokens = [
            unsubscribe_token(db.session.get(NotifySubscription, s.id)) for s in subscriptions(shop)
        ]
    lines = [r.getMessage() for r in caplog.records if r.name == "sync.mail"]
    unsubscribe = r"https://\S+/storefront/v1/unsubscribe/…"
    product = rf"https://{re.escape(SHOP)}/products/[a-z-]+"
    assert len(lines) == 2, lines
    assert re.fullmatch(
        rf"e-mail to m\*\*\*@example\.com not sent \(SMTP_URL unset\): back_in_stock, "
        rf"\d+ characters, links: {product} {unsubscribe}",
        lines[0],
    ), lines[0]
    assert re.fullmatch(
        rf"text message to \+33\*+78 not sent \(SMS_URL unset\): back_in_stock_sms, "
        rf"\d+ characters, links: {product} {unsubscribe}",
        lines[1],
    ), lines[1]
    logged = caplog.text
    assert not [t for t in tokens if t in logged]
    assert "Linen Tee" not in "\n".join(lines)  # the body (and its subject) stay out
