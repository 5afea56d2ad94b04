"""Confirmation rates per channel, bad settings, the chart's history and projection, the
nightly job, and the pure maths."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from models import Forecast, StockPool, Supplier
from sync import forecast
from sync.forecast import model
from tests.forecast.harness import (
    add_channel,
    cancel,
    forecasts,
    history,
    make_pool,
    sell,
    set_on_hand,
    today,
)  # fmt: skip


def test_cash_on_delivery_refusals_lower_the_confirmation_rate(db_session):
    session = db_session
    pool_id, shop, ids = make_pool(session, {"TEE": 0, "MUG": 0})
    woo = add_channel(session, pool_id, "https://cod.example")
    for n in range(10):  # 10 orders on the COD store, 3 refused at the door
        order = sell(session, ids["TEE"], 1, 20 - n, inst=woo)
        if n < 3:
            cancel(session, ids["TEE"], 1, 18 - n, inst=woo, order=order)
    for n in range(10):  # the other store's orders all go through
        sell(session, ids["MUG"], 1, 20 - n, inst=shop)
    set_on_hand(session, ids["TEE"], 50)
    sell(session, ids["TEE"], 10, 0, inst=woo, committed=True)  # an open order, reserved
    forecast.refresh(session, pool_id)
    session.commit()
    rows = forecasts(session, pool_id)
    tee, mug = rows[ids["TEE"]], rows[ids["MUG"]]
    assert tee.confirmation_rate == pytest.approx(0.7)
    assert mug.confirmation_rate == pytest.approx(1.0)
    # Of the 10 units the open order holds, 7 are expected to leave.
    assert tee.details["available"] == pytest.approx(50 - 7)
    # Refused units are negative sales: 10 sold − 3 back = 7 net over the window (plus today's
    # reservation, which is not yesterday's history).
    assert tee.units_30d == 7


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"service_level": 1.5}, "service_level"),
        ({"service_level": "high"}, "service_level"),
        ({"lead_time_days": -3}, "lead_time_days"),
        ({"lead_time_spread_days": 400}, "lead_time_spread_days"),
        ({"review_days": True}, "review_days"),
        ({"forecast_window_days": 7}, "forecast_window_days"),
    ],
)
def test_bad_settings_are_named_and_leave_the_rows(db_session, settings, named):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"TEE": 0})
    history(session, ids["TEE"], [2] * 30, inst=inst)
    forecast.refresh(session, pool_id)
    session.commit()
    before = forecasts(session, pool_id)[ids["TEE"]].computed_at
    pool = session.get(StockPool, pool_id)
    pool.settings = settings
    session.commit()
    with pytest.raises(forecast.ForecastError, match=named):
        forecast.refresh(session, pool_id)
    session.rollback()
    assert forecasts(session, pool_id)[ids["TEE"]].computed_at == before


def test_negative_supplier_lead_time_is_refused(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"TEE": 0})
    session.add(Supplier(pool_id=pool_id, name="Broken", lead_time_days=-2))
    session.commit()
    with pytest.raises(forecast.ForecastError, match="Broken.*lead_time_days"):
        forecast.refresh(session, pool_id)
    session.rollback()
    assert session.scalars(select(Forecast)).all() == []


def test_history_walks_on_hand_back_through_the_ledger(db_session):
    session = db_session
    pool_id, inst, ids = make_pool(session, {"TEE": 20})
    sell(session, ids["TEE"], 3, 2, inst=inst)
    sell(session, ids["TEE"], 5, 1, inst=inst)
    days = forecast.history(session, ids["TEE"], 4)
    t = today()
    assert days == [
        (t - dt.timedelta(days=3), 20, 0),
        (t - dt.timedelta(days=2), 17, 3),
        (t - dt.timedelta(days=1), 12, 5),
        (t, 12, 0),
    ]
    with pytest.raises(ValueError, match="days"):
        forecast.history(session, ids["TEE"], 0)


def test_projection_and_bad_days():
    row = Forecast(
        velocity=2.0,
        computed_at=dt.datetime.now(dt.UTC),
        details={"level": 2.0, "slope": 0.0, "weekday": [1.0] * 7,
                 "history_until": (today() - dt.timedelta(days=1)).isoformat()},
    )  # fmt: skip
    line = forecast.projection(row, 10, 7)
    assert [v for _, v in line] == [10, 8, 6, 4, 2, 0, 0]
    assert line[0][0] == today()
    with pytest.raises(ValueError, match="days"):
        forecast.projection(row, 10, -1)


def test_nightly_job_forecasts_every_pool(app):
    from extensions import db

    with app.app_context():
        session = db.session
        first, inst_a, a = make_pool(session, {"TEE": 10})
        second, inst_b, b = make_pool(session, {"MUG": 10})
        history(session, a["TEE"], [1] * 10, inst=inst_a)
        history(session, b["MUG"], [2] * 10, inst=inst_b)
        assert forecast.forecast_all() == 2
    assert app.extensions["jobs"].wait_idle(20)
    with app.app_context():
        session = db.session
        assert forecasts(session, first)[a["TEE"]].velocity > 0
        assert forecasts(session, second)[b["MUG"]].velocity > 0


def test_is_large_change():
    assert forecast.is_large_change(10, 2, 0.1, 2)  # 20 % of the stock in one sale
    assert not forecast.is_large_change(100, 2, 5.0, 4)
    assert forecast.is_large_change(100, 2, 5.0, 15)  # 3 × velocity today
    assert not forecast.is_large_change(100, 0, 5.0, 40)


def test_z_score_and_plan_maths():
    assert model.z_score(0.95) == pytest.approx(1.6449, abs=1e-4)
    for bad in (0.2, 1.0, 1.5):
        with pytest.raises(ValueError, match="service level"):
            model.z_score(bad)
    plan = model.plan(
        velocity=np.array([2.0, 0.0]), spread=np.array([1.0, 0.0]),
        available=np.array([10.0, 5.0]), lead_time=np.array([9.0, 9.0]),
        lead_time_spread=np.array([0.0, 0.0]), on_order=np.array([0.0, 0.0]),
        z=2.0, review_days=7,
    )  # fmt: skip
    # safety = 2 × √(9 × 1²) = 6; reorder = 18 + 6; order = 2 × 16 + 6 − 10.
    assert plan.safety_stock.tolist() == [6, 0]
    assert plan.reorder_point.tolist() == [24, 0]
    assert plan.order_quantity.tolist() == [28, 0]
    assert plan.days_of_cover[0] == 5.0 and np.isnan(plan.days_of_cover[1])


def test_abc_classes():
    classes, rank = model.abc(np.array([10.0, 700.0, 150.0, 0.0, 140.0]))
    # 700 (70 %) → A; 150 starts at 70 % → A; 140 starts at 85 % → B; 10 at 99 % → C.
    assert classes.tolist() == ["C", "A", "A", "C", "B"]
    assert rank.tolist() == [4, 1, 2, 5, 3]


def test_demand_maths_on_known_series():
    days = 140
    t = np.arange(days)
    sales = np.vstack([
        np.full(days, 3.0),  # constant
        np.zeros(days),  # never sold
        np.where(t >= days - 3, 5.0, 0.0),  # new: three days of history
    ])  # fmt: skip
    d = model.demand(sales, np.array([0, 0, days - 3]), first_weekday=0)
    assert d.velocity.tolist() == pytest.approx([3.0, 0.0, 5.0])
    assert d.spread[:2].tolist() == pytest.approx([0.0, 0.0])
    assert d.new.tolist() == [False, False, True]
    assert d.history_days.tolist() == [140, 140, 3]
