"""The daily digest: one message per channel at the chosen time, open alerts best-sellers first,
once a day (a second sweep, or a racing one, sends nothing)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import AlertDelivery, AlertSettings, utcnow
from sync import alerts
from tests.alerts.conftest import add_sku, configure, forecast


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def ranked_store(session, store) -> None:
    # Codes in alphabetical order are NOT the sales order: the digest must follow the ranks.
    for code, rank in (("ALPHA", 3), ("MID", 2), ("ZED", 1), ("NORANK", None)):
        add_sku(session, store, code, 1)
        if rank:
            forecast(session, store, code, velocity=0.1, rank=rank)
    session.commit()


def test_digest_lists_open_alerts_best_sellers_first_once_a_day(db_session, store, channels):
    mailbox, receiver = channels
    configure(db_session, store, digest="12:00", instant=False)
    ranked_store(db_session, store)
    today = utcnow().date()

    before = alerts.sweep(db_session, store.pool_id, now=at(today, 11, 55))
    assert before["opened"] == 4 and before["digest"] is None
    # Instant messages are off: the alerts are open, nothing is sent one by one.
    assert db_session.scalar(select(func.count(AlertDelivery.id))) == 0
    assert mailbox.count() == 0 and receiver.count() == 0

    due = alerts.sweep(db_session, store.pool_id, now=at(today, 12, 5))
    assert due["digest"] == {"email": None, "webhook": None}
    assert mailbox.count() == 1 and receiver.count() == 1
    message = mailbox.messages[0]
    assert message["Subject"] == "StockGuard daily digest: 4 open alerts"
    body = message.get_content()
    order = [body.index(f"{code} — Product {code}") for code in ("ZED", "MID", "ALPHA", "NORANK")]
    assert order == sorted(order), body
    slack = receiver.bodies[0]["json"]
    assert slack["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "StockGuard daily digest: 4 open alerts"},
    }
    section = slack["blocks"][1]["text"]["text"]
    assert [line.split(": ", 1)[1].split(" — ")[0] for line in section.splitlines()] == [
        "ZED",
        "MID",
        "ALPHA",
        "NORANK",
    ]

    # Later the same day: already sent.
    assert alerts.sweep(db_session, store.pool_id, now=at(today, 18))["digest"] is None
    assert mailbox.count() == 1 and receiver.count() == 1
    row = db_session.get(AlertSettings, store.pool_id)
    db_session.refresh(row)
    assert row.last_digest_on == today

    # The next day at the same time: the next digest.
    tomorrow = today + dt.timedelta(days=1)
    assert alerts.sweep(db_session, store.pool_id, now=at(tomorrow, 12, 1))["digest"]
    assert mailbox.count() == 2 and receiver.count() == 2


def test_a_digest_nobody_received_is_sent_again_by_the_next_sweep(db_session, store, receiver):
    configure(db_session, store, webhook_url=receiver.url, digest="06:30", instant=False)
    ranked_store(db_session, store)
    today = utcnow().date()
    receiver.fail_next = [503]
    from sync.mail import DeliveryError

    try:
        alerts.sweep(db_session, store.pool_id, now=at(today, 7))
    except DeliveryError as e:
        assert "could not be sent" in str(e)  # the job fails: the queue retries it
    else:
        raise AssertionError("a digest nobody received must fail the sweep")
    row = db_session.get(AlertSettings, store.pool_id)
    db_session.refresh(row)
    assert row.last_digest_on is None
    assert alerts.sweep(db_session, store.pool_id, now=at(today, 7, 5))["digest"] == {
        "webhook": None
    }
    assert receiver.count() == 2
    assert receiver.bodies[0]["json"] == receiver.bodies[1]["json"]


def test_no_digest_without_open_alerts(db_session, store, channels):
    mailbox, receiver = channels
    configure(db_session, store, digest="00:00")
    add_sku(db_session, store, "PLENTY", 100)
    db_session.commit()
    result = alerts.sweep(db_session, store.pool_id)
    assert result["digest"] == {}
    assert mailbox.count() == 0 and receiver.count() == 0
