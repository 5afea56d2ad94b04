"""The webhook inbox: record a verified delivery once, then process it (at least once, idempotently)."""

from __future__ import annotations

import functools
import json
import logging

from sqlalchemy import bindparam, select

from connectors import registry
from connectors.base import VerifiedWebhook
from extensions import db
from models import Installation, WebhookDelivery, utcnow
from models.base import fitted_key
from sync import dispatch, inbound, lifecycle  # noqa: F401 - handlers register on import
from sync.queue import RETRY_INTERVALS

log = logging.getLogger(__name__)


@functools.cache
def _insert_statement(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once so its compiled form is reused."""
    table = WebhookDelivery.__table__
    return (
        db.insert(table)
        .values({c: bindparam(c) for c in _COLUMNS})
        .on_conflict_do_nothing(index_elements=["platform", "dedupe_key"])
        .returning(table.c.id)
    )


_COLUMNS = (
    "platform",
    "installation_id",
    "topic",
    "dedupe_key",
    "body",
    "headers",
    "status",
    "received_at",
    "attempts",
)


def record(webhook: VerifiedWebhook) -> int | None:
    """Insert the delivery; its id, or None when the dedupe key was already recorded.

    One autocommitted statement: durable before the platform gets its 200. Raises
    ``IntegrityError`` if the installation was erased meanwhile.
    """
    params = {
        "platform": webhook.platform,
        "installation_id": webhook.installation_id,
        "topic": webhook.topic,
        "dedupe_key": fitted_key(webhook.dedupe_key),
        "body": webhook.body,
        "headers": webhook.headers,
        "status": WebhookDelivery.PENDING,
        "received_at": utcnow(),
        "attempts": 0,
    }
    with db.autocommit.connect() as conn:
        return conn.execute(_insert_statement(db.dialect), params).scalar()


class UnusablePayload(Exception):
    """The recorded payload can't be turned into events: retrying it can't help."""


def process(delivery_id: int) -> str:
    """Turn a recorded delivery into its effects. Safe to run twice or concurrently."""
    session = db.session
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        session.rollback()
        return "gone"
    if delivery.status in (
        WebhookDelivery.PROCESSED,
        WebhookDelivery.SKIPPED,
        WebhookDelivery.REJECTED,
    ):
        session.rollback()
        return delivery.status
    installation = delivery.installation
    delivery.attempts += 1
    try:
        outcome = _apply(session, delivery, installation)
        if outcome != dispatch.ERASED:  # shop/redact deleted the delivery with everything else
            delivery.status = outcome
            delivery.processed_at = utcnow()
        session.commit()  # inside: what only fails at the flush is recorded like the rest
    except UnusablePayload as e:
        # Settled for good with its reason (a retry, or the sweeper, would fail the same way).
        session.rollback()
        log.warning("delivery %s rejected: %s", delivery_id, e)
        _record_failure(delivery_id, e, status=WebhookDelivery.REJECTED)
        return WebhookDelivery.REJECTED
    except Exception as e:
        session.rollback()
        _record_failure(delivery_id, e)
        raise
    return outcome


def _apply(session, delivery: WebhookDelivery, installation: Installation | None) -> str:
    connector = registry.storefront(delivery.platform)
    try:
        events = connector.parse_webhook(delivery.topic, json.loads(delivery.body))
    except Exception as e:  # parsing only reads the payload: whatever fails is the payload's
        raise UnusablePayload(f"unusable {delivery.topic} payload: {type(e).__name__}: {e}") from e
    if events is None:
        delivery.last_error = f"no handler for {delivery.topic} yet"
        return WebhookDelivery.SKIPPED
    if installation is None:
        delivery.last_error = "installation no longer exists"
        return WebhookDelivery.SKIPPED
    # A store whose credential was refused still sells: its deliveries are applied.
    if not installation.is_installed and not all(isinstance(e, lifecycle.ALWAYS) for e in events):
        delivery.last_error = f"installation is {installation.status}"
        return WebhookDelivery.SKIPPED
    outcome = WebhookDelivery.PROCESSED
    for event in events:
        if dispatch.handle(event, session, installation, delivery) == dispatch.ERASED:
            outcome = dispatch.ERASED
    return outcome


def _attempts_per_job() -> int:
    from flask import current_app

    return 1 + len(current_app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))


def _record_failure(delivery_id: int, error: Exception, status: str | None = None) -> None:
    """Count the failed attempt and keep its error. Once a whole job's attempts have failed
    (its retries spent), the delivery shows as FAILED on the merchant's status page; the
    sweeper still takes it up again, after the pending ones."""
    session = db.session
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is not None:
        delivery.attempts += 1
        delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if status is not None:
            delivery.status, delivery.processed_at = status, utcnow()
        elif delivery.attempts >= _attempts_per_job():
            delivery.status = WebhookDelivery.FAILED
        session.commit()


def pending_older_than(seconds: float, limit: int = 1000) -> list[int]:
    """Deliveries recorded but not processed after ``seconds`` (Redis lost, worker killed):
    the pending ones first, oldest first, then those that FAILED, fewest attempts first, so
    deliveries that keep failing never crowd out those not yet tried."""
    import datetime as dt

    oldest = utcnow() - dt.timedelta(seconds=seconds)
    ids: list[int] = []
    for status, order in (
        (WebhookDelivery.PENDING, (WebhookDelivery.id,)),
        (WebhookDelivery.FAILED, (WebhookDelivery.attempts, WebhookDelivery.id)),
    ):
        if len(ids) >= limit:
            break
        ids += db.session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == status, WebhookDelivery.received_at <= oldest)
            .order_by(*order)
            .limit(limit - len(ids))
        )
    return ids
