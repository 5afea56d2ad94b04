"""The alerts API: settings (validated whole, nothing saved on error), the list (open first,
best-sellers first), the test message, and tenant isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AlertSettings, Movement
from sync import alerts
from tests.alerts.conftest import add_sku, configure, forecast, make_store, move

GOOD = {
    "email_recipients": ["owner@example.com"],
    "webhook_url": "https://hooks.slack.com/services/T0/B0/abc",
    "conditions": {"sales_spike": False},
    "threshold_units": 8,
    "spike_factor": 4,
    "spike_window_hours": 6,
    "instant": True,
    "digest": "07:30",
}


def test_settings_defaults_then_saved(client, db_session, store):
    answer = client.get("/admin/api/alerts/settings", headers=store.auth)
    assert answer.status_code == 200
    assert answer.json == {
        "email_recipients": [],
        "webhook_url": None,
        "conditions": {
            "below_threshold": True,
            "stockout_before_restock": True,
            "restock_overdue": True,
            "sales_spike": True,
        },
        "threshold_units": 5,
        "spike_factor": 3.0,
        "spike_window_hours": 3,
        "instant": True,
        "digest": "off",
    }
    saved = client.put("/admin/api/alerts/settings", headers=store.auth, json=GOOD)
    assert saved.status_code == 200, saved.json
    again = client.get("/admin/api/alerts/settings", headers=store.auth).json
    assert again == saved.json
    assert again["conditions"]["sales_spike"] is False
    assert again["conditions"]["below_threshold"] is True
    assert (again["threshold_units"], again["spike_factor"], again["digest"]) == (8, 4.0, "07:30")
    row = db_session.get(AlertSettings, store.pool_id)
    # The webhook URL is a secret: sealed at rest.
    assert row.webhook_sealed and "hooks.slack.com" not in row.webhook_sealed
    # A partial update keeps the rest; a comma-separated string of addresses is accepted.
    part = client.put(
        "/admin/api/alerts/settings",
        headers=store.auth,
        json={"email_recipients": "a@example.com, b@example.org", "digest": "off"},
    ).json
    assert part["email_recipients"] == ["a@example.com", "b@example.org"]
    assert (part["digest"], part["threshold_units"]) == ("off", 8)
    cleared = client.put(
        "/admin/api/alerts/settings", headers=store.auth, json={"webhook_url": ""}
    ).json
    assert cleared["webhook_url"] is None


BAD = [
    ({"email_recipients": ["not-an-address"]}, "email_recipients"),
    ({"email_recipients": ["ok@example.com", "x@"]}, "email_recipients"),
    ({"email_recipients": [12]}, "email_recipients"),
    ({"email_recipients": [f"u{i}@example.com" for i in range(11)]}, "email_recipients"),
    ({"webhook_url": "http://hooks.slack.com/services/T0/B0/abc"}, "webhook_url"),
    ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
    ({"webhook_url": "https://user:pw@example.com/x"}, "webhook_url"),
    ({"webhook_url": "https:///nohost"}, "webhook_url"),
    ({"webhook_url": 5}, "webhook_url"),
    ({"threshold_units": -1}, "threshold_units"),
    ({"threshold_units": "5"}, "threshold_units"),
    ({"threshold_units": True}, "threshold_units"),
    ({"threshold_units": 2.5}, "threshold_units"),
    ({"spike_factor": 1}, "spike_factor"),
    ({"spike_factor": "3"}, "spike_factor"),
    ({"spike_factor": 1000}, "spike_factor"),
    ({"spike_window_hours": 0}, "spike_window_hours"),
    ({"spike_window_hours": 73}, "spike_window_hours"),
    ({"conditions": {"moon_phase": True}}, "conditions"),
    ({"conditions": {"sales_spike": "yes"}}, "conditions"),
    ({"conditions": ["sales_spike"]}, "conditions"),
    ({"instant": "yes"}, "instant"),
    ({"digest": "25:00"}, "digest"),
    ({"digest": "daily"}, "digest"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_saved(
    client, db_session, store, body, field
):
    # Good values alongside the bad one: all or nothing.
    answer = client.put("/admin/api/alerts/settings", headers=store.auth, json={**GOOD, **body})
    assert answer.status_code == 400
    assert answer.json["field"] == field
    assert answer.json["error"].startswith(field)
    assert db_session.scalar(select(func.count()).select_from(AlertSettings)) == 0
    assert client.get("/admin/api/alerts/settings", headers=store.auth).json["digest"] == "off"


def test_bad_settings_leave_the_saved_ones_alone(client, store):
    client.put("/admin/api/alerts/settings", headers=store.auth, json=GOOD)
    before = client.get("/admin/api/alerts/settings", headers=store.auth).json
    answer = client.put(
        "/admin/api/alerts/settings",
        headers=store.auth,
        json={"threshold_units": 1, "webhook_url": "http://insecure.example.com/hook"},
    )
    assert (answer.status_code, answer.json["field"]) == (400, "webhook_url")
    assert client.get("/admin/api/alerts/settings", headers=store.auth).json == before


@pytest.mark.parametrize("raw", [b"[1, 2]", b"not json", b'"text"'])
def test_a_body_that_is_not_an_object_is_refused(client, db_session, store, raw):
    answer = client.put(
        "/admin/api/alerts/settings",
        headers={**store.auth, "Content-Type": "application/json"},
        data=raw,
    )
    assert answer.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(AlertSettings)) == 0


def test_the_list_shows_open_alerts_first_best_sellers_first(client, db_session, store):
    for code, rank in (("SLOW", 3), ("STAR", 1), ("NEW", None), ("GONE", 2)):
        add_sku(db_session, store, code, 1)
        if rank:
            forecast(db_session, store, code, velocity=0.1, rank=rank)
    db_session.commit()
    alerts.sweep(db_session, store.pool_id)
    move(db_session, store, "GONE", Movement.RECEIPT, 50)  # cleared: listed after the open ones
    db_session.commit()
    alerts.sweep(db_session, store.pool_id)

    answer = client.get("/admin/api/alerts", headers=store.auth)
    assert answer.status_code == 200
    items = answer.json["alerts"]
    assert answer.json["open"] == 3
    assert [(i["sku"], i["cleared_at"] is None) for i in items] == [
        ("STAR", True),
        ("SLOW", True),
        ("NEW", True),
        ("GONE", False),
    ]
    star = items[0]
    assert star["condition"] == "below_threshold" and star["title"] == "Low stock"
    assert star["message"] == "1 available (alert at 5 or fewer)."
    assert (star["rank"], star["abc"], star["name"]) == (1, "A", "Product STAR")
    assert star["details"] == {"available": 1, "threshold": 5}
    assert star["deliveries"] == []


def test_another_stores_token_sees_nothing_of_this_pool(
    client, db_session, store, mailbox, receiver
):
    configure(db_session, store, email_recipients=["owner@example.com"], webhook_url=receiver.url)
    add_sku(db_session, store, "LOW", 1)
    db_session.commit()
    alerts.sweep(db_session, store.pool_id)
    assert mailbox.count() == 1
    other = make_store(db_session, "other.myshopify.com")
    db_session.commit()

    assert client.get("/admin/api/alerts", headers=other.auth).json == {"alerts": [], "open": 0}
    theirs = client.get("/admin/api/alerts/settings", headers=other.auth).json
    assert theirs["email_recipients"] == [] and theirs["webhook_url"] is None
    # Their test message goes nowhere: they have no channel (ours are not theirs).
    assert client.post("/admin/api/alerts/test", headers=other.auth).status_code == 400
    # Their settings change only theirs.
    client.put("/admin/api/alerts/settings", headers=other.auth, json={"threshold_units": 0})
    ours = client.get("/admin/api/alerts/settings", headers=store.auth).json
    assert ours["threshold_units"] == 5 and ours["email_recipients"] == ["owner@example.com"]
    assert mailbox.count() == 1 and receiver.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/api/alerts"),
        ("GET", "/admin/api/alerts/settings"),
        ("PUT", "/admin/api/alerts/settings"),
        ("POST", "/admin/api/alerts/test"),
    ],
)
def test_every_endpoint_needs_a_token(client, store, method, path):
    answer = client.open(path, method=method, json={"threshold_units": 1})
    assert answer.status_code == 401
    bad = client.open(path, method=method, headers={"Authorization": "Bearer forged.token"})
    assert bad.status_code == 401


def test_the_test_message_reaches_every_channel_and_reports_each(
    client, db_session, store, mailbox, receiver
):
    assert client.post("/admin/api/alerts/test", headers=store.auth).status_code == 400
    configure(db_session, store, email_recipients=["owner@example.com"], webhook_url=receiver.url)

    answer = client.post("/admin/api/alerts/test", headers=store.auth)
    assert answer.status_code == 200
    assert answer.json == {
        "ok": True,
        "results": [
            {"channel": "email", "ok": True, "error": None},
            {"channel": "webhook", "ok": True, "error": None},
        ],
    }
    assert mailbox.count() == 1 and mailbox.messages[0]["Subject"] == "StockGuard test alert"
    assert receiver.count() == 1
    assert receiver.bodies[0]["json"]["text"].startswith("StockGuard test alert")

    receiver.fail_next = [500]
    failed = client.post("/admin/api/alerts/test", headers=store.auth).json
    assert failed["ok"] is False
    assert failed["results"][0] == {"channel": "email", "ok": True, "error": None}
    assert failed["results"][1] == {
        "channel": "webhook",
        "ok": False,
        "error": "webhook answered 500",
    }
    assert mailbox.count() == 2 and receiver.count() == 2
    # A test message opens no alert and records no delivery.
    assert client.get("/admin/api/alerts", headers=store.auth).json["open"] == 0


PRIVATE = [
    "https://127.0.0.1:8443/hook",
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://169.254.169.254/latest/meta-data",  # a cloud metadata address
    "https://[::1]/hook",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_webhooks_into_private_networks_are_refused(app, client, db_session, store, url):
    """SSRF: an alert webhook may not point StockGuard at its own network (the test suite
    allows loopback for its receiver with ALERT_WEBHOOK_PRIVATE_OK; here it is off)."""
    app.config["ALERT_WEBHOOK_PRIVATE_OK"] = False
    answer = client.put("/admin/api/alerts/settings", headers=store.auth, json={"webhook_url": url})
    assert answer.status_code == 400 and answer.json["field"] == "webhook_url"
    assert db_session.scalar(select(func.count()).select_from(AlertSettings)) == 0


def test_a_name_resolving_to_a_private_address_is_not_posted_to(app, channels):
    """The name passes the settings check; at send time it resolves to loopback: refused, and
    the receiver gets nothing."""
    from sync import mail
    from sync.alerts import deliver

    _, receiver = channels
    app.config["ALERT_WEBHOOK_PRIVATE_OK"] = False
    named = receiver.url.replace("127.0.0.1", "localhost")
    with app.app_context(), pytest.raises(mail.DeliveryError, match="not a public"):
        deliver.post_webhook(named, {"text": "hello"})
    assert receiver.count() == 0
