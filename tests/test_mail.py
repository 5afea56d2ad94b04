"""What a log line may show of a contact: never a whole address, one or several."""

from sync.mail import mask


def test_one_or_several_addresses_are_masked_each():
    assert mask("ann@example.com") == "a***@example.com"
    assert mask("ann@example.com, bob@example.org") == "a***@example.com, b***@example.org"
    assert mask("+33612345678") == "+33*******78"
