"""Notify me, as shoppers do it: the form in the page, the restock in Shopify, the e-mail through
a real SMTP server, its links opened in the browser, and the unsubscribe button."""

from __future__ import annotations

import re

from tests.browser.conftest import Shopper, StoreShop
from tests.conftest import wait_for
from tests.sync.harness import PUBLIC

SCARF = {
    "scarf": ("Wool Scarf", "Scarves", [("SCARF", 0)]),
    "mitts": ("Wool Mitts", "Gloves", [("MITTS", 0)]),
}


def sign_up(shopper: Shopper, shop: StoreShop, contact: str, locale: str, texts: dict) -> None:
    page = shopper.open(shop.product_url("scarf", locale=locale))
    page.get_by_role("button", name=texts["notify"]).click()
    form = page.locator(".stockguard form")
    form.locator("input[name=contact]").fill(contact)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name=texts["submit"]).click()
    page.get_by_text(texts["thanks"]).wait_for()
    # The form opened on a click: not a layout shift.
    assert shopper.layout_shift() == 0
    assert shopper.errors == []


def scarf_mail(storefront) -> list:
    return [m for m in storefront.mailbox.messages if "Wool Scarf" in m["Subject"]]


def mail_to(storefront, address: str):
    def arrived():
        return [m for m in scarf_mail(storefront) if m["To"] == address]

    return wait_for(arrived, timeout=15, message=f"no e-mail to {address}")[0]


def test_sign_up_in_the_page_restock_e_mail_and_unsubscribe(storefront, shopper, chromium):
    shop = storefront.open("notify-store.myshopify.com", SCARF)
    variant = shop.vid("SCARF")
    fr = {"notify": "Me prévenir", "submit": "Envoyer", "thanks": "Merci, nous vous préviendrons."}
    sign_up(shopper, shop, "ada@example.com", "fr", fr)
    # A second shopper, another browser profile, in English.
    other = Shopper(chromium)
    try:
        en = {"notify": "Notify me", "submit": "Send", "thanks": "Thanks, we will let you know."}
        sign_up(other, shop, "bob@example.com", "en", en)
    finally:
        other.close()
    assert [(s.contact, s.locale, s.status, s.variant_id) for s in shop.subscriptions()] == [
        ("ada@example.com", "fr", "waiting", variant),
        ("bob@example.com", "en", "waiting", variant),
    ]
    # Ada waits for the mitts too (signed up from their page, the same way).
    mitts = shop.client.post(
        "/storefront/v1/notify",
        json={
            "shop": "notify-store.myshopify.com",
            "variant": shop.vid("MITTS"),
            "contact": "ada@example.com",
            "consent": True,
            "locale": "fr",
        },
    )
    assert mitts.status_code == 201

    # The merchant receives one scarf and enters it in Shopify: the first shopper is told.
    shop.set_available("SCARF", 1)
    message = mail_to(storefront, "ada@example.com")
    shop.idle()
    assert message["Subject"] == "De retour en stock : Wool Scarf"
    text = message.get_body(("plain",)).get_content()
    product = re.search(r"https://notify-store\.myshopify\.com/products/\S+", text).group(0)
    unsubscribe = re.search(rf"{re.escape(PUBLIC)}/storefront/v1/unsubscribe/\S+", text).group(0)
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert [m["To"] for m in scarf_mail(storefront)] == ["ada@example.com"]  # 1 unit
    statuses = [(s.contact, s.variant_id, s.status) for s in shop.subscriptions()]
    assert statuses == [
        ("ada@example.com", variant, "sent"),
        ("bob@example.com", variant, "waiting"),
        ("ada@example.com", shop.vid("MITTS"), "waiting"),
    ]

    # Her links, opened in the browser: the product is back.
    page = shopper.open(product)
    assert shopper.lines() == ["Only 1 left"]
    # The link in her notice stops what is still waiting for her at this store: the mitts.
    page.goto(unsubscribe, wait_until="load")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("[data-test=waiting]").text_content() == (
        "Alertes encore en attente pour vous dans cette boutique : 1."
    )
    page.locator("[data-test=unsubscribe]").click()
    page.locator("[data-test=unsubscribed]").wait_for()
    statuses = [(s.contact, s.variant_id, s.status) for s in shop.subscriptions()]
    assert statuses == [
        ("ada@example.com", variant, "sent"),
        ("bob@example.com", variant, "waiting"),
        ("ada@example.com", shop.vid("MITTS"), "unsubscribed"),
    ]
    # Opened again: nothing left to stop.
    page.goto(unsubscribe, wait_until="load")
    assert page.locator("[data-test=unsubscribe]").count() == 0
    assert page.locator("[data-test=ended]").count() == 1

    # Bob's turn on the next restock; the mitts come back and nobody is told (Ada stopped).
    shop.set_available("SCARF", 5)
    mail_to(storefront, "bob@example.com")
    shop.set_available("MITTS", 5)
    shop.idle()
    assert not [m for m in storefront.mailbox.messages if "Wool Mitts" in m["Subject"]]
    assert shopper.errors == []
