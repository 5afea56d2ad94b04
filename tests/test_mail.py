"""What a log line may show of a contact: never a whole address, one or several."""

from sync.mail import mask


def test_one_or_several_addresses_are_masked_each():
    assert mask("ann@example.com") == "a***@example.com"
    assert mask("ann@example.com, bob@example.org") == "a***@example.com, b***@example.org"
    assert mask("+33612345678") == "+33*******78"


def test_a_message_not_sent_is_outlined_without_its_tokens():
    from sync.mail import outline

    text = (
        "See it: https://shop.example/products/blue-tee.\n"
        "Stop: https://app.example/storefront/v1/unsubscribe/MQ.z6S1WHElBDWo6ps2SsP7E0oDK6c\n"
        "Panel: https://app.example:8443/admin/woocommerce?launch=eyJpbnN0YWxs.sig#top\n"
        "Gateway: https://user:pa55word@sms.example/send/4f9a2c"
    )
    assert outline("back_in_stock", text) == (
        f"back_in_stock, {len(text)} characters, links: "
        "https://shop.example/products/blue-tee "
        "https://app.example/storefront/v1/unsubscribe/… "
        "https://app.example:8443/admin/woocommerce?… "
        "https://sms.example/send/…"
    )
