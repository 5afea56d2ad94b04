"""Alerts against real parts: a store and SKUs built with the project's ledger, a real SMTP
server (aiosmtpd) and a local HTTPS webhook receiver that records bodies and can be told to fail."""

from __future__ import annotations

import datetime as dt
import email
import itertools
import json
import logging
import socket
import threading
import time
from email.policy import default as default_policy

import pytest

from models import Forecast, Movement, Restock, Sku, utcnow
from sandbox.common import ServerThread
from sync import ledger
from tests.reports.conftest import Store, make_store  # noqa: F401 (used by the alert tests)

_refs = itertools.count(1)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line-by-line log


def add_sku(session, store: Store, code: str, on_hand: int, name: str | None = None) -> int:
    row = Sku(
        pool_id=store.pool_id,
        key=code.casefold(),
        sku=code,
        name=name or f"Product {code}",
        on_hand=0,
        committed=0,
        safety_buffer=0,
    )
    session.add(row)
    session.flush()
    store.skus[code] = row.id
    if on_hand:
        move(session, store, code, Movement.INITIAL, on_hand)
    return row.id


def move(session, store: Store, code: str, kind: str, delta: int, hours_ago: float = 0) -> None:
    """One movement through sync.ledger (dated ``hours_ago``)."""
    from sqlalchemy import update

    sku_id = store.skus[code]
    skus = ledger.lock_skus(session, [sku_id])
    ref = f"test:{store.pool_id}:{code}:{next(_refs)}"
    movement_id = ledger.record(
        session, skus[sku_id], kind, delta, ref, installation_id=store.installation_id
    )
    assert movement_id is not None
    if hours_ago:
        session.execute(
            update(Movement)
            .where(Movement.id == movement_id)
            .values(created_at=utcnow() - dt.timedelta(hours=hours_ago))
        )


def forecast(session, store: Store, code: str, *, velocity=1.0, rank=0, stockout_in=None):
    """The forecast row a forecast run would leave (rank 1 = the best-seller)."""
    today = utcnow().date()
    row = Forecast(
        sku_id=store.skus[code],
        pool_id=store.pool_id,
        velocity=velocity,
        rank=rank,
        abc="A" if 0 < rank <= 2 else "C",
        revenue_minor=max(0, 100_000 - rank * 1000) if rank else 0,
        stockout_on=today + dt.timedelta(days=stockout_in) if stockout_in is not None else None,
        days_of_cover=float(stockout_in) if stockout_in is not None else None,
    )
    session.add(row)
    session.flush()


def restock(session, store: Store, code: str, quantity: int, in_days: int) -> int:
    row = Restock(
        pool_id=store.pool_id,
        sku_id=store.skus[code],
        quantity=quantity,
        expected_on=utcnow().date() + dt.timedelta(days=in_days),
        status=Restock.OPEN,
    )
    session.add(row)
    session.flush()
    return row.id


def configure(session, store: Store, **values) -> None:
    """Save alert settings through the project's own validation (as the API does)."""
    from sync import alerts

    new = alerts.validate(values, alerts.load(session, store.pool_id))
    alerts.save(session, store.pool_id, new)
    session.commit()


# --------------------------------------------------------------------------- SMTP


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(app):
    """A real SMTP server on loopback (aiosmtpd); the app sends through it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()


# --------------------------------------------------------------------------- webhook receiver


class Receiver:
    """An HTTPS endpoint playing Slack's incoming webhook: records each body, answers 200
    ("ok", as Slack does) or the statuses it was told to answer next."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.fail_next: list[int] = []
        self._lock = threading.Lock()
        self.url = ""

    def __call__(self, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size)
        with self._lock:
            self.bodies.append(
                {
                    "content_type": environ.get("CONTENT_TYPE"),
                    "path": environ.get("PATH_INFO"),
                    "json": json.loads(raw),
                }
            )
            status = self.fail_next.pop(0) if self.fail_next else 200
        text = b"ok" if status == 200 else b"internal_error"
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [text]

    def count(self) -> int:
        with self._lock:
            return len(self.bodies)


@pytest.fixture
def receiver(pki):
    box = Receiver()
    server = ServerThread(box, ssl_context=pki.server_context()).start()
    box.url = server.url + "/services/T000/B000/XXXXXXXX"
    yield box
    server.stop()


@pytest.fixture
def store(app, db_session):
    main = make_store(db_session, "main.myshopify.com")
    db_session.commit()
    return main


@pytest.fixture
def channels(db_session, store, mailbox, receiver):
    """The store alerted by e-mail (two recipients) and the webhook."""
    configure(
        db_session,
        store,
        email_recipients=["owner@example.com", "stock@example.com"],
        webhook_url=receiver.url,
    )
    return mailbox, receiver


def wait_until(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
