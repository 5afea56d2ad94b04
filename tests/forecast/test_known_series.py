"""Series with known answers, written through the real ledger, forecast, read back as rows."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Movement, Restock, Supplier
from sync import forecast
from tests.forecast.harness import (
    forecasts,
    history,
    make_pool,
    other,
    sell_bundle,
    set_on_hand,
    today,
)  # fmt: skip

DAYS = 120


def _weekday_units(days_ago: int, weekday_units: list[int]) -> int:
    return weekday_units[(today() - dt.timedelta(days=days_ago)).weekday()]


def test_constant_series(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"TEE": 0})
    history(session, ids["TEE"], [2] * DAYS, inst=inst)
    set_on_hand(session, ids["TEE"], 30)
    assert forecast.refresh(session, pool_id) == 1
    session.commit()
    row = forecasts(session, pool_id)[ids["TEE"]]
    assert row.velocity == pytest.approx(2.0, abs=1e-6)
    assert row.spread == pytest.approx(0.0, abs=1e-6)
    assert row.days_of_cover == pytest.approx(15.0)
    assert row.stockout_on == today() + dt.timedelta(days=15)
    assert row.history_days == 365  # the SKU exists since before the window
    assert row.units_30d == 60
    # Default lead time 14 days, no spread: safety 0, reorder at 28, order 2 × (14 + 7) − 30.
    assert (row.lead_time_days, row.safety_stock, row.reorder_point) == (14.0, 0, 28)
    assert row.order_quantity == 12
    assert row.abc == "A" and row.rank == 1 and row.confirmation_rate == 1.0


def test_supplier_lead_time_and_its_spread_widen_safety_stock(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"TEE": 0}, settings={"service_level": 0.95})
    supplier = Supplier(pool_id=pool_id, name="Late Ltd", lead_time_days=10,
                        lead_time_spread_days=4.0)  # fmt: skip
    session.add(supplier)
    session.flush()
    session.add(Restock(pool_id=pool_id, sku_id=ids["TEE"], supplier_id=supplier.id,
                        quantity=5, expected_on=today() + dt.timedelta(days=3)))  # fmt: skip
    from models import Sku

    session.get(Sku, ids["TEE"]).supplier_id = supplier.id
    session.commit()
    history(session, ids["TEE"], [2] * DAYS, inst=inst)
    set_on_hand(session, ids["TEE"], 30)
    forecast.refresh(session, pool_id)
    session.commit()
    row = forecasts(session, pool_id)[ids["TEE"]]
    # z(95 %) = 1.645; √(10 × 0² + 2² × 4²) = 8 → 13.2 → 14 units of safety.
    assert row.lead_time_days == 10.0
    assert row.safety_stock == 14
    assert row.reorder_point == 2 * 10 + 14
    # Lead time + review (7 days) of demand + safety − available − on order.
    assert row.order_quantity == 2 * 17 + 14 - 30 - 5
    assert row.details["on_order"] == 5


def test_trend_follows_the_recent_level(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"RISING": 0})
    daily = [1 + i // 10 for i in range(DAYS)]  # 1 a day four months ago, 12 a day now
    history(session, ids["RISING"], daily, inst=inst)
    set_on_hand(session, ids["RISING"], 60)
    forecast.refresh(session, pool_id)
    session.commit()
    row = forecasts(session, pool_id)[ids["RISING"]]
    month = sum(daily[-30:]) / 30
    assert row.velocity > month  # ahead of the last month's mean (11.0)
    assert 11.5 <= row.velocity <= 13.5
    assert row.details["slope"] > 0
    assert row.stockout_on == today() + dt.timedelta(days=int(60 / row.velocity))
    assert row.stockout_on <= today() + dt.timedelta(days=5)


def test_weekday_pattern(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"WEEKEND": 0})
    pattern = [1, 1, 1, 1, 1, 6, 6]  # Monday first
    daily = [_weekday_units(DAYS - i, pattern) for i in range(DAYS)]
    history(session, ids["WEEKEND"], daily, inst=inst)
    set_on_hand(session, ids["WEEKEND"], 34)
    forecast.refresh(session, pool_id)
    session.commit()
    row = forecasts(session, pool_id)[ids["WEEKEND"]]
    factors = row.details["weekday"]
    assert factors[5] > 3 * factors[0] and factors[6] > 3 * factors[4]
    assert sum(factors) == pytest.approx(7.0, abs=0.01)
    assert row.velocity == pytest.approx(17 / 7, rel=0.05)
    assert row.stockout_on == today() + dt.timedelta(days=int(34 / row.velocity))
    # The chart's line sells faster on weekends.
    line = forecast.projection(row, 34, 8)
    drops = {
        (day + dt.timedelta()).weekday(): a - b
        for (day, a), (_, b) in zip(line, line[1:], strict=False)
    }
    assert drops[5] > 3 * drops[1]


def test_one_day_spike_does_not_set_the_pace(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"VIRAL": 0, "STEADY": 0})
    daily = [2] * DAYS
    daily[-20] = 60
    history(session, ids["VIRAL"], daily, inst=inst)
    history(session, ids["STEADY"], [2] * DAYS, inst=inst)
    set_on_hand(session, ids["VIRAL"], 40)
    forecast.refresh(session, pool_id)
    session.commit()
    rows = forecasts(session, pool_id)
    viral = rows[ids["VIRAL"]]
    assert viral.velocity == pytest.approx(2.0, abs=0.3)
    assert viral.stockout_on == today() + dt.timedelta(days=int(40 / viral.velocity))
    assert viral.units_30d == 2 * 29 + 60  # the spike still counts as units sold
    # More revenue (units) than its twin: ranked first, both best-sellers.
    assert viral.rank == 1 and rows[ids["STEADY"]].rank == 2


def test_zero_sales(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"DUST": 10, "SELLS": 0})
    other(session, ids["DUST"], Movement.ADJUSTMENT, -3, 10)  # not sales
    other(session, ids["DUST"], Movement.RECONCILE, +2, 5)
    other(session, ids["DUST"], Movement.RECEIPT, +5, 3)
    history(session, ids["SELLS"], [1] * 30, inst=inst)
    forecast.refresh(session, pool_id)
    session.commit()
    row = forecasts(session, pool_id)[ids["DUST"]]
    assert (row.velocity, row.spread, row.units_30d) == (0.0, 0.0, 0)
    assert row.days_of_cover is None and row.stockout_on is None
    assert (row.safety_stock, row.reorder_point, row.order_quantity) == (0, 0, 0)
    assert row.abc == "C" and row.rank == 2


def test_new_product(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"NEW": 0}, created_days_ago=5)
    history(session, ids["NEW"], [4] * 5, inst=inst)
    set_on_hand(session, ids["NEW"], 20)
    forecast.refresh(session, pool_id)
    session.commit()
    row = forecasts(session, pool_id)[ids["NEW"]]
    assert row.history_days == 5 and row.details["new"] is True
    assert row.velocity == pytest.approx(4.0)
    assert row.spread >= 2.0  # few days: at least Poisson's spread (√4)
    assert row.stockout_on == today() + dt.timedelta(days=5)
    assert row.safety_stock > 0


def test_bundle_sales_are_demand_for_components(db_session):
    from sync.bundles import define_bundle

    session = db_session
    pool_id, inst, ids = make_pool(
        session, {"CUP": 100, "SAUCER": 100, "SET": 0}, created_days_ago=30
    )
    define_bundle(session, pool_id, "SET", [("CUP", 2), ("SAUCER", 1)])
    session.commit()
    for days_ago in range(1, 31):
        sell_bundle(session, ids["SET"], 1, days_ago, inst=inst)
    forecast.refresh(session, pool_id)
    session.commit()
    rows = forecasts(session, pool_id)
    assert ids["SET"] not in rows  # a bundle holds no stock: its parts are forecast
    assert rows[ids["CUP"]].units_30d == 60 and rows[ids["SAUCER"]].units_30d == 30
    assert rows[ids["CUP"]].velocity == pytest.approx(2.0, rel=0.05)
