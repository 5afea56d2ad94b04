"""Two sweeps racing on PostgreSQL open one alert per SKU and condition, and send it once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Alert, AlertDelivery, utcnow
from sync import alerts
from sync.alerts.sweep import open_and_clear
from tests.alerts.conftest import add_sku, wait_until


@pytest.fixture
def pg(postgres_url):
    return postgres_url


def _in_thread(app, fn, results, errors):
    def run():
        try:
            with app.app_context():
                results.append(fn(db.session))
        except Exception as e:  # noqa: BLE001 - reported by the test below
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_sweep_that_read_before_the_other_committed_opens_nothing(
    pg, app, db_session, store, channels
):
    mailbox, receiver = channels
    add_sku(db_session, store, "LOW", 1)
    add_sku(db_session, store, "ZERO", 0)
    db_session.commit()
    settings = alerts.load(db_session, store.pool_id)

    # Sweep A has opened the alerts but not committed yet...
    first = open_and_clear(db_session, store.pool_id, settings, utcnow())
    assert first["opened"] == 2
    # ...when sweep B (another connection) reads no open alert and tries to open the same two:
    # its inserts wait on A's rows in the partial unique index.
    results, errors = [], []
    thread = _in_thread(app, lambda s: alerts.sweep(s, store.pool_id), results, errors)
    assert not wait_until(lambda: results or errors, timeout=1.0), "B should be waiting on A"
    db_session.commit()
    thread.join(15)
    assert not errors, errors
    assert results[0]["opened"] == 0  # DO NOTHING: A's alerts, A's deliveries

    assert db_session.scalar(select(func.count(Alert.id))) == 2
    assert db_session.scalar(select(func.count(AlertDelivery.id))) == 4
    # B delivered A's pending deliveries, each once.
    assert results[0]["sent"] == 4
    assert alerts.sweep(db_session, store.pool_id)["sent"] == 0
    assert mailbox.count() == 2 and receiver.count() == 2


def test_four_concurrent_sweeps_open_and_send_each_alert_once(pg, app, db_session, store, channels):
    mailbox, receiver = channels
    for code in ("A", "B", "C"):
        add_sku(db_session, store, code, 1)
    db_session.commit()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sweep(session):
        barrier.wait(10)
        return alerts.sweep(session, store.pool_id)

    threads = [_in_thread(app, sweep, results, errors) for _ in range(4)]
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sum(r["opened"] for r in results) == 3
    assert sum(r["sent"] for r in results) == 6
    assert db_session.scalar(select(func.count(Alert.id))) == 3
    assert db_session.scalar(select(func.count(AlertDelivery.id))) == 6
    assert mailbox.count() == 3 and receiver.count() == 3


def test_the_database_refuses_a_second_open_alert(pg, db_session, store):
    sku_id = add_sku(db_session, store, "LOW", 1)
    db_session.add(Alert(pool_id=store.pool_id, sku_id=sku_id, condition="below_threshold"))
    db_session.commit()
    db_session.add(Alert(pool_id=store.pool_id, sku_id=sku_id, condition="below_threshold"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    # A cleared one does not count: the SKU can be in alert again later.
    first = db_session.scalar(select(Alert))
    first.cleared_at = utcnow()
    db_session.add(Alert(pool_id=store.pool_id, sku_id=sku_id, condition="below_threshold"))
    db_session.commit()
    assert db_session.scalar(select(func.count(Alert.id))) == 2
