"""Installation lifecycle and privacy: uninstall, shop erasure, customer redaction, data requests."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select, update

from connectors.base import (
    AccessChanged,
    AppUninstalled,
    CustomerDataRequested,
    CustomerRedacted,
    ShopRedacted,
)
from models import (
    Installation,
    WebhookDelivery,
    record_activity,
    utcnow,
)
from models.installation import forget_cached_ids
from sync import notify
from sync.dispatch import ERASED, handle
from sync.erasure import erase_shop

log = logging.getLogger(__name__)

REDACTED_BODY = b'{"redacted":true}'
# Events applied whatever the installation's state (privacy duties outlive the install).
ALWAYS = (AppUninstalled, ShopRedacted, CustomerRedacted, CustomerDataRequested)


@handle.register
def _uninstalled(event: AppUninstalled, session, installation, delivery):
    """Drop the token and stop the store's pending work; keep data until shop/redact."""
    uninstall(
        session,
        installation,
        "StockGuard was uninstalled; its access token was deleted",
        keep_delivery_id=delivery.id,
    )


def uninstall(
    session, installation, message: str, keep_delivery_id: int | None = None, **details
) -> int:
    """Forget the store's credential, mark it uninstalled and skip its pending deliveries (but
    ``keep_delivery_id``, the one being processed); its data stays. The deliveries stopped."""
    installation.status = Installation.UNINSTALLED
    installation.uninstalled_at = installation.panel_tokens_after = utcnow()
    installation.credentials = None
    stopped = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.installation_id == installation.id,
            WebhookDelivery.status.in_([WebhookDelivery.PENDING, WebhookDelivery.FAILED]),
            WebhookDelivery.id != (keep_delivery_id or 0),
        )
        .values(status=WebhookDelivery.SKIPPED, last_error="installation uninstalled")
    ).rowcount
    record_activity(
        session, installation, "uninstall", message, pending_work_stopped=stopped, **details
    )
    return stopped


@handle.register
def _access_changed(event: AccessChanged, session, installation, delivery):
    """Record what the store now grants; say what StockGuard lacks (the next launch asks)."""
    installation.scopes = ",".join(event.granted)
    if event.missing:
        message = (
            "The store no longer grants StockGuard " + ", ".join(event.missing) + ": open "
            "StockGuard from your store's admin to grant it again (stock sync needs it)"
        )
    else:
        message = "The store's permissions for StockGuard changed; everything it needs is granted"
    record_activity(
        session,
        installation,
        "access",
        message,
        granted=list(event.granted),
        missing=list(event.missing),
    )


@handle.register
def _shop_redacted(event: ShopRedacted, session, installation, delivery):
    """Erase everything held for the shop (48 h after uninstall, Shopify asks for this): its
    pool too when no other store shares it."""
    log.info("erasing installation %s on shop/redact", installation.id)
    forget_cached_ids()
    erase_shop(session, installation)  # deletes this delivery too
    return ERASED


def erase(session, installation) -> None:
    """Delete the installation and everything held under it — its pool too when no other store
    shares it (the merchant's "disconnect and erase", and shop/redact)."""
    log.info("erasing installation %s", installation.id)
    forget_cached_ids()
    erase_shop(session, installation)


def _mentions(delivery: WebhookDelivery, event) -> bool:
    """Does this recorded body carry the customer's personal data?"""
    body = delivery.body or b""
    lowered = body.lower()
    if any(e and e.lower().encode() in lowered for e in event.emails):
        return True
    if any(p and p.encode() in body for p in event.phones):
        return True
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict):
        return False
    customer = payload.get("customer") or {}
    if isinstance(customer, dict) and str(customer.get("id")) in event.customer_ids:
        return True
    order_id = payload.get("order_id") or (payload.get("id") if "line_items" in payload else None)
    return str(order_id) in event.order_ids


def _customer_deliveries(session, installation, event, exclude_id):
    rows = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.installation_id == installation.id,
            WebhookDelivery.id != exclude_id,
        )
        .execution_options(yield_per=500)
    )
    return [row for row in rows if _mentions(row, event)]


@handle.register
def _customer_redacted(event: CustomerRedacted, session, installation, delivery):
    """Erase the customer's personal data from every record we keep for the shop."""
    found = _customer_deliveries(session, installation, event, delivery.id)
    for row in found:
        row.body = REDACTED_BODY
        row.headers = {}
    delivery.body = REDACTED_BODY  # the request itself names the customer
    signups = notify.forget_customer(session, installation.id, event.emails, event.phones)
    record_activity(
        session,
        installation,
        "privacy",
        f"Customer data erased on request ({len(found)} stored webhook records redacted, "
        f"{signups} notify-me sign-ups deleted)",
        records_redacted=len(found),
        signups_deleted=signups,
    )


@handle.register
def _customer_data_requested(event: CustomerDataRequested, session, installation, delivery):
    """Tell the merchant what we hold for the customer; they answer the customer."""
    found = _customer_deliveries(session, installation, event, delivery.id)
    record_activity(
        session,
        installation,
        "privacy",
        f"Customer data request: StockGuard holds {len(found)} stored webhook records "
        "mentioning this customer (order and stock events, no payment data) and "
        f"{notify.held_for_customer(session, installation.id, event.emails, event.phones)} "
        "notify-me sign-ups (contact, product, language, consent, dates).",
        request_id=event.request_id,
        records=[row.id for row in found],
        topics=sorted({row.topic for row in found}),
    )
