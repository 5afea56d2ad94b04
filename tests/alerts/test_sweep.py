"""The alert sweep against real PostgreSQL (or the run's database), a real SMTP server and a
local HTTPS webhook receiver: each condition opens one alert and one delivery per channel, a
second sweep sends nothing, alerts clear and re-open, failed webhooks are retried once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from models import Alert, AlertDelivery, Movement, Restock, utcnow
from sync import alerts
from tests.alerts.conftest import add_sku, configure, forecast, move, restock

EXPECTED = {
    ("LOW", "below_threshold"),
    ("SOON", "stockout_before_restock"),
    ("LATE", "restock_overdue"),
    ("VIRAL", "sales_spike"),
}


def build(session, store) -> None:
    """One SKU per condition, and SKUs that come close to each without meeting it."""
    add_sku(session, store, "LOW", 2)  # 2 ≤ 5
    add_sku(session, store, "SOON", 50)
    forecast(session, store, "SOON", velocity=5, rank=2, stockout_in=10)
    restock(session, store, "SOON", 40, in_days=20)  # arrives 10 days after it sells out
    add_sku(session, store, "LATE", 50)
    restock(session, store, "LATE", 30, in_days=-3)
    add_sku(session, store, "VIRAL", 100)
    forecast(session, store, "VIRAL", velocity=2, rank=1)
    move(
        session, store, "VIRAL", Movement.SALE, -10, hours_ago=1
    )  # 10 in 3 h vs at least 1 expected
    # Near misses: a restock that arrives in time, a fast seller at its usual pace, stock at 6.
    add_sku(session, store, "SAFE", 60)
    forecast(session, store, "SAFE", velocity=2, rank=3, stockout_in=30)
    restock(session, store, "SAFE", 20, in_days=5)
    add_sku(session, store, "BUSY", 200)
    forecast(session, store, "BUSY", velocity=48, rank=4)  # 6 expected in 3 h
    move(session, store, "BUSY", Movement.SALE, -12, hours_ago=2)  # 2× only
    add_sku(session, store, "SIX", 6)
    session.commit()


def open_keys(session, store) -> set:
    codes = {v: k for k, v in store.skus.items()}
    rows = session.execute(
        select(Alert.sku_id, Alert.condition).where(
            Alert.pool_id == store.pool_id, Alert.cleared_at.is_(None)
        )
    ).all()
    return {(codes[s], c) for s, c in rows}


def test_each_condition_opens_one_alert_and_one_delivery_per_channel(db_session, store, channels):
    mailbox, receiver = channels
    build(db_session, store)

    result = alerts.sweep(db_session, store.pool_id)

    assert result["opened"] == 4 and result["sent"] == 8 and result["failed"] == 0
    assert open_keys(db_session, store) == EXPECTED
    deliveries = db_session.execute(
        select(AlertDelivery.channel, AlertDelivery.status, AlertDelivery.attempts)
    ).all()
    assert sorted(deliveries) == sorted([("email", "sent", 1), ("webhook", "sent", 1)] * 4)

    # What the SMTP server received: one e-mail per alert, to both recipients.
    assert mailbox.count() == 4
    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert subjects == [
        "StockGuard alert: Low stock",
        "StockGuard alert: Restock overdue",
        "StockGuard alert: Sales spike",
        "StockGuard alert: Sells out before the next restock",
    ]
    for message in mailbox.messages:
        assert message["X-Envelope-To"] == "owner@example.com, stock@example.com"
    low = next(m for m in mailbox.messages if m["Subject"].endswith("Low stock"))
    assert "LOW — Product LOW. 2 available (alert at 5 or fewer)." in low.get_content()

    # What the webhook received: Slack incoming-webhook messages (text + blocks), as JSON.
    assert receiver.count() == 4
    for body in receiver.bodies:
        assert body["content_type"] == "application/json"
        message = body["json"]
        assert set(message) == {"text", "blocks"}
        assert message["blocks"][0]["type"] == "header"
        assert message["blocks"][0]["text"]["type"] == "plain_text"
        assert message["blocks"][1]["type"] == "section"
        assert message["blocks"][1]["text"]["type"] == "mrkdwn"
    spike = next(b["json"] for b in receiver.bodies if "spike" in b["json"]["text"])
    assert "VIRAL — Product VIRAL" in spike["blocks"][1]["text"]["text"]
    assert "10 sold in the last 3 h, 10.0× the usual pace" in spike["blocks"][1]["text"]["text"]
    soon = db_session.scalar(select(Alert).where(Alert.condition == "stockout_before_restock"))
    assert soon.details["next_restock_on"] == (dt.date.today() + dt.timedelta(days=20)).isoformat()

    # A second sweep: nothing new opened, nothing sent again.
    again = alerts.sweep(db_session, store.pool_id)
    assert (again["opened"], again["cleared"], again["sent"]) == (0, 0, 0)
    assert mailbox.count() == 4 and receiver.count() == 4
    assert db_session.scalar(select(func.count(Alert.id))) == 4
    assert db_session.scalar(select(func.count(AlertDelivery.id))) == 8


def test_alerts_clear_when_the_condition_ends_and_reopen_later(db_session, store, channels):
    mailbox, receiver = channels
    build(db_session, store)
    alerts.sweep(db_session, store.pool_id)
    assert mailbox.count() == 4

    # Stock received, the late restock arrived, the spike's sales are now older than 3 hours.
    move(db_session, store, "LOW", Movement.RECEIPT, 10)
    db_session.execute(
        update(Restock).where(Restock.sku_id == store.skus["LATE"]).values(status="received")
    )
    db_session.execute(
        update(Movement)
        .where(Movement.sku_id == store.skus["VIRAL"], Movement.kind == Movement.SALE)
        .values(created_at=utcnow() - dt.timedelta(hours=5))
    )
    db_session.commit()
    result = alerts.sweep(db_session, store.pool_id)
    assert (result["opened"], result["cleared"], result["sent"]) == (0, 3, 0)
    assert open_keys(db_session, store) == {("SOON", "stockout_before_restock")}
    cleared = db_session.scalars(select(Alert).where(Alert.cleared_at.is_not(None))).all()
    assert len(cleared) == 3 and all(a.cleared_at >= a.opened_at for a in cleared)

    # LOW sells down again: a new alert (the old one stays cleared), told once more.
    move(db_session, store, "LOW", Movement.SALE, -9, hours_ago=6)  # 12 → 3 (no spike)
    db_session.commit()
    result = alerts.sweep(db_session, store.pool_id)
    assert (result["opened"], result["sent"]) == (1, 2)
    rows = db_session.scalars(
        select(Alert).where(Alert.sku_id == store.skus["LOW"]).order_by(Alert.id)
    ).all()
    assert [r.cleared_at is None for r in rows] == [False, True]
    assert rows[1].details == {"available": 3, "threshold": 5}
    assert mailbox.count() == 5 and receiver.count() == 5


def test_a_disabled_condition_opens_nothing_and_clears_its_alerts(db_session, store, channels):
    mailbox, _ = channels
    build(db_session, store)
    alerts.sweep(db_session, store.pool_id)
    configure(db_session, store, conditions={"below_threshold": False, "sales_spike": False})
    result = alerts.sweep(db_session, store.pool_id)
    assert result["cleared"] == 2
    assert open_keys(db_session, store) == EXPECTED - {
        ("LOW", "below_threshold"),
        ("VIRAL", "sales_spike"),
    }
    # A higher threshold: SIX (6 available) is now low stock, but the condition is off.
    configure(db_session, store, threshold_units=10)
    assert alerts.sweep(db_session, store.pool_id)["opened"] == 0
    configure(db_session, store, conditions={"below_threshold": True})
    alerts.sweep(db_session, store.pool_id)
    assert {("LOW", "below_threshold"), ("SIX", "below_threshold")} <= open_keys(db_session, store)
    assert mailbox.count() == 4 + 2


def test_webhook_failing_with_500_is_retried_and_sent_once(db_session, store, receiver, mailbox):
    configure(db_session, store, webhook_url=receiver.url)  # the webhook only
    add_sku(db_session, store, "LOW", 1)
    db_session.commit()
    receiver.fail_next = [500]

    first = alerts.sweep(db_session, store.pool_id)
    assert (first["opened"], first["sent"], first["failed"]) == (1, 0, 1)
    delivery = db_session.scalar(select(AlertDelivery))
    assert (delivery.channel, delivery.status, delivery.attempts) == ("webhook", "failed", 1)
    assert delivery.error == "webhook answered 500"
    assert receiver.url not in delivery.error  # the URL is the secret: never in errors/logs

    second = alerts.sweep(db_session, store.pool_id)
    assert (second["opened"], second["sent"], second["failed"]) == (0, 1, 0)
    db_session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, None)
    assert receiver.count() == 2
    assert receiver.bodies[0]["json"] == receiver.bodies[1]["json"]

    third = alerts.sweep(db_session, store.pool_id)
    assert (third["sent"], third["failed"]) == (0, 0)
    assert receiver.count() == 2
    assert mailbox.count() == 0  # no e-mail channel was set up


def test_an_unreachable_mail_server_is_retried(app, db_session, store, receiver):
    from tests.alerts.conftest import _free_port

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{_free_port()}"  # nobody listens there
    configure(db_session, store, email_recipients=["owner@example.com"])
    add_sku(db_session, store, "LOW", 1)
    db_session.commit()
    assert alerts.sweep(db_session, store.pool_id)["failed"] == 1
    delivery = db_session.scalar(select(AlertDelivery))
    assert delivery.status == "failed"
    assert delivery.error.startswith("mail server refused or unreachable")
    assert alerts.sweep(db_session, store.pool_id)["failed"] == 1
    db_session.refresh(delivery)
    assert delivery.attempts == 2


def test_alerts_opened_while_no_channel_is_set_are_listed_not_sent(db_session, store, mailbox):
    add_sku(db_session, store, "LOW", 1)
    db_session.commit()
    result = alerts.sweep(db_session, store.pool_id)
    assert (result["opened"], result["sent"]) == (1, 0)
    assert db_session.scalar(select(func.count(AlertDelivery.id))) == 0
    assert mailbox.count() == 0
