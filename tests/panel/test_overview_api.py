"""``/admin/api/overview``: SKUs at risk, sold out, ads paused by StockGuard, spend avoided, stock
value at cost and the ten at-risk best-sellers — for the proven store's pool only."""

from __future__ import annotations

import pytest

from models import AdAccount, AdAction, AdObject, Forecast
from models.ledger import Movement
from tests.panel.test_products_api import build_catalog
from tests.reports.conftest import add_sku, move


@pytest.fixture
def catalog(app, db_session):
    s = db_session
    main, other = build_catalog(s)
    account = AdAccount(pool_id=main.pool_id, platform="meta", account_ref="act_1", currency="EUR")
    usd = AdAccount(pool_id=main.pool_id, platform="tiktok", account_ref="7001", currency="USD")
    theirs = AdAccount(pool_id=other.pool_id, platform="meta", account_ref="act_9", currency="EUR")
    s.add_all([account, usd, theirs])
    s.flush()
    objects = [
        AdObject(pool_id=main.pool_id, account_id=account.id, level="campaign", ref="c1",
                 name="Red", status="paused", paused_by_us=True),
        AdObject(pool_id=main.pool_id, account_id=usd.id, level="adgroup", ref="g1",
                 name="Green", status="paused", paused_by_us=True),
        # Paused by the merchant: not ours, not counted.
        AdObject(pool_id=main.pool_id, account_id=account.id, level="ad", ref="a1",
                 name="Blue", status="paused", paused_by_us=False),
        AdObject(pool_id=other.pool_id, account_id=theirs.id, level="campaign", ref="c9",
                 name="Theirs", status="paused", paused_by_us=True),
    ]  # fmt: skip
    s.add_all(objects)
    s.flush()

    def action(obj, state, avoided):
        return AdAction(pool_id=obj.pool_id, account_id=obj.account_id, ad_object_id=obj.id,
                        kind=AdAction.PAUSE, state=state, mode="automatic", reason="low stock",
                        spend_avoided=avoided)  # fmt: skip

    s.add_all(
        [
            action(objects[0], AdAction.DONE, 1500),
            action(objects[0], AdAction.DONE, 250),
            action(objects[0], AdAction.PLANNED, 99_999),  # dry run: nothing was saved
            action(objects[1], AdAction.DONE, 700),
            action(objects[3], AdAction.DONE, 88_888),
        ]
    )
    s.commit()
    return main, other


def test_overview_figures(client, catalog):
    main, _ = catalog
    response = client.get("/admin/api/overview", headers=main.auth)
    assert response.status_code == 200
    data = response.get_json()
    assert (data["skus"], data["at_risk"], data["sold_out"]) == (6, 2, 3)
    assert data["ads_paused"] == 2
    assert data["spend_avoided"] == [
        {"currency": "EUR", "amount_minor": 1750, "exponent": 2},
        {"currency": "USD", "amount_minor": 700, "exponent": 2},
    ]
    # On hand × cost: A-RED 10 × 10.00, B-BLUE 50 × 2.00, D-ONE 5 × 1.00, F%OFF 3 × 5.00.
    assert data["stock_value_minor"] == 10 * 1000 + 50 * 200 + 5 * 100 + 3 * 500
    assert (data["currency"], data["exponent"]) == ("EUR", 2)
    top = data["top_at_risk"]
    assert [r["sku"] for r in top] == ["A-RED", "D-ONE"]
    assert top[0]["id"] == main.skus["A-RED"]
    assert top[0]["days_of_cover"] == 5.0 and top[0]["available"] == 10


def test_top_at_risk_is_ten_best_sellers_class_then_rank(client, catalog, db_session):
    main, _ = catalog
    s = db_session
    for n in range(12):  # twelve more at risk: class B, ranks 30..19 (added out of order)
        code = f"RISK-{n:02d}"
        sku_id = add_sku(s, main, code, cost=100)
        move(s, main, code, Movement.INITIAL, 2, 10, f"initial:{code}")
        s.add(Forecast(sku_id=sku_id, pool_id=main.pool_id, days_of_cover=1.0,
                       lead_time_days=7.0, reorder_point=1, abc="B", rank=30 - n))  # fmt: skip
    s.commit()
    data = client.get("/admin/api/overview", headers=main.auth).get_json()
    assert data["at_risk"] == 14
    codes = [r["sku"] for r in data["top_at_risk"]]
    assert len(codes) == 10
    # Class A first (A-RED), then class B by rank (19 = RISK-11 first); class C (D-ONE) cut.
    assert codes == ["A-RED"] + [f"RISK-{n:02d}" for n in range(11, 2, -1)]


def test_overview_of_another_pool_and_without_token(client, catalog):
    main, other = catalog
    data = client.get("/admin/api/overview", headers=other.auth).get_json()
    assert (data["skus"], data["at_risk"], data["sold_out"], data["ads_paused"]) == (1, 0, 0, 1)
    assert data["spend_avoided"] == [{"currency": "EUR", "amount_minor": 88_888, "exponent": 2}]
    assert data["stock_value_minor"] == 1000 * 1
    assert data["currency"] == "USD"
    assert data["top_at_risk"] == []
    assert client.get("/admin/api/overview").status_code == 401


def test_empty_pool_overview(client, db_session):
    from tests.reports.conftest import make_store

    store = make_store(db_session, "empty.myshopify.com", currency=None)
    db_session.commit()
    data = client.get("/admin/api/overview", headers=store.auth).get_json()
    assert data["skus"] == data["at_risk"] == data["sold_out"] == data["ads_paused"] == 0
    assert data["spend_avoided"] == [] and data["top_at_risk"] == []
    assert data["stock_value_minor"] == 0 and data["currency"] is None
