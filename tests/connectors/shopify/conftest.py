import json
from pathlib import Path

import pytest

from models import Installation

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = "teststore.myshopify.com"


def load_fixture(name: str) -> dict:
    """A webhook payload fixture, named after its topic (``orders_create``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def for_shop(payload: dict, shop: str = SHOP) -> dict:
    """A documented sample as Shopify sends it for ``shop``: the samples leave the shop blank
    (``{shop}.myshopify.com``, ``null``) where a delivery names it."""
    named = {k: shop for k in ("shop_domain", "myshopify_domain") if k in payload}
    return {**payload, **named}


@pytest.fixture
def shopify_installation(db_session):
    inst = Installation(platform="shopify", shop_domain=SHOP, name="Test Store", status="active")
    inst.credentials = {"access_token": "shpat_" + "a" * 32}
    db_session.add(inst)
    db_session.commit()
    return inst
