"""Webhook subscriptions: the ``webhookSubscription*`` queries and mutations.

Payloads and userErrors follow ``captures/2026-04/webhooks/`` (conformance, uri validation,
scheme allowlist, whitespace, byte size, duplicate address). Only HTTPS endpoints are modelled;
Pub/Sub and EventBridge URIs are refused as unsupported protocols.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .registry import REGISTRY, RequestContext, SandboxUnimplemented, paginate
from .state import WebhookSubscription, iso, parse_gid, utcnow

ADDRESS = ["webhookSubscription", "callbackUrl"]
MAX_ADDRESS_BYTES = 65535
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
SHOPIFY_DOMAINS = ("shopify.com", "myshopify.com", "shopify.io", "shopifycloud.com", "shop.app")


def subscription_object(sub: WebhookSubscription) -> dict:
    endpoint = {"__typename": "WebhookHttpEndpoint", "callbackUrl": sub.uri}
    return {
        "__typename": "WebhookSubscription",
        "id": sub.id,
        "legacyResourceId": str(sub.legacy_id),
        "topic": sub.topic,
        "format": sub.format,
        "includeFields": list(sub.include_fields),
        "metafieldNamespaces": list(sub.metafield_namespaces),
        "metafields": [],
        "filter": sub.filter,
        "name": sub.name,
        "uri": sub.uri,
        "callbackUrl": sub.uri,
        "endpoint": endpoint,
        "apiVersion": {
            "handle": sub.api_version,
            "displayName": sub.api_version,
            "supported": True,
        },
        "createdAt": iso(sub.created_at),
        "updatedAt": iso(sub.updated_at),
    }


def _sort_value(sub: WebhookSubscription) -> str:
    return sub.created_at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _search(subs: list[WebhookSubscription], query: str | None) -> list[WebhookSubscription]:
    """The ``query`` argument: ``id:`` and ``topic:`` terms; anything else is not modelled."""
    for term in (query or "").split():
        field, _, value = term.partition(":")
        if field == "id":
            subs = [s for s in subs if str(s.legacy_id) == value]
        elif field == "topic":
            subs = [s for s in subs if s.topic.lower() == value.replace("/", "_").lower()]
        else:
            raise SandboxUnimplemented(f"webhookSubscriptions(query:) term {term!r}")
    return subs


def _filtered(ctx: RequestContext, args: dict) -> list[WebhookSubscription]:
    subs = list(ctx.shop.webhook_subscriptions)
    if args.get("topics"):
        subs = [s for s in subs if s.topic in args["topics"]]
    for name in ("uri", "callbackUrl"):
        if args.get(name):
            subs = [s for s in subs if s.uri == args[name]]
    if args.get("format"):
        subs = [s for s in subs if s.format == args["format"]]
    return _search(subs, args.get("query"))


@REGISTRY.query("webhookSubscriptions")
def resolve_webhook_subscriptions(ctx: RequestContext, info, **args) -> dict:
    subs = _filtered(ctx, args)
    if args.get("sortKey", "CREATED_AT") == "ID":
        subs.sort(key=lambda s: s.legacy_id)
    else:
        subs.sort(key=lambda s: (s.created_at, s.legacy_id))
    if args.get("reverse"):
        subs.reverse()
    return paginate(
        subs,
        key=lambda s: s.legacy_id,
        sort_value=_sort_value,
        node=subscription_object,
        first=args.get("first"),
        after=args.get("after"),
        last=args.get("last"),
        before=args.get("before"),
    )


@REGISTRY.query("webhookSubscriptionsCount")
def resolve_webhook_subscriptions_count(ctx: RequestContext, info, **args) -> dict:
    count = len(_search(list(ctx.shop.webhook_subscriptions), args.get("query")))
    limit = args.get("limit")
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


@REGISTRY.query("webhookSubscription")
def resolve_webhook_subscription(ctx: RequestContext, info, id: str) -> dict | None:
    sub = ctx.shop.subscription(id)
    return subscription_object(sub) if sub else None


@REGISTRY.node("WebhookSubscription")
def find_webhook_subscription(ctx: RequestContext, legacy_id: str) -> dict | None:
    sub = next((s for s in ctx.shop.webhook_subscriptions if str(s.legacy_id) == legacy_id), None)
    return subscription_object(sub) if sub else None


# --------------------------------------------------------------------------- validation


def _user_error(field: list[str], message: str) -> dict:
    return {"field": field, "message": message}


def _internal_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    if any(host == d or host.endswith("." + d) for d in SHOPIFY_DOMAINS):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def address_errors(uri: str) -> list[dict]:
    """Shopify's userErrors for a subscription address (captured wording)."""
    if not uri:
        return [_user_error(ADDRESS, "Address can't be blank")]
    if len(uri.encode()) > MAX_ADDRESS_BYTES:
        return [_user_error(ADDRESS, "Address is too big (maximum is 64 KB)")]
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", uri)
    if scheme_match is None:
        return [_user_error(ADDRESS, "Address is invalid")]
    scheme = scheme_match.group(1).lower()
    if scheme != "https":
        return [_user_error(ADDRESS, f"Address protocol {scheme}:// is not supported")]
    host = urlsplit(uri).hostname
    if not host:
        return [_user_error(ADDRESS, "Address is invalid")]
    if _internal_host(host):
        return [_user_error(ADDRESS, "Address cannot be a Shopify or an internal domain")]
    return []


def _name_errors(ctx: RequestContext, name: str | None, current: WebhookSubscription | None):
    if name is None:
        return []
    if name == "":
        return [
            _user_error(
                ["webhookSubscription", "name"], "Name is too short (minimum is 1 character)"
            )
        ]
    if not NAME_RE.match(name):
        return [
            _user_error(
                ["webhookSubscription", "name"],
                "Name name field can only contain alphanumeric characters, underscores, and hyphens",
            )
        ]
    if any(s.name == name and s is not current for s in ctx.shop.webhook_subscriptions):
        return [
            _user_error(
                ["webhookSubscription", "name"], "Name already exists, no duplicate allowed"
            )
        ]
    return []


def _uri_from(data: dict) -> str:
    # `callbackUrl` is the deprecated spelling of `uri`; Shopify trims surrounding whitespace.
    return str(data.get("uri") or data.get("callbackUrl") or "").strip()


def _taken(ctx, topic: str, uri: str, current: WebhookSubscription | None) -> list[dict]:
    for sub in ctx.shop.webhook_subscriptions:
        if sub is not current and sub.topic == topic and sub.uri == uri:
            return [_user_error(ADDRESS, "Address for this topic has already been taken")]
    return []


def _payload(sub: WebhookSubscription | None, errors: list[dict]) -> dict:
    return {
        "webhookSubscription": subscription_object(sub) if sub and not errors else None,
        "userErrors": errors,
    }


@REGISTRY.mutation("webhookSubscriptionCreate")
def create_webhook_subscription(ctx: RequestContext, info, topic: str, webhookSubscription: dict):
    data = webhookSubscription
    uri = _uri_from(data)
    with ctx.sandbox.lock:
        errors = address_errors(uri) or _taken(ctx, topic, uri, None)
        errors += _name_errors(ctx, data.get("name"), None)
        if errors:
            return _payload(None, errors)
        now = utcnow()
        sub = WebhookSubscription(
            legacy_id=ctx.sandbox.ids.next(),
            topic=topic,
            uri=uri,
            format=data.get("format") or "JSON",
            include_fields=list(data.get("includeFields") or []),
            metafield_namespaces=list(data.get("metafieldNamespaces") or []),
            filter=data.get("filter"),
            name=data.get("name"),
            api_version=ctx.api_version,
            created_at=now,
            updated_at=now,
        )
        ctx.shop.webhook_subscriptions.append(sub)
    return _payload(sub, [])


@REGISTRY.mutation("webhookSubscriptionUpdate")
def update_webhook_subscription(ctx: RequestContext, info, id: str, webhookSubscription: dict):
    data = webhookSubscription
    with ctx.sandbox.lock:
        sub = ctx.shop.subscription(id) if parse_gid(id) else None
        if sub is None:
            return _payload(None, [_user_error(["id"], "Webhook subscription does not exist")])
        uri = _uri_from(data) if ("uri" in data or "callbackUrl" in data) else sub.uri
        errors = address_errors(uri) or _taken(ctx, sub.topic, uri, sub)
        errors += _name_errors(ctx, data.get("name"), sub)
        if errors:
            return _payload(None, errors)
        sub.uri = uri
        if data.get("format"):
            sub.format = data["format"]
        if "includeFields" in data:
            sub.include_fields = list(data["includeFields"] or [])
        if "metafieldNamespaces" in data:
            sub.metafield_namespaces = list(data["metafieldNamespaces"] or [])
        if "filter" in data:
            sub.filter = data["filter"]
        if "name" in data:
            sub.name = data["name"]
        sub.updated_at = utcnow()
    return _payload(sub, [])


@REGISTRY.mutation("webhookSubscriptionDelete")
def delete_webhook_subscription(ctx: RequestContext, info, id: str) -> dict:
    with ctx.sandbox.lock:
        sub = ctx.shop.subscription(id)
        if sub is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [_user_error(["id"], "Webhook subscription does not exist")],
            }
        ctx.shop.webhook_subscriptions.remove(sub)
    return {"deletedWebhookSubscriptionId": sub.id, "userErrors": []}
