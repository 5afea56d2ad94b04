"""Telling the merchant: e-mail through sync/mail.py and an outgoing webhook in Slack's
incoming-webhook format (``{"text": fallback, "blocks": [header, section…]}``; mrkdwn escapes
``& < >``; a section's text is at most 3,000 characters, a header's 150, a message 50 blocks).

Each alert has one ``AlertDelivery`` row per channel configured when it opened. A sweep sends
those not sent yet: a failure is recorded (status, attempts, error) and retried by the next
sweep, up to ``MAX_ATTEMPTS``; a sent one is never sent again. Rows are claimed with
``FOR UPDATE SKIP LOCKED`` so two sweeps never send the same one at once.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select

from models import Alert, AlertDelivery, Sku, utcnow
from models.alert import (
    BELOW_THRESHOLD,
    EMAIL,
    RESTOCK_OVERDUE,
    SALES_SPIKE,
    STOCKOUT_BEFORE_RESTOCK,
    STORE_DISCONNECTED,
    WEBHOOK,
)
from sync import mail
from sync.alerts.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
TIMEOUT = 10
SECTION_MAX = 3000
HEADER_MAX = 150
MAX_BLOCKS = 50

TITLES = {
    BELOW_THRESHOLD: "Low stock",
    STOCKOUT_BEFORE_RESTOCK: "Sells out before the next restock",
    RESTOCK_OVERDUE: "Restock overdue",
    SALES_SPIKE: "Sales spike",
    STORE_DISCONNECTED: "Store disconnected",
}


def describe(condition: str, details: dict) -> str:
    """One sentence about the figures that opened the alert."""
    d = details or {}
    if condition == BELOW_THRESHOLD:
        return f"{d.get('available')} available (alert at {d.get('threshold')} or fewer)."
    if condition == STOCKOUT_BEFORE_RESTOCK:
        if d.get("next_restock_on"):
            return (
                f"Projected to sell out on {d.get('stockout_on')}, before the next restock "
                f"expected on {d.get('next_restock_on')}."
            )
        return f"Projected to sell out on {d.get('stockout_on')}; no restock is on its way."
    if condition == RESTOCK_OVERDUE:
        return (
            f"{d.get('quantity')} units were expected on {d.get('expected_on')}: "
            f"{d.get('days_late')} days late."
        )
    if condition == SALES_SPIKE:
        return (
            f"{d.get('units')} sold in the last {d.get('hours')} h, "
            f"{d.get('ratio')}× the usual pace ({d.get('velocity_per_day')} a day)."
        )
    return ""


def label(sku: Sku) -> str:
    code = sku.sku or sku.key
    return f"{code} — {sku.name}" if sku.name else code


def alert_line(alert: Alert) -> str:
    if alert.sku_id is None:  # about a store
        d = alert.details or {}
        return (
            f"{TITLES[alert.condition]}: {d.get('store')}. {d.get('platform')} refused "
            "StockGuard's access (key or token deleted or revoked): its stock is no longer "
            "updated. Reconnect it from the StockGuard panel."
        )
    return (
        f"{TITLES[alert.condition]}: {label(alert.sku)}. {describe(alert.condition, alert.details)}"
    )


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(title: str, lines: list[str]) -> dict:
    """A Slack incoming-webhook message: a header, then sections of bulleted lines."""
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title[:HEADER_MAX]}}]
    chunk = ""
    sections = []
    for line in lines:
        item = "• " + slack_escape(line)[: SECTION_MAX - 3] + "\n"
        if len(chunk) + len(item) > SECTION_MAX:
            sections.append(chunk)
            chunk = ""
        chunk += item
    if chunk:
        sections.append(chunk)
    for text in sections[: MAX_BLOCKS - 2]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text.rstrip()}})
    if len(sections) > MAX_BLOCKS - 2:
        rest = sum(s.count("\n") for s in sections[MAX_BLOCKS - 2 :])
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {rest} more"}]}
        )
    fallback = title + (": " + lines[0] if len(lines) == 1 else f" ({len(lines)})")
    return {"text": fallback[:SECTION_MAX], "blocks": blocks}


def private_address(address: str) -> bool:
    """Loopback, private, link-local or otherwise not a public Internet address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return not ip.is_global


def _refuse_private(url: str) -> None:
    """An alert webhook must not reach into StockGuard's own network (SSRF): every address the
    host resolves to must be public, unless ``ALERT_WEBHOOK_PRIVATE_OK`` (tests, the demo).
    (A DNS answer may still change between this check and the request; the check bounds it.)"""
    if current_app.config.get("ALERT_WEBHOOK_PRIVATE_OK"):
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as e:
        raise mail.DeliveryError("webhook host does not resolve") from e
    if any(private_address(info[4][0]) for info in infos):
        raise mail.DeliveryError("webhook address is not a public Internet address")


def post_webhook(url: str, payload: dict) -> None:
    """POST the JSON to the webhook; anything but 2xx is a DeliveryError (never the URL: it is
    the secret)."""
    _refuse_private(url)
    try:
        response = requests.post(url, json=payload, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as e:
        raise mail.DeliveryError(f"webhook unreachable: {type(e).__name__}") from e
    if not 200 <= response.status_code < 300:
        raise mail.DeliveryError(f"webhook answered {response.status_code}")


def send(channel: str, settings: Settings, subject: str, lines: list[str]) -> None:
    """Send one message on one channel (raises mail.DeliveryError)."""
    if channel == EMAIL:
        body = "\n".join(f"- {line}" for line in lines)
        body += "\n\nStockGuard — change these alerts in the StockGuard panel (Alerts)."
        mail.send_email(", ".join(settings.email_recipients), subject, body, kind="stock alert")
    elif channel == WEBHOOK:
        post_webhook(settings.webhook_url, slack_payload(subject, lines))
    else:
        raise ValueError(f"unknown alert channel {channel!r}")


def _configured(channel: str, settings: Settings) -> bool:
    return channel in settings.channels()


def _claim_next(session, pool_id: int, tried: set[int]) -> AlertDelivery | None:
    """The next unsent delivery of an open alert, locked (skipped if another sweep holds it)."""
    query = (
        select(AlertDelivery)
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .where(
            Alert.pool_id == pool_id,
            Alert.cleared_at.is_(None),
            AlertDelivery.status != AlertDelivery.SENT,
            AlertDelivery.attempts < MAX_ATTEMPTS,
        )
        .order_by(AlertDelivery.id)
        .limit(1)
        .with_for_update(of=AlertDelivery, skip_locked=True)
        # The row as locked now, not as this session last saw it (another sweep may have sent it).
        .execution_options(populate_existing=True)
    )
    if tried:
        query = query.where(AlertDelivery.id.not_in(tried))
    return session.scalar(query)


def deliver_pending(session, pool_id: int, settings: Settings) -> dict:
    """Send every unsent delivery of the pool's open alerts, one transaction each."""
    counts = {"sent": 0, "failed": 0}
    tried: set[int] = set()
    while True:
        delivery = _claim_next(session, pool_id, tried)
        if delivery is None:
            break
        tried.add(delivery.id)
        if not _configured(delivery.channel, settings):
            delivery.status, delivery.error = AlertDelivery.FAILED, "channel no longer set up"
            delivery.attempts = MAX_ATTEMPTS
            session.commit()
            continue
        alert = session.get(Alert, delivery.alert_id)
        delivery.attempts += 1
        delivery.last_attempt_at = utcnow()
        try:
            send(delivery.channel, settings, "StockGuard alert: " + TITLES[alert.condition],
                 [alert_line(alert)])  # fmt: skip
        except mail.DeliveryError as e:
            delivery.status, delivery.error = AlertDelivery.FAILED, str(e)
            counts["failed"] += 1
            log.warning(
                "alert %s: %s delivery failed (attempt %d): %s",
                alert.id,
                delivery.channel,
                delivery.attempts,
                e,
            )
        else:
            delivery.status, delivery.error, delivery.sent_at = AlertDelivery.SENT, None, utcnow()
            counts["sent"] += 1
        session.commit()
    return counts


def send_test(settings: Settings) -> list[dict]:
    """A test message on every configured channel; each channel's outcome."""
    results = []
    for channel in settings.channels():
        try:
            send(channel, settings, "StockGuard test alert",
                 ["This is a test: StockGuard alerts reach you here."])  # fmt: skip
        except mail.DeliveryError as e:
            results.append({"channel": channel, "ok": False, "error": str(e)})
        else:
            results.append({"channel": channel, "ok": True, "error": None})
    return results
