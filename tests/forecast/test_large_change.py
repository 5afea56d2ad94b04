""" "Runs nightly and after large changes": an order that takes a large share of a SKU's stock,
arriving through the real inbound path (Shopify sandbox → webhook → inbox → ledger), leaves a
fresh Forecast row for that SKU; a small order leaves its SKU's row as the nightly run wrote it.
And the coalesced job finds every SKU with a large sale still waiting, not just the first."""

from __future__ import annotations

from sqlalchemy import select

from models import Forecast, Movement, Sku
from sandbox.common import ServerThread
from sync import forecast, ledger
from tests.conftest import wait_for
from tests.forecast.harness import forecasts, make_pool
from tests.sync.harness import PUBLIC, SHOP, connect


def _rows(app, pool_id) -> dict[str, Forecast]:
    from extensions import db

    with app.app_context():
        session = db.session
        session.remove()
        found = forecasts(session, pool_id)
        names = dict(session.execute(select(Sku.id, Sku.sku).where(Sku.pool_id == pool_id)).all())
        session.expunge_all()
        return {names[sku_id]: row for sku_id, row in found.items()}


def test_a_large_order_through_the_webhook_refreshes_that_skus_forecast(
    live_app, shopify_sandbox, woo_sandbox
):
    """One machine: in-process jobs."""
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    _large_order_refreshes(live_app, shopify_sandbox, woo_sandbox, loopback)


def test_with_rq_workers_the_refresh_job_runs_in_a_worker(
    rq_app, rq_workers, pki, shopify_sandbox, woo_sandbox
):
    """At scale: the webhook's job and the refresh job go through Redis to two real workers."""
    server = ServerThread(rq_app, ssl_context=pki.server_context()).start()
    rq_app.config["APP_URL"] = PUBLIC
    rq_workers.start(2)
    try:
        _large_order_refreshes(rq_app, shopify_sandbox, woo_sandbox, server.url)
    finally:
        server.stop()


def _large_order_refreshes(app, shopify_sandbox, woo_sandbox, loopback):
    from extensions import db

    stores = connect(
        app, shopify_sandbox, woo_sandbox, {"CUP": (10, 10), "MUG": (50, 50)},
        loopback=loopback,
    )  # fmt: skip
    stores.converge({"CUP": 10, "MUG": 50})
    with app.app_context():
        forecast.refresh(db.session, stores.pool_id)  # the nightly run
        db.session.commit()
    nightly = _rows(app, stores.pool_id)
    assert nightly["CUP"].details["available"] == 10.0
    assert nightly["MUG"].details["available"] == 50.0

    # 1 of 50 is small (2 % of the stock, and 1 unit today is no spike): no refresh.
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["MUG"]["id"], "quantity": 1}]
    )
    stores.converge({"CUP": 10, "MUG": 49})
    assert _rows(app, stores.pool_id)["MUG"].computed_at == nightly["MUG"].computed_at

    # 4 of 10 is 40 % of the stock: large. The refresh job runs after the order's commit.
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["CUP"]["id"], "quantity": 4}]
    )
    stores.converge({"CUP": 6, "MUG": 49})

    def refreshed():
        return _rows(app, stores.pool_id)["CUP"].computed_at > nightly["CUP"].computed_at

    wait_for(refreshed, timeout=20, message="the large order did not refresh CUP's forecast")
    after = _rows(app, stores.pool_id)
    assert after["CUP"].details["available"] == 6.0  # the stock after the order
    # Only that SKU was recomputed; the partial run keeps the nightly ABC class and rank.
    assert (after["CUP"].abc, after["CUP"].rank) == (nightly["CUP"].abc, nightly["CUP"].rank)
    assert after["MUG"].computed_at == nightly["MUG"].computed_at
    assert after["MUG"].details["available"] == 50.0


def _sale(session, sku_id, units, ref):
    skus = ledger.lock_skus(session, [sku_id])
    assert ledger.record(session, skus[sku_id], Movement.SALE, -units, ref, order_ref=ref)
    session.commit()


def test_one_job_refreshes_every_sku_whose_large_sale_is_waiting(db_session):
    session = db_session
    pool_id, _inst, ids = make_pool(session, {"A": 10, "B": 10, "C": 100})
    forecast.refresh(session, pool_id)
    session.commit()
    nightly = forecasts(session, pool_id)

    # Two large sales (their requests would coalesce into one queued job), one small sale.
    _sale(session, ids["A"], 5, "t:a")
    _sale(session, ids["B"], 3, "t:b")
    _sale(session, ids["C"], 1, "t:c")
    assert forecast.large_changes(session, pool_id) == sorted([ids["A"], ids["B"]])

    assert forecast.forecast_changed(pool_id) == 2
    after = forecasts(session, pool_id)
    for name, left in (("A", 5.0), ("B", 7.0)):
        assert after[ids[name]].computed_at > nightly[ids[name]].computed_at
        assert after[ids[name]].details["available"] == left
    assert after[ids["C"]].computed_at == nightly[ids["C"]].computed_at

    # Settled: the refreshed forecasts stand on those sales, so the job finds nothing more.
    assert forecast.large_changes(session, pool_id) == []
    assert forecast.forecast_changed(pool_id) == 0

    # A day's sales reaching 3 × the velocity is large too, even in small orders.
    for i in range(3):
        _sale(session, ids["C"], 1, f"t:c{i}")
    assert forecast.large_changes(session, pool_id) == [ids["C"]]


def test_bad_pool_or_no_sales_request_nothing(db_session):
    session = db_session
    pool_id, _inst, ids = make_pool(session, {"A": 10})
    assert forecast.large_changes(session, pool_id + 1000) == []
    assert forecast.large_changes(session, pool_id) == []
    forecast.refresh_if_large(session, [])
    forecast.refresh_if_large(session, [ids["A"]])
    assert not session.info.get("after_commit")
    assert not session.scalars(select(Forecast).where(Forecast.pool_id == pool_id)).all()
