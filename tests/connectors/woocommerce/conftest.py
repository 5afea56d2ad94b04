import pytest

from models import Installation


@pytest.fixture
def woo_installation(db_session):
    inst = Installation(
        platform="woocommerce",
        shop_domain="https://shop.example.com",
        name="shop.example.com",
        status="active",
    )
    inst.credentials = {
        "consumer_key": "ck_" + "a" * 40,
        "consumer_secret": "cs_" + "b" * 40,
        "webhook_secret": "test-secret",
    }
    db_session.add(inst)
    db_session.commit()
    return inst
