"""The ads policy's days of cover come from the SKU's forecast while it is fresh (< 48 h), and
from the last 14 days of the ledger otherwise: a Meta ad set linked to a SKU, a policy that
pauses under 7 days of cover, and a sales history written through the real ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from models import AdAction, Forecast, Movement, utcnow
from tests.ads.harness import ad_object, build_campaigns, done_actions, rows
from tests.forecast.harness import sell, set_on_hand

URL = "https://ads-store.myshopify.com/products/winter-tee"


def _world(shop, ad_sandboxes):
    """TEE sold 20 a day from 100 to 15 days ago, none since (it ran out; 6 are back now)."""
    from extensions import db

    panel, skus = shop
    tee = skus["TEE"]
    with panel.app.app_context():
        session = db.session
        set_on_hand(session, tee, 2000)
        for days_ago in range(100, 14, -1):
            sell(session, tee, 20, days_ago)
        set_on_hand(session, tee, 6)
    sb = ad_sandboxes["meta"]
    ref = build_campaigns({"meta": sb}, URL)["meta"]["ad_set"]
    panel.connect("meta", sb)
    panel.link(ref, tee)
    panel.go_live("meta", "automatic")
    panel.policy(pause_at=2, resume_at=5, cover_days=7, min_pause_minutes=0)
    panel.app.extensions["jobs"].wait_idle(10)
    return panel, tee, sb, ref


def _forecast(app, pool_sku: int, computed_at: dt.datetime | None = None) -> Forecast:
    """Run the real forecast for the SKU's pool (optionally dating the row back)."""
    from extensions import db
    from models import Sku
    from sync import forecast

    with app.app_context():
        session = db.session
        pool_id = session.get(Sku, pool_sku).pool_id
        forecast.refresh(session, pool_id)
        if computed_at is not None:
            session.execute(
                update(Forecast).where(Forecast.sku_id == pool_sku).values(computed_at=computed_at)
            )
        session.commit()
        row = session.get(Forecast, pool_sku)
        session.expunge(row)
    return row


def _evaluate(app, sku_id: int) -> None:
    from extensions import db
    from models import Sku
    from sync.ads.decide import enqueue_evaluation

    with app.app_context():
        enqueue_evaluation(db.session.get(Sku, sku_id).pool_id)
    app.extensions["jobs"].wait_idle(15)


def _ledger_sales_last_14_days(app, sku_id) -> int:
    since = utcnow() - dt.timedelta(days=14)
    moved = rows(app, Movement, Movement.sku_id == sku_id, Movement.kind == Movement.SALE,
                 Movement.created_at >= since)  # fmt: skip
    return len(moved)


def test_a_fresh_forecast_gives_the_days_of_cover_the_policy_pauses_on(shop, ad_sandboxes):
    panel, tee, sb, ref = _world(shop, ad_sandboxes)
    # The ledger's 14 days show no sales: without the forecast there is no cover to speak of,
    # and 6 units are above the pause level, so nothing was paused.
    assert _ledger_sales_last_14_days(panel.app, tee) == 0
    assert not done_actions(panel.app, ref) and sb.is_active(ref)

    row = _forecast(panel.app, tee)
    assert 0.5 < row.velocity < 3  # it still expects sales (weighted history, the trend down)
    cover = round(6 / row.velocity, 1)
    assert cover < 7 and row.days_of_cover == round(6 / row.velocity, 2)
    _evaluate(panel.app, tee)

    [pause] = done_actions(panel.app, ref)
    assert (pause.kind, pause.status_after) == ("pause", "paused")
    assert not sb.is_active(ref)
    assert pause.stock[0]["available"] == 6
    assert pause.stock[0]["days_of_cover"] == cover  # the forecast's cover, not the ledger's


def test_a_stale_forecast_is_not_used_and_the_ledger_decides(shop, ad_sandboxes):
    panel, tee, sb, ref = _world(shop, ad_sandboxes)
    row = _forecast(panel.app, tee, computed_at=utcnow() - dt.timedelta(hours=49))
    assert row.days_of_cover is not None and row.days_of_cover < 7  # it would pause
    _evaluate(panel.app, tee)
    assert not done_actions(panel.app, ref)
    assert sb.is_active(ref)
    obj = ad_object(panel.app, ref)
    assert not rows(panel.app, AdAction, AdAction.ad_object_id == obj.id)

    # The same forecast, fresh again: the pause follows.
    _forecast(panel.app, tee)
    _evaluate(panel.app, tee)
    [pause] = done_actions(panel.app, ref)
    assert pause.kind == "pause" and not sb.is_active(ref)
