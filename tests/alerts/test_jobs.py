"""The sweep as the app runs it: every 5 minutes in both schedulers (in-process and ``rq cron``),
one job per pool, and after each forecast refresh (the cheap hook)."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import func, select

from models import Alert, AlertDelivery
from sync import alerts
from sync.forecast import forecast_pool
from sync.scheduler import PERIODIC
from tests.alerts.conftest import add_sku, make_store

ROOT = Path(__file__).resolve().parents[2]


def test_the_sweep_is_in_both_schedules_every_five_minutes():
    assert ("sync.alerts", "sweep_all", 300) in PERIODIC
    tree = ast.parse((ROOT / "sync/cron.py").read_text("utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "register"
    ]
    ours = [c for c in calls if isinstance(c.args[0], ast.Name) and c.args[0].id == "sweep_alerts"]
    assert len(ours) == 1
    interval = next(k.value for k in ours[0].keywords if k.arg == "interval")
    assert eval(compile(ast.Expression(interval), "cron", "eval")) == 300  # noqa: S307


def test_sweep_all_runs_one_job_per_pool(app, db_session, store):
    add_sku(db_session, store, "LOW", 1)
    other = make_store(db_session, "other.myshopify.com")
    add_sku(db_session, other, "ALSO", 0)
    db_session.commit()

    assert alerts.sweep_all() == 2
    assert app.extensions["jobs"].wait_idle(10)
    db_session.expire_all()
    pools = db_session.execute(
        select(Alert.pool_id, func.count(Alert.id)).group_by(Alert.pool_id)
    ).all()
    assert sorted(pools) == [(store.pool_id, 1), (other.pool_id, 1)]


def test_a_forecast_refresh_sweeps_its_pool(app, db_session, store):
    add_sku(db_session, store, "LOW", 2)
    db_session.commit()
    assert db_session.scalar(select(func.count(Alert.id))) == 0

    forecast_pool(store.pool_id)  # the job, as the queue runs it
    assert app.extensions["jobs"].wait_idle(10)
    db_session.expire_all()
    opened = db_session.scalars(select(Alert)).all()
    assert [(a.sku_id, a.condition) for a in opened] == [(store.skus["LOW"], "below_threshold")]


def test_rq_workers_sweep_and_deliver_once(rq_app, rq_workers, receiver):
    """Real ``python app.py worker`` processes on Redis: two sweeps of the pool queued at once
    (under different job ids, so not coalesced) open the alert once and send it once."""
    from aiosmtpd.controller import Controller
    from redis import Redis
    from rq.job import Job

    from extensions import db
    from sync.queue import jobs
    from tests.alerts.conftest import Mailbox, _free_port, configure
    from tests.conftest import wait_for

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        rq_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
        with rq_app.app_context():
            store = make_store(db.session, "main.myshopify.com")
            add_sku(db.session, store, "LOW", 1)
            db.session.commit()
            configure(
                db.session, store, email_recipients=["owner@example.com"], webhook_url=receiver.url
            )
        rq_workers.start(2)
        with rq_app.app_context():
            jobs.enqueue(alerts.sweep_pool, store.pool_id, job_id="alerts-test-a")
            jobs.enqueue(alerts.sweep_pool, store.pool_id, job_id="alerts-test-b")
        redis = Redis.from_url(rq_app.config["REDIS_URL"])
        wait_for(
            lambda: all(
                Job.fetch(job_id, connection=redis).get_status() == "finished"
                for job_id in ("alerts-test-a", "alerts-test-b")
            ),
            timeout=30,
            message="both sweeps should finish",
        )
        with rq_app.app_context():
            assert db.session.scalar(select(func.count(Alert.id))) == 1
            statuses = db.session.scalars(select(AlertDelivery.status)).all()
        assert statuses == ["sent", "sent"]
        assert box.count() == 1 and receiver.count() == 1
    finally:
        controller.stop()
