"""What the Shopify sandbox remembers: shops, app installations, tokens, codes, subscriptions.

Plain dataclasses, mutated only under ``ShopifySandbox.lock``. Field names follow Shopify's own
vocabulary (``myshopify_domain``, ``callback_url``) so assertions read like the platform docs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import Catalog

API_VERSION = "2026-04"

# Rate limits per plan (points restored per second); the bucket holds at most 2,000 points.
# https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
RESTORE_RATES = {"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}
BUCKET_SIZE = 2000

# What `shop { plan { … } }` answers for each rate-limit tier.
PLAN_DISPLAY = {
    "standard": ("Basic", False),
    "advanced": ("Advanced", False),
    "plus": ("Plus", True),
    "enterprise": ("Plus", True),
}

SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
GID_RE = re.compile(r"^gid://shopify/([A-Za-z]+)/([^/?#]+)(\?.*)?$")


def _new_catalog() -> Catalog:
    from .catalog import Catalog  # catalog.py imports this module

    return Catalog()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """Format like the Admin API's DateTime scalar: ``2026-05-07T00:39:20Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gid(resource: str, legacy_id: int | str) -> str:
    return f"gid://shopify/{resource}/{legacy_id}"


def parse_gid(value: str) -> tuple[str, str] | None:
    """``gid://shopify/WebhookSubscription/12`` → ``("WebhookSubscription", "12")``."""
    match = GID_RE.match(value or "")
    return (match.group(1), match.group(2)) if match else None


def topic_enum(rest_topic: str) -> str:
    """``orders/create`` → ``ORDERS_CREATE`` (the GraphQL WebhookSubscriptionTopic value)."""
    return re.sub(r"[/.]", "_", rest_topic).upper()


class IdSequence:
    """Monotonic legacy ids in the 13-digit range real stores use (1929113141554, …)."""

    def __init__(self, start: int = 1_900_000_000_000, step: int = 32_768):
        self._counter = itertools.count(start, step)

    def next(self) -> int:
        return next(self._counter)


@dataclass
class WebhookSubscription:
    """An API-created subscription (``webhookSubscriptionCreate``); TOML ones are not listed."""

    legacy_id: int
    topic: str  # WebhookSubscriptionTopic enum value, e.g. "ORDERS_CREATE"
    uri: str
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    metafield_namespaces: list[str] = field(default_factory=list)
    filter: str | None = None
    name: str | None = None
    api_version: str = API_VERSION
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def id(self) -> str:
        return gid("WebhookSubscription", self.legacy_id)

    @property
    def callback_url(self) -> str:
        return self.uri


@dataclass
class AuthorizationCode:
    """A code handed to the app's redirect_uri: single use, valid ~10 minutes."""

    code: str
    shop_domain: str
    client_id: str
    scopes: list[str]
    online: bool
    issued_at: float  # sandbox clock seconds
    used: bool = False


@dataclass
class Shop:
    """One store, and the state of our app's installation in it."""

    myshopify_domain: str
    name: str
    currency: str
    legacy_id: int
    email: str
    plan: str
    primary_location_id: int
    created_at: dt.datetime = field(default_factory=utcnow)
    # The online store's primary domain: the myshopify domain until the merchant connects one.
    primary_domain_id: int = 0
    custom_domain: str | None = None
    installed: bool = False
    access_tokens: set[str] = field(default_factory=set)
    revoked_tokens: set[str] = field(default_factory=set)
    token_scopes: dict[str, list[str]] = field(default_factory=dict)
    webhook_subscriptions: list[WebhookSubscription] = field(default_factory=list)
    catalog: Catalog = field(default_factory=_new_catalog)

    @property
    def domain(self) -> str:
        return self.myshopify_domain

    @property
    def id(self) -> str:
        return gid("Shop", self.legacy_id)

    @property
    def primary_host(self) -> str:
        return self.custom_domain or self.myshopify_domain

    @property
    def handle(self) -> str:
        """``teststore`` for ``teststore.myshopify.com``; admin URLs use it."""
        return self.myshopify_domain.split(".", 1)[0]

    def subscription(self, subscription_gid: str) -> WebhookSubscription | None:
        return next((s for s in self.webhook_subscriptions if s.id == subscription_gid), None)


@dataclass
class ReceivedRequest:
    """One request the sandbox answered, for assertions on what the client really sent."""

    method: str
    host: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, Any] | None = None
    graphql_query: str | None = None
    graphql_variables: dict[str, Any] | None = None
    graphql_operation_name: str | None = None
    status: int | None = None
    fault: str | None = None  # set when an injected fault answered instead of the handler
