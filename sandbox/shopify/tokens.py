"""Offline access tokens as Shopify issues them now: expiring pairs, refresh, token exchange.

What the sandbox does, and the page that says so:

- Expiring offline tokens last 60 minutes and come with a refresh token that lives 90 days;
  only one expiring token is active per app and shop: acquiring a new one revokes the others.
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
  https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
  (response: ``access_token``, ``expires_in`` 3600, ``refresh_token``, plus
  ``refresh_token_expires_in`` and ``scope``).
- A refresh (``grant_type=refresh_token``) rotates the refresh token. The previously used one
  stays usable until the app uses its replacement, at most 30 days after its first use and never
  past its 90 days (a lost refresh response can be recovered by retrying the stored token).
  https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens
- Token exchange of an ``id_token`` (HS256, app secret, ``aud`` = client id, ``dest`` = the shop;
  a bad one answers 400) for an offline token, ``expiring=1`` for an expiring pair.
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
- Migration: token exchange with ``subject_token`` = the non-expiring offline token and
  ``subject_token_type`` = ``urn:shopify:params:oauth:token-type:offline-access-token``. The old
  token stops working; retrying the same exchange within 7 days returns the same pair (until the
  pair is refreshed or replaced).
  https://shopify.dev/docs/apps/build/authentication-authorization/migrate-to-expiring-offline-access-tokens
  https://shopify.dev/changelog/more-resilient-token-exchanges-when-migrating-tokens-without-a-user-session
- From 1 January 2027 Admin API calls with non-expiring offline tokens of public apps get error
  responses (the sandbox answers them as Shopify answers any refused token: 401).
  ``ShopifySandbox.now`` is the sandbox's wall clock: a test moves it past the cut-off.

Error bodies are OAuth 2.0's (RFC 6749 §5.2): ``{"error": "invalid_grant", ...}`` for a refresh
or subject token Shopify no longer accepts, ``invalid_subject_token`` for a bad id_token. The
exact descriptions are assumed (no capture of them was found).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from .sandbox import ShopifySandbox
    from .state import Shop

ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600
REFRESH_RECOVERY = dt.timedelta(days=30)
MIGRATION_RECOVERY = dt.timedelta(days=7)
NON_EXPIRING_CUTOFF = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TOKEN = "urn:shopify:params:oauth:token-type:online-access-token"


@dataclass
class TokenPair:
    """One expiring offline token and its refresh token."""

    shop_domain: str
    access_token: str
    refresh_token: str
    scopes: list[str]
    expires_at: dt.datetime
    refresh_expires_at: dt.datetime
    # Set when the refresh token was used: when, and the pair it produced.
    used_at: dt.datetime | None = None
    replaced_by: TokenPair | None = None
    retired: bool = False  # its replacement's refresh token was used, or a new grant replaced it


@dataclass
class TokenBook:
    """The sandbox app's expiring pairs, per shop (mutated under ``ShopifySandbox.lock``)."""

    pairs: dict[str, TokenPair] = field(default_factory=dict)  # by refresh token
    by_access: dict[str, TokenPair] = field(default_factory=dict)
    # Non-expiring token → (the pair it was migrated to, when), for the 7-day retry.
    migrations: dict[str, tuple[TokenPair, dt.datetime]] = field(default_factory=dict)
    refresh_requests: int = 0


def error(code: str, description: str) -> tuple[int, dict]:
    return 400, {"error": code, "error_description": description}


def _body(pair: TokenPair, now: dt.datetime) -> dict:
    return {
        "access_token": pair.access_token,
        "expires_in": max(0, int((pair.expires_at - now).total_seconds())),
        "refresh_token": pair.refresh_token,
        "refresh_token_expires_in": max(0, int((pair.refresh_expires_at - now).total_seconds())),
        "scope": ",".join(pair.scopes),
    }


def issue_pair(
    sb: ShopifySandbox, shop: Shop, scopes: list[str], *, refreshed: TokenPair | None = None
) -> TokenPair:
    """A new expiring pair; every other expiring token of the app on the shop is revoked.

    ``refreshed`` is the pair whose refresh token was used: its access token goes, its refresh
    token stays usable for recovery (see the module docstring)."""
    now = sb.now()
    book = sb.tokens
    for old in [p for p in book.pairs.values() if p.shop_domain == shop.myshopify_domain]:
        if old.access_token in shop.access_tokens:
            shop.access_tokens.discard(old.access_token)
            shop.revoked_tokens.add(old.access_token)
        if old is not refreshed:
            old.retired = True
    pair = TokenPair(
        shop_domain=shop.myshopify_domain,
        access_token="shpat_" + secrets.token_hex(16),
        refresh_token="shprt_" + secrets.token_hex(24),
        scopes=list(scopes),
        expires_at=now + dt.timedelta(seconds=sb.access_token_ttl),
        refresh_expires_at=now + dt.timedelta(seconds=REFRESH_TOKEN_TTL),
    )
    book.pairs[pair.refresh_token] = pair
    book.by_access[pair.access_token] = pair
    shop.installed = True
    shop.access_tokens.add(pair.access_token)
    shop.token_scopes[pair.access_token] = list(scopes)
    return pair


def grant_body(sb: ShopifySandbox, shop: Shop, scopes: list[str]) -> dict:
    """Answer an authorization-code or token-exchange grant that asked ``expiring=1``."""
    return _body(issue_pair(sb, shop, scopes), sb.now())


def refresh(sb: ShopifySandbox, shop: Shop, params: dict) -> tuple[int, dict]:
    """``grant_type=refresh_token``: a new pair; the old refresh token is kept for recovery."""
    refresh_token = str(params.get("refresh_token") or "")
    now = sb.now()
    book = sb.tokens
    book.refresh_requests += 1
    pair = book.pairs.get(refresh_token)
    if pair is not None and pair.shop_domain != shop.myshopify_domain:
        pair = None
    if pair is None or pair.retired or pair.refresh_expires_at <= now:
        return error("invalid_grant", "Refresh token is invalid, expired or revoked")
    if pair.used_at is not None and now - pair.used_at > REFRESH_RECOVERY:
        return error("invalid_grant", "Refresh token is invalid, expired or revoked")
    if pair.used_at is None:
        pair.used_at = now
    # Using a refresh token retires the one it replaced (the app has clearly saved this one).
    for older in book.pairs.values():
        if older.replaced_by is pair:
            older.retired = True
    # The migration retry window ends once the migrated pair is refreshed.
    for original, (migrated, _at) in list(book.migrations.items()):
        if migrated is pair:
            del book.migrations[original]
    new = issue_pair(sb, shop, pair.scopes, refreshed=pair)
    pair.replaced_by = new
    return 200, _body(new, now)


def exchange(sb: ShopifySandbox, shop: Shop, params: dict) -> tuple[int, dict]:
    """``grant_type=urn:ietf:params:oauth:grant-type:token-exchange``."""
    subject_type = str(params.get("subject_token_type") or "")
    requested = str(params.get("requested_token_type") or "")
    subject = str(params.get("subject_token") or "")
    expiring = str(params.get("expiring") or "0") == "1"
    if requested not in (OFFLINE_TOKEN, ONLINE_TOKEN):
        return error("invalid_request", "requested_token_type is not supported")
    if subject_type == ID_TOKEN:
        if not _id_token_ok(sb, shop, subject):
            return error("invalid_subject_token", "Session token is invalid or expired")
        scopes = list(sb.app_scopes)
        if requested == OFFLINE_TOKEN and expiring:
            return 200, grant_body(sb, shop, scopes)
        token = sb.issue_token(shop.myshopify_domain, scopes)
        return 200, {"access_token": token, "scope": ",".join(scopes)}
    if subject_type == OFFLINE_TOKEN and requested == OFFLINE_TOKEN and expiring:
        return migrate(sb, shop, subject)
    return error("invalid_request", "subject_token_type is not supported")


def migrate(sb: ShopifySandbox, shop: Shop, token: str) -> tuple[int, dict]:
    """Exchange a non-expiring offline token for an expiring pair (retry-safe for 7 days)."""
    now = sb.now()
    book = sb.tokens
    done = book.migrations.get(token)
    if done is not None:
        pair, at = done
        if now - at <= MIGRATION_RECOVERY and not pair.retired and pair.used_at is None:
            if pair.expires_at <= now:  # Shopify extends the access token, not the refresh
                pair.expires_at = now + dt.timedelta(seconds=sb.access_token_ttl)
            return 200, _body(pair, now)
        return error("invalid_grant", "Subject token is invalid or revoked")
    if token not in shop.access_tokens or token in book.by_access or not token.startswith("shpat_"):
        return error("invalid_grant", "Subject token is invalid or revoked")
    pair = issue_pair(sb, shop, shop.token_scopes.get(token, []))
    shop.access_tokens.discard(token)  # the original stops working for the Admin API
    shop.revoked_tokens.add(token)
    book.migrations[token] = (pair, now)
    return 200, _body(pair, now)


def _id_token_ok(sb: ShopifySandbox, shop: Shop, token: str) -> bool:
    """Shopify's checks on an id_token: HS256 with the app secret, aud, dest, exp/nbf."""
    try:
        claims = jwt.decode(
            token,
            sb.api_secret,
            algorithms=["HS256"],
            audience=sb.api_key,
            leeway=10,
            options={"require": ["exp", "nbf", "iss", "dest", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        return False
    dest = str(claims.get("dest", ""))
    return hmac.compare_digest(dest.encode(), f"https://{shop.myshopify_domain}".encode())


def admin_refusal(sb: ShopifySandbox, token: str) -> bool:
    """True when the Admin API must refuse ``token`` although it belongs to the shop."""
    now = sb.now()
    pair = sb.tokens.by_access.get(token)
    if pair is not None:
        return pair.expires_at <= now
    # A non-expiring offline token (online tokens start with shpua_).
    return token.startswith("shpat_") and now >= sb.non_expiring_cutoff


def id_token(sb: ShopifySandbox, shop_domain: str, *, ttl: int = 60, **overrides) -> str:
    """The id_token Shopify puts on the app URL when it opens the app (tests use this)."""
    now = int(sb.now().timestamp())
    claims = {
        "iss": f"https://{shop_domain}/admin",
        "dest": f"https://{shop_domain}",
        "aud": sb.api_key,
        "sub": "902541635",
        "exp": now + ttl,
        "nbf": now - 1,
        "iat": now,
        "jti": secrets.token_hex(8),
        "sid": secrets.token_hex(8),
    }
    secret = overrides.pop("secret", sb.api_secret)
    claims.update(overrides)
    return jwt.encode(claims, secret, algorithm="HS256")
