"""Notify-me: shoppers who asked to be told when a sold-out variant is back.

Sign-ups are checked (contact, consent, duplicates) and kept per store and variant. When the
availability refresh sees a variant's units rise, it adds that many notices (× the store's
factor) to the variant's open notify run; the run sends to waiting shoppers in sign-up order,
checking before each send that the variant is still in stock, so a restock of three units never
sends a hundred e-mails. Each notice carries an unsubscribe link. There is no plan cap.
"""

from __future__ import annotations

import logging
import re

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import (
    Installation,
    JobRun,
    Listing,
    NotifySubscription,
    record_activity,
    utcnow,
)
from sync import mirror
from sync.mail import DeliveryError, mask, send_email, send_sms
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
LOCALES = ("en", "fr", "ar")
MAX_SENDS_PER_JOB = 200


class SubscribeError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def normalize_contact(raw) -> tuple[str, str]:
    """(contact, channel) for an e-mail address or an international phone number."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 254:
        raise SubscribeError("contact", "enter an e-mail address or a phone number")
    value = raw.strip()
    phone = re.sub(r"[\s().-]", "", value)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if PHONE.match(phone):
        return phone, "sms"
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise SubscribeError(
            "contact", "enter a valid e-mail address, or a phone number such as +33612345678"
        ) from None
    return checked.normalized.lower(), "email"


def subscribe(
    session, installation: Installation, listing: Listing, data: dict
) -> tuple[NotifySubscription, bool]:
    """Record a sign-up; (subscription, created). Raises SubscribeError naming the bad field."""
    contact, channel = normalize_contact(data.get("contact"))
    if data.get("consent") is not True:
        raise SubscribeError("consent", "tick the box to agree to receive the notice")
    locale = data.get("locale") if data.get("locale") in LOCALES else "en"
    existing = session.scalar(
        select(NotifySubscription).where(
            NotifySubscription.installation_id == installation.id,
            NotifySubscription.listing_id == listing.id,
            NotifySubscription.contact == contact,
            NotifySubscription.status == NotifySubscription.WAITING,
        )
    )
    if existing is not None:
        return existing, False
    consent_text = data.get("consent_text")
    subscription = NotifySubscription(
        installation_id=installation.id,
        listing_id=listing.id,
        variant_id=listing.public_id,
        contact=contact,
        channel=channel,
        locale=locale,
        consent=True,
        # A lone surrogate ("\ud800" in JSON) can't be stored as UTF-8: it becomes "?".
        consent_text=(
            consent_text[:512].encode("utf-8", "replace").decode()
            if isinstance(consent_text, str)
            else None
        ),
        status=NotifySubscription.WAITING,
    )
    try:
        with session.begin_nested():  # the same sign-up sent twice at once: one row
            session.add(subscription)
    except IntegrityError:
        existing = session.scalar(
            select(NotifySubscription).where(
                NotifySubscription.installation_id == installation.id,
                NotifySubscription.listing_id == listing.id,
                NotifySubscription.contact == contact,
                NotifySubscription.status == NotifySubscription.WAITING,
            )
        )
        return existing, False
    return subscription, True


# --------------------------------------------------------------------------- unsubscribe


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notify-unsubscribe")


def unsubscribe_token(subscription: NotifySubscription) -> str:
    return _serializer().dumps(subscription.id)


def from_token(session, token: str) -> NotifySubscription | None:
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        subscription_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(subscription_id, int):
        return None
    return session.get(NotifySubscription, subscription_id)


def _waiting_for_contact(subscription: NotifySubscription):
    return select(NotifySubscription).where(
        NotifySubscription.installation_id == subscription.installation_id,
        NotifySubscription.contact == subscription.contact,
        NotifySubscription.status == NotifySubscription.WAITING,
    )


def waiting_count(session, subscription: NotifySubscription) -> int:
    """The sign-ups still waiting for this shopper at this store (the link can stop them)."""
    return len(session.scalars(_waiting_for_contact(subscription)).all())


def unsubscribe(session, subscription: NotifySubscription) -> int:
    """The link in a notice (or a sign-up's own link) ends every notice still waiting for this
    shopper at this store: after a notice, they are the ones left to stop."""
    rows = session.scalars(_waiting_for_contact(subscription).with_for_update()).all()
    for row in rows:
        row.status = NotifySubscription.UNSUBSCRIBED
    return len(rows)


def _contacts(emails, phones) -> list[str]:
    """The contacts as sign-ups store them (normalize_contact); unreadable ones are skipped."""
    found = []
    for raw in [*emails, *phones]:
        try:
            found.append(normalize_contact(raw)[0])
        except SubscribeError:
            continue
    return found


def held_for_customer(session, installation_id: int, emails=(), phones=()) -> int:
    """customers/data_request: how many notify-me sign-ups name the customer."""
    contacts = _contacts(emails, phones)
    if not contacts:
        return 0
    return len(
        session.scalars(
            select(NotifySubscription.id).where(
                NotifySubscription.installation_id == installation_id,
                NotifySubscription.contact.in_(contacts),
            )
        ).all()
    )


def forget_customer(session, installation_id: int, emails=(), phones=()) -> int:
    """customers/redact: delete the customer's sign-ups in this store."""
    contacts = _contacts(emails, phones)
    if not contacts:
        return 0
    result = session.execute(
        delete(NotifySubscription).where(
            NotifySubscription.installation_id == installation_id,
            NotifySubscription.contact.in_(contacts),
        )
    )
    return result.rowcount or 0


# --------------------------------------------------------------------------- restock notices


def _open_run(session, installation_id: int, listing_id: int) -> JobRun | None:
    runs = session.scalars(
        select(JobRun)
        .where(
            JobRun.installation_id == installation_id,
            JobRun.kind == "notify",
            JobRun.status.in_((JobRun.QUEUED, JobRun.RUNNING)),
        )
        .with_for_update()
    ).all()
    return next((run for run in runs if run.details.get("listing_id") == listing_id), None)


def restocked(session, installation, settings, listing: Listing, units_now: int, before) -> None:
    """The variant's units rose (``before`` = (state, units, deleted)): queue notices."""
    if not settings["notify"]:
        return
    waiting = session.scalar(
        select(func.count(NotifySubscription.id)).where(
            NotifySubscription.installation_id == installation.id,
            NotifySubscription.listing_id == listing.id,
            NotifySubscription.status == NotifySubscription.WAITING,
        )
    )
    if not waiting:
        return
    from sync.availability import notify_units

    budget = notify_units(units_now - max(0, before[1]), settings["notify_factor"])
    run = _open_run(session, installation.id, listing.id)
    if run is None:
        run = JobRun(
            installation_id=installation.id,
            kind="notify",
            status=JobRun.QUEUED,
            total=0,
            done=0,
            details={"listing_id": listing.id, "budget": 0, "sent": 0, "failed": 0},
        )
        session.add(run)
    run.details = {**run.details, "budget": run.details.get("budget", 0) + budget}
    # What the merchant watches: the notices this run will send (no more than are waiting).
    run.total = min(run.details["budget"], run.details.get("sent", 0) + waiting)
    run.message = f"Back in stock: {listing.product_title or listing.title}"
    session.flush()
    db.after_commit(lambda r=run.id: enqueue_send(r))


def enqueue_send(run_id: int) -> None:
    jobs.enqueue(send_notices, run_id, job_id=f"notify-{run_id}")


def _units_now(session, listing: Listing, installation: Installation) -> int:
    if listing.sku_id is None or listing.status != Listing.LINKED:
        return 0
    # What this store may sell now (its buffer and, when allocating, its share).
    return mirror.desired_quantity(session, listing, installation)


def _finish(run: JobRun, message: str) -> None:
    run.status, run.finished_at = JobRun.DONE, utcnow()
    run.message = f"{run.message or 'Notices'} — {message}"


@job
def send_notices(run_id: int) -> int:
    """Send the run's notices in sign-up order while the variant is in stock."""
    session = db.session
    sent_now = 0
    for _ in range(MAX_SENDS_PER_JOB):
        run = session.get(JobRun, run_id, with_for_update=True, populate_existing=True)
        if run is None or run.status not in (JobRun.QUEUED, JobRun.RUNNING):
            session.rollback()
            return sent_now
        details = dict(run.details)
        listing = session.get(Listing, details["listing_id"])
        installation = session.get(Installation, run.installation_id)
        if run.status == JobRun.QUEUED:
            run.status, run.started_at = JobRun.RUNNING, utcnow()
        if listing is None or installation is None or not installation.is_active:
            _finish(run, "the variant or the store is gone")
        elif details["sent"] >= details["budget"]:
            _finish(run, f"{details['sent']} notified for the units restocked")
        elif _units_now(session, listing, installation) <= 0:
            _finish(run, f"sold out again after {details['sent']} notices")
        else:
            subscription = session.scalar(
                select(NotifySubscription)
                .where(
                    NotifySubscription.installation_id == installation.id,
                    NotifySubscription.listing_id == listing.id,
                    NotifySubscription.status == NotifySubscription.WAITING,
                )
                .order_by(NotifySubscription.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if subscription is None:
                _finish(run, f"every waiting shopper notified ({details['sent']})")
            else:
                # At most once: the notice is recorded as sent (and counted) before it leaves;
                # the message goes out with no transaction or lock held.
                message = message_for(installation, listing, subscription)
                subscription.status, subscription.sent_at = NotifySubscription.SENT, utcnow()
                details["sent"] += 1
                run.details, run.done = details, details["sent"] + details["failed"]
                subscription_id = subscription.id
                session.commit()
                error = _deliver(subscription.channel, subscription.contact, message)
                if error:
                    _record_failure(session, run_id, subscription_id, error)
                else:
                    sent_now += 1
                continue
        finished = run.status == JobRun.DONE
        if finished:
            record_activity(session, installation, "notify", run.message, run_id=run.id)
        session.commit()
        if finished:
            return sent_now
    enqueue_send(run_id)
    return sent_now


def _shop_origin(installation: Installation) -> str:
    origins = (installation.settings or {}).get("storefront_origins") or []
    if origins:
        return origins[-1]  # connectors name the address shoppers know last (base.py)
    domain = installation.shop_domain
    return domain if domain.startswith("http") else f"https://{domain}"


def message_for(installation, listing: Listing, subscription: NotifySubscription) -> dict:
    url = listing.url or ""
    if url.startswith("/"):
        url = _shop_origin(installation) + url
    app_url = current_app.config["APP_URL"]
    unsubscribe_url = f"{app_url}/storefront/v1/unsubscribe/{unsubscribe_token(subscription)}"
    context = {
        "title": listing.product_title or listing.title or "",
        "variant": listing.title or "",
        "shop": installation.name or installation.shop_domain,
        "url": url,
        "unsubscribe_url": unsubscribe_url,
        "locale": subscription.locale,
    }
    return {
        "subject": " ".join(render_template("email/back_in_stock_subject.txt", **context).split()),
        "text": render_template("email/back_in_stock.txt", **context),
        "html": render_template("email/back_in_stock.html", **context),
        "sms": render_template("email/back_in_stock_sms.txt", **context).strip(),
        "unsubscribe_url": unsubscribe_url,
    }


def _deliver(channel: str, contact: str, message: dict) -> str | None:
    """Hand the notice over; the reason it failed, or None. Never raises: one bad message
    must not stop the run (the shopper's sign-up records the failure for the merchant)."""
    try:
        if channel == "sms":
            send_sms(contact, message["sms"], kind="back_in_stock_sms")
        else:
            send_email(
                contact,
                message["subject"],
                message["text"],
                message["html"],
                headers={
                    "List-Unsubscribe": f"<{message['unsubscribe_url']}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                kind="back_in_stock",
            )
    except DeliveryError as e:
        reason = str(e)
    except Exception as e:  # e.g. a header the mail library refuses
        log.exception("notice to %s could not be built or sent", mask(contact))
        reason = f"could not be sent: {type(e).__name__}"
    else:
        return None
    log.warning("notice to %s failed: %s", mask(contact), reason)
    return reason


def _record_failure(session, run_id: int, subscription_id: int, reason: str) -> None:
    run = session.get(JobRun, run_id, with_for_update=True, populate_existing=True)
    subscription = session.get(NotifySubscription, subscription_id, populate_existing=True)
    subscription.status, subscription.error = NotifySubscription.FAILED, reason[:500]
    details = dict(run.details)
    details["sent"] -= 1
    details["failed"] += 1
    run.details = details
    session.commit()
