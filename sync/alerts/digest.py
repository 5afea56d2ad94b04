"""The daily digest: one message per channel listing the pool's open alerts, best-sellers first.

Due once a day at the pool's ``digest_at`` (UTC). The day is claimed with one conditional UPDATE
of the settings row, inside the transaction that sends: a second sweep waits on that row and
then finds the day taken. If every channel fails, the claim is rolled back and the next sweep
tries again; if only some fail, the day stays claimed (the others got it) and the failure is
logged.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, update

from models import AlertSettings
from sync import mail
from sync.alerts import deliver
from sync.alerts.settings import Settings
from sync.alerts.sweep import open_alerts

log = logging.getLogger(__name__)


def is_due(settings: Settings, now: dt.datetime) -> bool:
    if not settings.digest_at or not settings.channels():
        return False
    hour, minute = (int(p) for p in settings.digest_at.split(":"))
    return now.time() >= dt.time(hour, minute)


def lines(session, pool_id: int) -> list[str]:
    return [deliver.alert_line(alert) for alert in open_alerts(session, pool_id)]


def send_if_due(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict | None:
    """Send today's digest if it is due and not sent yet; each channel's outcome, or None."""
    if not is_due(settings, now):
        return None
    today = now.date()
    claimed = session.execute(
        update(AlertSettings)
        .where(
            AlertSettings.pool_id == pool_id,
            or_(AlertSettings.last_digest_on.is_(None), AlertSettings.last_digest_on < today),
        )
        .values(last_digest_on=today)
    ).rowcount
    if not claimed:
        session.rollback()
        return None
    items = lines(session, pool_id)
    if not items:  # nothing open: no message, the day is done
        session.commit()
        return {}
    subject = f"StockGuard daily digest: {len(items)} open alert" + ("s" if len(items) > 1 else "")
    outcome = {}
    for channel in settings.channels():
        try:
            deliver.send(channel, settings, subject, items)
        except mail.DeliveryError as e:
            outcome[channel] = str(e)
            log.warning("pool %s: digest on %s failed: %s", pool_id, channel, e)
        else:
            outcome[channel] = None
    if all(error is not None for error in outcome.values()):
        session.rollback()  # nobody got it: the next sweep tries again
        raise mail.DeliveryError("the digest could not be sent on any channel")
    session.commit()
    return outcome
