"""Jobs: real RQ worker processes on real Redis + PostgreSQL, the sweeper, the in-process runner."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from connectors.base import VerifiedWebhook
from models import ActivityEntry, Installation, WebhookDelivery
from sync import inbox
from sync.jobs import sweep_inbox
from tests.conftest import wait_for
from tests.connectors.shopify.helpers import post_webhook
from tests.panel.harness import shopify_launch

SHOP = "jobs.myshopify.com"


def _installation(app):
    from extensions import db

    with app.app_context():
        inst = Installation(platform="shopify", shop_domain=SHOP, status="active")
        inst.credentials = {"access_token": "shpat_" + "j" * 32}
        db.session.add(inst)
        db.session.commit()
        return inst.id


def _status(app, delivery_id):
    from extensions import db

    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        db.session.expire_all()
        return db.session.get(WebhookDelivery, delivery_id).status if row else None


def _uninstalled(app, inst_id):
    from extensions import db

    with app.app_context():
        inst = db.session.get(Installation, inst_id)
        return inst.status == "uninstalled" and inst.credentials_sealed is None


@pytest.mark.redis
@pytest.mark.postgres
def test_real_rq_worker_process_applies_a_webhook(rq_app, rq_workers):
    inst_id = _installation(rq_app)
    rq_workers.start(1)
    resp = post_webhook(
        rq_app.test_client(),
        "app/uninstalled",
        SHOP,
        {"id": 1, "name": "x", "myshopify_domain": SHOP},
    )
    assert resp.status_code == 200
    wait_for(
        lambda: _uninstalled(rq_app, inst_id),
        timeout=20,
        message="worker did not apply app/uninstalled",
    )


@pytest.mark.redis
@pytest.mark.postgres
def test_sweeper_enqueues_deliveries_recorded_while_redis_was_unreachable(rq_app, rq_workers):
    inst_id = _installation(rq_app)
    # Recorded, but the enqueue never happened (Redis lost between record and enqueue).
    with rq_app.app_context():
        delivery_id = inbox.record(
            VerifiedWebhook(
                "shopify", inst_id, "app/uninstalled", "app/uninstalled:lost", b'{"id":1}', {}
            )
        )
    rq_workers.start(1)
    with rq_app.app_context():
        assert sweep_inbox(older_than_seconds=0) == 1
    wait_for(lambda: _status(rq_app, delivery_id) == "processed", timeout=20)
    assert _uninstalled(rq_app, inst_id)


@pytest.mark.redis
@pytest.mark.postgres
def test_webhook_is_acknowledged_and_kept_when_redis_is_down(make_app, postgres_url, db_session):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", RQ_QUEUE="sg-unreachable")
    inst_id = _installation(app)
    resp = post_webhook(
        app.test_client(), "app/uninstalled", SHOP, {"id": 1, "myshopify_domain": SHOP}
    )
    assert resp.status_code == 200  # recorded durably; Shopify must not retry for our outage
    with app.app_context():
        from extensions import db

        row = db.session.scalar(select(WebhookDelivery))
        assert row.status == "pending" and row.installation_id == inst_id


@pytest.mark.redis
@pytest.mark.postgres
def test_two_workers_process_a_burst_exactly_once(rq_app, rq_workers):
    inst_id = _installation(rq_app)
    rq_workers.start(2)
    client = rq_app.test_client()
    for i in range(40):
        body = json.dumps({"id": i, "shop_domain": SHOP, "customer": {"id": 1000 + i}}).encode()
        assert (
            post_webhook(
                client, "customers/data_request", SHOP, body, event_id=f"burst-{i}"
            ).status_code
            == 200
        )

    def done():
        from extensions import db

        with rq_app.app_context():
            rows = db.session.scalars(select(WebhookDelivery)).all()
            return rows if rows and all(r.status == "processed" for r in rows) else None

    rows = wait_for(done, timeout=30)
    assert len(rows) == 40 and all(r.attempts == 1 for r in rows)
    from extensions import db

    with rq_app.app_context():
        entries = db.session.scalars(
            select(ActivityEntry).where(ActivityEntry.installation_id == inst_id)
        ).all()
    assert len(entries) == 40


def test_in_process_runner_retries_a_failing_job_then_succeeds(app, db_session):
    """A job that raises is retried on the configured intervals, recording each failure; once
    the cause is gone, the sweeper's next pass processes it."""
    inst_id = _installation(app)
    # A cause that retries can outlive: the database lost a table the handler writes to. (A
    # payload nobody can use is rejected at once instead: tests/fuzz/test_unusable_payloads.py.)
    db_session.execute(text("ALTER TABLE activity_entry RENAME TO activity_entry_away"))
    db_session.commit()
    try:
        with app.app_context():
            delivery_id = inbox.record(
                VerifiedWebhook(
                    "shopify",
                    inst_id,
                    "customers/data_request",
                    "cdr:1",
                    b'{"customer":{"id":1}}',
                    {},
                )
            )
            from sync.jobs import enqueue_delivery

            enqueue_delivery(delivery_id)
        assert app.extensions["jobs"].wait_idle(5)
        db_session.expire_all()
        row = db_session.get(WebhookDelivery, delivery_id)
        # The first run and the two retries of JOB_RETRY_INTERVALS, each failure recorded;
        # the job's attempts spent, the merchant's status page counts it as failed.
        assert row.status == "failed" and row.attempts == 3
        assert "activity_entry" in row.last_error
    finally:
        db_session.rollback()
        db_session.execute(text("ALTER TABLE activity_entry_away RENAME TO activity_entry"))
        db_session.commit()
    page = app.test_client().get("/admin/shopify?" + shopify_launch(SHOP))
    assert "1 failed" in page.get_data(as_text=True)
    with app.app_context():
        assert sweep_inbox(0) == 1
    assert app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    assert db_session.get(WebhookDelivery, delivery_id).status == "processed"


def test_processing_twice_changes_nothing(app, db_session):
    inst_id = _installation(app)
    with app.app_context():
        delivery_id = inbox.record(
            VerifiedWebhook(
                "shopify",
                inst_id,
                "customers/data_request",
                "cdr:twice",
                b'{"customer":{"id":1}}',
                {},
            )
        )
        assert inbox.process(delivery_id) == "processed"
        assert inbox.process(delivery_id) == "processed"
    entries = db_session.scalars(select(ActivityEntry)).all()
    assert len(entries) == 1


def _record(inst_id, key, body=b'{"customer":{"id":1}}'):
    return inbox.record(
        VerifiedWebhook("shopify", inst_id, "customers/data_request", key, body, {})
    )


def test_long_dedupe_keys_sharing_their_start_stay_apart(app, db_session):
    """The key column holds 255 characters: two longer keys with the same first 255 are two
    deliveries, and each one again is still a duplicate."""
    inst_id = _installation(app)
    first, second = "e" * 300 + ":1", "e" * 300 + ":2"
    with app.app_context():
        a, b = _record(inst_id, first), _record(inst_id, second)
        assert a is not None and b is not None and a != b
        assert _record(inst_id, first) is None and _record(inst_id, second) is None
    keys = db_session.scalars(select(WebhookDelivery.dedupe_key)).all()
    assert len(keys) == 2 and all(len(k) <= 255 and k.startswith("e" * 100) for k in keys)


def test_sweeper_takes_pending_deliveries_before_failed_ones(app, db_session):
    """Deliveries that keep failing go after those never tried, so they can't crowd them out
    of a sweep's batch."""
    inst_id = _installation(app)
    with app.app_context():
        failing = [_record(inst_id, f"failing:{i}") for i in range(3)]
        waiting = [_record(inst_id, f"waiting:{i}") for i in range(2)]
    for delivery_id, attempts in zip(failing, (9, 3, 6), strict=True):
        row = db_session.get(WebhookDelivery, delivery_id)
        row.status, row.attempts = WebhookDelivery.FAILED, attempts
    db_session.commit()
    with app.app_context():
        assert inbox.pending_older_than(-60, limit=2) == waiting
        assert inbox.pending_older_than(-60, limit=4) == [*waiting, failing[1], failing[2]]
