"""The authorization code grant as a Shopify store runs it.

https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
Error bodies: an unknown/used code answers ``{"error":"invalid_request","error_description":"The
authorization code was not found or was already used"}`` (quoted verbatim in client issue
trackers, e.g. nozzlegear/ShopifySharp#70).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from . import tokens
from .state import AuthorizationCode, Shop

if TYPE_CHECKING:
    from .sandbox import ShopifySandbox

CODE_TTL_SECONDS = 600  # Shopify codes are short-lived; ~10 minutes is what apps see.
ONLINE_TOKEN_TTL_SECONDS = 86399

CODE_NOT_FOUND = "The authorization code was not found or was already used"


def _signable_pairs(params: dict[str, object]):
    # Same escaping as Shopify (and shopify_python_api's calculate_hmac) so tampering shows.
    for key, value in params.items():
        if key == "hmac":
            continue
        if key.endswith("[]"):
            key = key[:-2]
            value = json.dumps([str(v) for v in value])  # type: ignore[union-attr]
        key = str(key).replace("%", "%25").replace("=", "%3D")
        value = str(value).replace("%", "%25")
        yield f"{key}={value}".replace("&", "%26")


def query_hmac(params: dict[str, object], secret: str) -> str:
    """Hex HMAC-SHA256 of the other params sorted and joined ``k=v&…`` (OAuth redirect)."""
    message = "&".join(sorted(_signable_pairs(params)))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def admin_host_param(shop: Shop) -> str:
    """The ``host`` redirect param: base64 of ``admin.shopify.com/store/{handle}``, unpadded."""
    raw = f"admin.shopify.com/store/{shop.handle}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


def error_page(message: str) -> str:
    """Shopify shows a plain HTML page for authorize errors (no redirect back to the app)."""
    return (
        "<!DOCTYPE html><html><head><title>Oauth error</title></head><body>"
        f"<h1>Oauth error invalid_request: {html.escape(message)}</h1></body></html>"
    )


def consent_page(shop: Shop, scopes: list[str]) -> str:
    items = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    return (
        "<!DOCTYPE html><html><head><title>Install app</title></head><body>"
        f"<h1>Install app on {html.escape(shop.name)}</h1><ul>{items}</ul>"
        "<p>sandbox: auto_grant is off, so nobody clicks Install.</p></body></html>"
    )


def parse_scopes(scope: str) -> list[str]:
    seen: list[str] = []
    for part in (scope or "").split(","):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


@dataclass
class AuthorizeOutcome:
    status: int
    location: str | None = None
    html: str | None = None


def authorize(sb: ShopifySandbox, shop: Shop, args) -> AuthorizeOutcome:
    """Answer ``GET /admin/oauth/authorize``: error page, consent page, or a signed redirect."""
    client_id = args.get("client_id", "")
    if not hmac.compare_digest(client_id.encode(), sb.api_key.encode()):
        return AuthorizeOutcome(
            400, html=error_page(f"Could not find Shopify API application with api_key {client_id}")
        )
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri:
        return AuthorizeOutcome(400, html=error_page("The redirect_uri is missing"))
    if sb.allowed_redirect_uris is not None and redirect_uri not in sb.allowed_redirect_uris:
        return AuthorizeOutcome(400, html=error_page("The redirect_uri is not whitelisted"))
    scopes = parse_scopes(args.get("scope", ""))
    if not sb.auto_grant:
        return AuthorizeOutcome(200, html=consent_page(shop, scopes))

    online = "per-user" in args.getlist("grant_options[]")
    code = secrets.token_hex(16)
    with sb.lock:
        sb.authorization_codes[code] = AuthorizationCode(
            code=code,
            shop_domain=shop.myshopify_domain,
            client_id=client_id,
            scopes=scopes,
            online=online,
            issued_at=sb.clock(),
        )
    params: dict[str, object] = {
        "code": code,
        "host": admin_host_param(shop),
        "shop": shop.myshopify_domain,
        "timestamp": str(int(time.time())),
    }
    if "state" in args:
        params["state"] = args["state"]
    params["hmac"] = query_hmac(params, sb.api_secret)
    ordered = {k: params[k] for k in sorted(params)}
    separator = "&" if "?" in redirect_uri else "?"
    return AuthorizeOutcome(302, location=f"{redirect_uri}{separator}{urlencode(ordered)}")


def _oauth_error(error: str, description: str) -> tuple[int, dict]:
    return 400, {"error": error, "error_description": description}


def _client_error(sb: ShopifySandbox, params: dict) -> tuple[int, dict] | None:
    client_id = str(params.get("client_id") or "")
    client_secret = str(params.get("client_secret") or "")
    if not hmac.compare_digest(client_id.encode(), sb.api_key.encode()):
        return _oauth_error(
            "invalid_request", f"Could not find Shopify API application with api_key {client_id}"
        )
    if not hmac.compare_digest(client_secret.encode(), sb.api_secret.encode()):
        # Shape assumed (OAuth 2.0 RFC 6749 §5.2); no capture of this exact body was found.
        return _oauth_error("invalid_client", "Client authentication failed")
    return None


def client_checked(sb: ShopifySandbox, params: dict, grant, shop: Shop) -> tuple[int, dict]:
    """Check the app's client credentials, then answer ``grant`` (refresh, token exchange)."""
    refused = _client_error(sb, params)
    if refused is not None:
        return refused
    return grant(sb, shop, params)


def exchange_code(sb: ShopifySandbox, shop: Shop, params: dict) -> tuple[int, dict]:
    """Answer ``POST /admin/oauth/access_token`` with a token or Shopify's error body.

    ``expiring=1`` asks for an expiring offline token and its refresh token (offline grants).
    """
    client_id = str(params.get("client_id") or "")
    code = str(params.get("code") or "")
    refused = _client_error(sb, params)
    if refused is not None:
        return refused
    with sb.lock:
        grant = sb.authorization_codes.get(code)
        expired = grant is not None and sb.clock() - grant.issued_at > CODE_TTL_SECONDS
        if (
            grant is None
            or grant.used
            or expired
            or grant.shop_domain != shop.myshopify_domain
            or grant.client_id != client_id
        ):
            return _oauth_error("invalid_request", CODE_NOT_FOUND)
        grant.used = True
        if not grant.online and str(params.get("expiring") or "0") == "1":
            return 200, tokens.grant_body(sb, shop, grant.scopes)
        token = sb.issue_token(shop.myshopify_domain, grant.scopes, online=grant.online)
    body: dict = {"access_token": token, "scope": ",".join(grant.scopes)}
    if grant.online:
        body.update(
            {
                "expires_in": ONLINE_TOKEN_TTL_SECONDS,
                "associated_user_scope": ",".join(grant.scopes),
                "associated_user": {
                    "id": 902541635,
                    "first_name": "John",
                    "last_name": "Smith",
                    "email": shop.email,
                    "email_verified": True,
                    "account_owner": True,
                    "locale": "en",
                    "collaborator": False,
                },
            }
        )
    return 200, body
