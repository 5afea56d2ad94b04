"""Shopify offline tokens: expiring pairs, one refresh at a time, migration, token exchange.

Public apps must use expiring offline tokens; from 1 January 2027 Shopify refuses Admin API
calls made with non-expiring ones. An expiring token lasts 60 minutes and comes with a refresh
token (90 days) that Shopify replaces at every refresh; apps refresh "a few minutes before they
expire, and when [they] receive a 401 response", and store every refreshed pair atomically.
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens

A refresh response can be lost (timeout, crash before the commit): Shopify keeps the previously
used refresh token usable until the app uses its replacement (at most 30 days), so the stored
pair is simply retried. https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens

Non-expiring tokens already stored are migrated by token exchange without the merchant
(``subject_token`` = the old token); retrying a lost migration within 7 days returns the same
pair. https://shopify.dev/docs/apps/build/authentication-authorization/migrate-to-expiring-offline-access-tokens
https://shopify.dev/changelog/more-resilient-token-exchanges-when-migrating-tokens-without-a-user-session

Every Shopify client built from an installation gets its token from ``fresh_token``: one
refresh at a time per shop across processes (``SELECT … FOR UPDATE`` on the installation row;
whoever waited re-reads the credentials and uses the winner's token instead of spending the
rotated refresh token a second time).
"""

from __future__ import annotations

import datetime as dt
import logging

import requests
from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from connectors.errors import InvalidRequest, Transient, Unauthorized
from connectors.shopify.client import ShopifyClient
from extensions import db
from models import Installation, record_activity

log = logging.getLogger(__name__)

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105
# Refresh when less than this is left ("a few minutes before they expire").
REFRESH_MARGIN = dt.timedelta(minutes=5)
TIMEOUT = 10.0
LOCK_TIMEOUT_MS = 15_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def credentials_from(body: dict, now: dt.datetime | None = None) -> dict:
    """What StockGuard stores (sealed) from a token response: the pair and when each expires."""
    now = now or _now()
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise InvalidRequest("Shopify's token response has no access_token")
    found = {"access_token": token}
    if body.get("refresh_token"):
        found["refresh_token"] = str(body["refresh_token"])
        found["expires_at"] = (now + dt.timedelta(seconds=int(body["expires_in"]))).isoformat()
        if body.get("refresh_token_expires_in") is not None:
            found["refresh_token_expires_at"] = (
                now + dt.timedelta(seconds=int(body["refresh_token_expires_in"]))
            ).isoformat()
    return found


def _request(shop: str, fields: dict) -> dict:
    """POST https://{shop}/admin/oauth/access_token with the app's client credentials."""
    cfg = current_app.config
    body = {
        "client_id": cfg["SHOPIFY_API_KEY"],
        "client_secret": cfg["SHOPIFY_API_SECRET"],
        **fields,
    }
    try:
        resp = requests.post(
            f"https://{shop}/admin/oauth/access_token",
            json=body,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as e:
        # Shopify may have rotated the pair anyway: the stored one is retried next time.
        raise Transient(f"Shopify {shop} token endpoint unreachable: {type(e).__name__}") from e
    if resp.status_code >= 500 or resp.status_code == 429:
        raise Transient(f"Shopify {shop} token endpoint answered {resp.status_code}")
    try:
        payload = resp.json()
    except ValueError as e:
        raise Transient(f"Shopify {shop} token endpoint sent invalid JSON") from e
    if resp.status_code != 200:
        error = payload.get("error") if isinstance(payload, dict) else None
        raise Unauthorized(
            f"Shopify {shop} refused the token request ({error or resp.status_code})",
            status=resp.status_code,
        )
    return payload


def exchange_code(shop: str, code: str) -> dict:
    """Authorization code → expiring offline pair (``expiring=1``). Returns the token response.

    https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    """
    return _request(shop, {"code": code, "expiring": "1"})


def exchange_id_token(shop: str, id_token: str) -> dict:
    """Managed installation: the id_token Shopify opened the app with → expiring offline pair.

    https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
    """
    return _request(
        shop,
        {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": id_token,
            "subject_token_type": ID_TOKEN,
            "requested_token_type": OFFLINE_TOKEN,
            "expiring": "1",
        },
    )


def _refresh(shop: str, refresh_token: str) -> dict:
    return _request(shop, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _migrate(shop: str, token: str) -> dict:
    return _request(
        shop,
        {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": token,
            "subject_token_type": OFFLINE_TOKEN,
            "requested_token_type": OFFLINE_TOKEN,
            "expiring": "1",
        },
    )


def needs_renewal(credentials: dict, failed: str | None = None, now=None) -> bool:
    """No usable token: refused just now, expiring within the margin, or never expiring."""
    token = credentials.get("access_token")
    if not token or token == failed:
        return True
    expires_at = _at(credentials.get("expires_at"))
    if expires_at is None or not credentials.get("refresh_token"):
        return True  # non-expiring: migrate it (Shopify refuses them from 2027)
    return expires_at - (now or _now()) < REFRESH_MARGIN


def usable_now(credentials: dict, failed: str | None = None, now=None) -> bool:
    """The stored token can still be sent: not just refused, and not past its expiry."""
    token = credentials.get("access_token")
    if not token or token == failed:
        return False
    expires_at = _at(credentials.get("expires_at"))
    return expires_at is None or expires_at > (now or _now())


def fresh_token(installation_id: int, failed: str | None = None) -> str:
    """A token Shopify accepts now for the installation, renewing it if needed.

    ``failed`` is a token Shopify just refused (401): it is renewed even if it looks fresh."""
    with Session(db.engine) as session:
        credentials = _credentials(session, installation_id)
        if not needs_renewal(credentials, failed):
            return credentials["access_token"]
    if usable_now(credentials, failed):
        # Still valid for a while (or a non-expiring token before the cut-off): renew only if
        # nobody holds the row. The holder may be this very request (a view that updated the
        # installation, then calls the store): waiting on it would only time out.
        with Session(db.engine) as session, session.begin():
            locked = session.scalar(
                select(Installation)
                .where(Installation.id == installation_id)
                .with_for_update(skip_locked=True)
            )
            if locked is None:
                return credentials["access_token"]
    refused: Unauthorized | None = None
    with Session(db.engine) as session, session.begin():
        if session.bind.dialect.name == "postgresql":
            # Never wait forever: a caller holding the row in its own transaction would block.
            session.execute(text(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))
        try:
            installation = session.scalar(
                select(Installation).where(Installation.id == installation_id).with_for_update()
            )
        except OperationalError as e:
            raise Transient(f"installation {installation_id}: token renewal is busy") from e
        if installation is None or not installation.credentials.get("access_token"):
            raise Unauthorized(f"installation {installation_id} has no Shopify token")
        credentials = installation.credentials
        # Another process may have renewed while we waited for the lock: use its token.
        if not needs_renewal(credentials, failed):
            return credentials["access_token"]
        try:
            renewed, what = _renew(installation.shop_domain, credentials)
        except Unauthorized as e:
            # The refresh token expired or was revoked: only the merchant opening the app
            # again (token exchange) or re-installing gives a new pair.
            record_activity(
                session,
                installation,
                "access",
                "Shopify no longer accepts StockGuard's access: open StockGuard from your "
                "Shopify admin to restore it",
            )
            refused = e
        else:
            installation.credentials = renewed  # committed with the lock: atomically
            if what == "migrated":
                record_activity(
                    session,
                    installation,
                    "access",
                    "StockGuard's access to Shopify now uses expiring tokens (migrated)",
                )
            log.info("Shopify token %s for installation %s", what, installation_id)
            return renewed["access_token"]
    raise refused


def _credentials(session, installation_id: int) -> dict:
    installation = session.get(Installation, installation_id)
    if installation is None:
        raise Unauthorized(f"installation {installation_id} is gone")
    return installation.credentials


def _renew(shop: str, credentials: dict) -> tuple[dict, str]:
    """Refresh the pair, or migrate a non-expiring token: (new credentials, what was done).

    A timeout raises ``Transient`` and nothing is saved: Shopify may have rotated the pair, and
    keeps the stored refresh token (or the migrated token's exchange) usable for the retry."""
    if credentials.get("refresh_token"):
        return credentials_from(_refresh(shop, credentials["refresh_token"])), "refreshed"
    return credentials_from(_migrate(shop, credentials["access_token"])), "migrated"


def client_for(installation: Installation, *, timeout: float = 10.0) -> ShopifyClient:
    """The Admin API client of an installation: its token always comes from ``fresh_token``."""
    installation_id = installation.id
    return ShopifyClient(
        installation.shop_domain,
        token_source=lambda failed=None: fresh_token(installation_id, failed),
        timeout=timeout,
    )


def migrate_all() -> dict[str, int]:
    """Migrate every active installation still holding a non-expiring token (CLI / schedule)."""
    with Session(db.engine) as session:
        ids = session.scalars(
            select(Installation.id).where(
                Installation.platform == "shopify", Installation.status == Installation.ACTIVE
            )
        ).all()
    counts = {"migrated": 0, "already_expiring": 0, "failed": 0}
    for installation_id in ids:
        with Session(db.engine) as session:
            credentials = _credentials(session, installation_id)
        if credentials.get("refresh_token"):
            counts["already_expiring"] += 1
            continue
        try:
            fresh_token(installation_id)
            counts["migrated"] += 1
        except (Unauthorized, Transient) as e:
            log.warning("migration of installation %s failed: %s", installation_id, e)
            counts["failed"] += 1
    return counts
