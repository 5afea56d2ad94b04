"""What the engine needs from a platform, in platform-neutral terms.

A storefront platform (Shopify, WooCommerce, ...) provides a ``StorefrontConnector``: install
routes, webhook verification, topic parsing into neutral events, and webhook registration. The
engine in ``sync/`` sees only these types; no ``if platform == ...`` outside ``connectors/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from flask import Blueprint, Request

    from models import Installation


# --------------------------------------------------------------------------- inbound webhooks


class WebhookRejected(Exception):
    """A delivery we refuse: ``status`` is the HTTP answer (400, 401, 404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class VerifiedWebhook:
    """A delivery whose signature checked out, ready to be recorded in the inbox."""

    platform: str
    installation_id: int | None
    topic: str
    dedupe_key: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Acknowledge:
    """A request to answer 200 without recording: activation ping, topic we don't handle."""

    reason: str


# --------------------------------------------------------------------------- neutral events


@dataclass(frozen=True)
class AppUninstalled:
    """The merchant removed StockGuard from the store."""


@dataclass(frozen=True)
class AccessChanged:
    """The store changed what StockGuard may access: ``granted`` now, ``missing`` of what
    StockGuard requires (empty when nothing is missing)."""

    granted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopRedacted:
    """The platform asks us to erase everything we hold about the store."""


@dataclass(frozen=True)
class CustomerRedacted:
    """Erase what we hold about one customer of the store."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerDataRequested:
    """A customer asked the merchant what data is held about them."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    request_id: str | None = None


# What the engine stores from an event: ids and versions in VARCHAR(255) / VARCHAR(64)
# columns, units in INTEGER ones. An event that breaks these comes from a payload nobody can
# use; refusing it here (ValueError while parsing) settles the delivery instead of failing in
# the database on every retry.
MAX_UNITS = 2**31 - 1


def check_ref(name: str, value, *, optional: bool = False, limit: int = 255) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise ValueError(f"{name} {str(value)[:80]!r} is not an id")


def check_units(name: str, value, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if type(value) is not int or not -MAX_UNITS <= value <= MAX_UNITS:
        raise ValueError(f"{name} {str(value)[:80]!r} is not a number of units")


@dataclass(frozen=True)
class StockLine:
    """One order line as it touches stock: which listing, how many units."""

    line_ref: str
    external_id: str | None  # the listing's variant id, when the channel names it
    level_ref: str | None  # or the id its stock level lives under
    quantity: int

    def __post_init__(self):
        check_ref("line id", self.line_ref)
        check_ref("variant id", self.external_id, optional=True)
        check_ref("level id", self.level_ref, optional=True)
        check_units("quantity", self.quantity)


@dataclass(frozen=True)
class OrderSold:
    """A channel took stock for an order (Shopify: every line of orders/create)."""

    order_ref: str
    lines: tuple[StockLine, ...]
    placed_at: str | None = None
    gateway: str | None = None

    def __post_init__(self):
        check_ref("order id", self.order_ref)


@dataclass(frozen=True)
class OrderRestocked:
    """Units of an order went back into the channel's stock (cancel, refund with restock)."""

    order_ref: str
    restock_ref: str
    lines: tuple[StockLine, ...]

    def __post_init__(self):
        check_ref("order id", self.order_ref)
        check_ref("refund id", self.restock_ref)


@dataclass(frozen=True)
class OrderStockSnapshot:
    """How many units each line of an order holds taken off stock now (WooCommerce's
    ``_reduced_stock``). ``version`` orders snapshots; an older one is ignored."""

    order_ref: str
    version: str
    lines: tuple[StockLine, ...]
    status: str | None = None
    gateway: str | None = None
    created_at: str | None = None  # when the order was placed (ISO 8601; None: not told)

    def __post_init__(self):
        check_ref("order id", self.order_ref)
        if self.version != "":  # no modification stamp at all: oldest of all
            check_ref("order version", self.version, limit=64)


@dataclass(frozen=True)
class LevelObserved:
    """The channel reports a listing's level changed (it may be our own write coming back)."""

    level_ref: str
    external_id: str | None = None
    quantity: int | None = None
    observed_at: str | None = None
    location_ref: str | None = None  # where the level is (None: the channel has one)
    sku: str | None = None  # the listing's SKU as the channel now has it (None: not told)

    def __post_init__(self):
        check_ref("level id", self.level_ref)
        check_ref("variant id", self.external_id, optional=True)
        check_units("level", self.quantity, optional=True)


@dataclass(frozen=True)
class ProductChanged:
    """A product changed on the channel (SKU, variants, tracking); its listings are re-read
    unless ``variants`` ((external id, sku, barcode), ...) shows nothing we track changed."""

    product_ref: str
    variants: tuple[tuple[str, str | None, str | None], ...] | None = None

    def __post_init__(self):
        check_ref("product id", self.product_ref)


@dataclass(frozen=True)
class ProductDeleted:
    product_ref: str

    def __post_init__(self):
        check_ref("product id", self.product_ref)


Event = (
    AppUninstalled
    | ShopRedacted
    | CustomerRedacted
    | CustomerDataRequested
    | OrderSold
    | OrderRestocked
    | OrderStockSnapshot
    | LevelObserved
    | ProductChanged
    | ProductDeleted
)


# --------------------------------------------------------------------------- catalog and levels


@dataclass(frozen=True)
class ChannelLocation:
    ref: str
    name: str
    primary: bool = False


@dataclass(frozen=True)
class CatalogItem:
    """A sellable variant as a channel lists it."""

    external_id: str
    product_ref: str
    level_ref: str
    sku: str | None
    barcode: str | None
    title: str
    quantity: int | None  # at the pool's location; None when the channel doesn't track it
    tracked: bool = True
    requires_components: bool = False
    product_type: str | None = None
    handle: str | None = None
    details: dict = field(default_factory=dict)
    # What a storefront theme knows the variant and product by (Shopify: legacy numeric ids;
    # WooCommerce: post ids), the product's own title and its page (absolute or shop-relative).
    public_id: str | None = None
    product_public_id: str | None = None
    product_title: str | None = None
    url: str | None = None
    # The selling price in minor units of ``currency`` (the store's ISO 4217 code); None when
    # the channel shows none.
    price_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ListingRef:
    """What a connector needs to find a listing's level again."""

    listing_id: int
    external_id: str
    product_ref: str | None
    level_ref: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LevelWrite:
    listing: ListingRef
    quantity: int
    expected: int | None  # what we believe the channel shows now (compare-and-set)


@dataclass(frozen=True)
class LevelWriteResult:
    listing_id: int
    written: bool
    actual: int | None = None  # when not written: what the channel shows instead
    error: str | None = None


@dataclass(frozen=True)
class WebhookRegistration:
    """What a connector registered on the platform for one installation."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Disconnection:
    """What ``disconnect`` did on the platform, and what only the merchant can do there
    (``steps``: language code → text, English always present; empty when nothing is left)."""

    removed: list[str] = field(default_factory=list)
    steps: dict[str, str] = field(default_factory=dict)
    # False when the platform disconnects apps itself (the merchant uninstalls there and the
    # platform tells us): then nothing was changed and ``steps`` says where to do it.
    done: bool = True


class StorefrontConnector(Protocol):
    """One storefront platform, as the engine and the web layer see it."""

    platform: ClassVar[str]
    display_name: ClassVar[str]
    # Configuration the platform needs when it is enabled (config.py requires them in
    # production, STOCKGUARD_PLATFORMS says which platforms are enabled).
    config_keys: ClassVar[tuple[str, ...]]
    # True when write_levels is atomic compare-and-set on the platform; False when it can only
    # re-read before writing (a sale between the read and the write can be overwritten).
    compare_and_set: ClassVar[bool]

    def blueprint(self) -> Blueprint:
        """Install routes (mounted under ``/auth/<platform>``)."""

    def frame_ancestors(self, shop: str | None) -> str:
        """The CSP ``frame-ancestors`` sources allowed to frame the admin panel of ``shop`` (a
        store the request proved): the platform's admin when it embeds apps, else ``'none'``."""

    def store_address(self, value: str | None) -> str | None:
        """A store's address as the merchant typed it, normalised as installations name it
        (``shop_domain``), or None when it is not one of this platform's store addresses."""

    def authenticate_admin(self, request: Request) -> str | None:
        """The store an admin-panel request proves, or None."""

    def install_from_admin(
        self, request: Request, shop: str, installation: Installation | None
    ) -> str | None:
        """Make the proven ``shop`` ready for its panel before it renders: finish an install
        the platform made itself (the request carries what the platform granted), or return a
        URL to send the merchant to first (e.g. to grant access StockGuard lost); None when
        there is nothing to do. Raises ``ConnectorError`` when the platform refuses."""

    def verify_webhook(
        self, request: Request, installation_id: int | None
    ) -> VerifiedWebhook | Acknowledge:
        """Check signature and shape; raise ``WebhookRejected`` to refuse the delivery."""

    def parse_webhook(self, topic: str, payload: dict) -> list[Event] | None:
        """Neutral events for a recorded delivery; ``None`` when no handler exists for the topic."""

    def register_webhooks(self, installation: Installation) -> WebhookRegistration:
        """Make the platform's subscriptions for ``installation`` match what we need."""

    def disconnect(self, installation: Installation) -> Disconnection:
        """Remove what StockGuard set up on the store (its webhooks) while the credential still
        works; the caller then forgets the credential."""

    def reconnect_url(self, installation: Installation) -> str:
        """Where the merchant starts the install again for this store (app-relative path)."""

    def locations(self, installation: Installation) -> list[ChannelLocation]:
        """Where the channel keeps stock; the primary one first."""

    def catalog(self, installation: Installation, location_ref: str) -> Iterator[list[CatalogItem]]:
        """Every sellable variant, a page at a time, with its level at ``location_ref``."""

    def product_items(
        self, installation: Installation, product_ref: str, location_ref: str
    ) -> list[CatalogItem] | None:
        """One product's variants now; None when the product no longer exists."""

    def read_levels(
        self, installation: Installation, listings: list[ListingRef], location_ref: str
    ) -> dict[int, int | None]:
        """Current level per listing id (None: untracked or gone)."""

    def write_levels(
        self, installation: Installation, writes: list[LevelWrite], location_ref: str
    ) -> list[LevelWriteResult]:
        """Set levels without overwriting a change made on the channel meanwhile."""

    def read_order(self, installation: Installation, order_ref: str) -> OrderStockSnapshot | None:
        """The order's stock state now, for channels that report orders as snapshots."""

    def orders_since(
        self, installation: Installation, since: dt.datetime
    ) -> Iterator[list[OrderStockSnapshot]]:
        """Snapshots of every order modified after ``since``, for the reconcile to catch the
        orders whose webhooks never came (channels that never retry a failed delivery); no
        pages for channels that report orders as deltas and retry their deliveries."""

    # ----------------------------------------------------------------- storefront

    def storefront_origins(self, installation: Installation) -> list[str]:
        """Origins (``https://host[:port]``) the store's pages are served from (CORS); the
        address shoppers know the store by (its primary domain) comes last."""

    def product_hidden(self, installation: Installation, product_ref: str) -> bool | None:
        """Whether the product is hidden from the online store now; None when it is gone."""

    def hide_product(self, installation: Installation, product_ref: str) -> dict:
        """Hide the product from the online store (its page stays reachable by its address
        where the platform allows); returns what ``show_product`` needs to undo exactly that."""

    def show_product(self, installation: Installation, product_ref: str, restore: dict) -> bool:
        """Undo ``hide_product``. False (and nothing written) when the product is no longer
        hidden the way StockGuard hid it: the merchant changed it since, so it is theirs."""

    def set_backorders(
        self, installation: Installation, product_ref: str, allow: bool, restore: dict | None
    ) -> dict:
        """Keep selling the product's variants at zero stock (pre-order) or stop; returns what
        to pass as ``restore`` to undo it (the variants' previous policy)."""


@contextmanager
def _calls_for(installation):
    """Name the installation on a failure of its calls (the engine reacts per store)."""
    try:
        yield
    except ConnectorError as e:
        if e.installation_id is None:
            e.installation_id = installation.id
        raise


class ModuleConnector:
    """A storefront connector assembled from its platform package's modules.

    Subclasses name ``auth`` (blueprint ``bp``, ``authenticate_admin``), ``webhooks`` (``verify``,
    ``parse``, ``register``, ``unregister``), ``inventory`` (catalog, levels and orders) and
    ``storefront`` (origins, visibility, pre-order) modules. Every call made for an installation
    raises its ``ConnectorError`` with ``installation_id`` set.
    """

    config_keys: ClassVar[tuple[str, ...]] = ()

    def blueprint(self):
        return self.auth.bp

    def store_address(self, value):
        return self.auth.normalize_store(value)

    def authenticate_admin(self, request):
        return self.auth.authenticate_admin(request)

    def install_from_admin(self, request, shop, installation):
        # Platforms whose installs always go through their own routes have nothing to do here.
        hook = getattr(self.auth, "install_from_admin", None)
        return hook(request, shop, installation) if hook else None

    def verify_webhook(self, request, installation_id):
        return self.webhooks.verify(request, installation_id)

    def parse_webhook(self, topic, payload):
        return self.webhooks.parse(topic, payload)

    def register_webhooks(self, installation):
        with _calls_for(installation):
            return self.webhooks.register(installation)

    def locations(self, installation):
        with _calls_for(installation):
            return self.inventory.locations(installation)

    def catalog(self, installation, location_ref):
        return _tagged_pages(
            installation, lambda: self.inventory.catalog(installation, location_ref)
        )

    def product_items(self, installation, product_ref, location_ref):
        with _calls_for(installation):
            return self.inventory.product_items(installation, product_ref, location_ref)

    def read_levels(self, installation, listings, location_ref):
        with _calls_for(installation):
            return self.inventory.read_levels(installation, listings, location_ref)

    def write_levels(self, installation, writes, location_ref):
        with _calls_for(installation):
            return self.inventory.write_levels(installation, writes, location_ref)

    def read_order(self, installation, order_ref):
        with _calls_for(installation):
            return self.inventory.read_order(installation, order_ref)

    def orders_since(self, installation, since):
        return _tagged_pages(installation, lambda: self.inventory.orders_since(installation, since))

    def storefront_origins(self, installation):
        with _calls_for(installation):
            return self.storefront.storefront_origins(installation)

    def product_hidden(self, installation, product_ref):
        with _calls_for(installation):
            return self.storefront.product_hidden(installation, product_ref)

    def hide_product(self, installation, product_ref):
        with _calls_for(installation):
            return self.storefront.hide_product(installation, product_ref)

    def show_product(self, installation, product_ref, restore):
        with _calls_for(installation):
            return self.storefront.show_product(installation, product_ref, restore)

    def set_backorders(self, installation, product_ref, allow, restore):
        with _calls_for(installation):
            return self.storefront.set_backorders(installation, product_ref, allow, restore)

    def disconnect(self, installation):
        with _calls_for(installation):
            return self.webhooks.unregister(installation)


def _tagged_pages(installation, pages):
    with _calls_for(installation):
        yield from pages()


# --------------------------------------------------------------------------- ad platforms

# The levels an ad platform organises its objects in, in neutral words: Meta campaign / ad set /
# ad, TikTok campaign / ad group / ad, Google Ads campaign / ad group / ad.
CAMPAIGN, AD_SET, AD = "campaign", "ad_set", "ad"
AD_LEVELS = (CAMPAIGN, AD_SET, AD)

# An ad object's delivery status in neutral words. ``raw_status`` keeps the platform's own.
ACTIVE, PAUSED, REMOVED, OTHER = "active", "paused", "removed", "other"


@dataclass(frozen=True)
class CredentialField:
    """One field of an ad platform's connect form."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class AdAccountInfo:
    """What a "test connection" read of the account tells the merchant."""

    ref: str  # the account as the platform names it (act_…, advertiser id, customer id)
    name: str
    currency: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class AdObjectInfo:
    """A campaign, ad set (ad group) or ad as the platform lists it."""

    level: str  # CAMPAIGN | AD_SET | AD
    ref: str  # the platform's id of the object
    name: str
    status: str  # ACTIVE | PAUSED | REMOVED | OTHER: what the merchant (or we) set
    raw_status: str | None = None
    parent_ref: str | None = None  # the campaign of an ad set, the ad set of an ad
    # Daily budget in the account currency's minor units (cents); None when the object has none
    # of its own (Meta ad sets under a campaign budget, ads).
    daily_budget: int | None = None
    # Where the budget lives when it is an object of its own (Google Ads campaign budgets).
    budget_ref: str | None = None
    # Landing pages the object's ads send shoppers to, where the API exposes them: links to
    # products are suggested from these.
    destination_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdWriteResult:
    """How one object's status or budget change went."""

    ref: str
    ok: bool
    gone: bool = False  # the object no longer exists (deleted on the platform)
    error: str | None = None


class AdConnector(Protocol):
    """One ad platform, as the engine sees it. Calls raise ``connectors.errors`` types for
    whole-call failures: ``Unauthorized`` (expired or revoked token), ``RateLimited`` (after
    the connector's own short backoff), ``Transient`` (5xx, timeouts), ``InvalidRequest``."""

    platform: ClassVar[str]
    display_name: ClassVar[str]
    # The levels whose status StockGuard may change on this platform.
    levels: ClassVar[tuple[str, ...]]
    # How many daily-budget changes the platform allows per object and hour (Meta: 4 per ad
    # set); None: no limit StockGuard must keep.
    budget_changes_per_hour: ClassVar[int | None]
    credential_fields: ClassVar[tuple[CredentialField, ...]]

    def parse_credentials(self, form: dict) -> tuple[str, dict]:
        """(account ref, credentials to seal) from the connect form; raise ``InvalidRequest``
        whose ``errors`` name each bad field (``{"field": ..., "message": ...}``)."""

    def test_connection(self, account_ref: str, credentials: dict) -> AdAccountInfo:
        """Read the account itself: proves the credentials reach it."""

    def list_objects(self, account_ref: str, credentials: dict) -> Iterator[list[AdObjectInfo]]:
        """Every campaign, ad set and ad of the account, a page at a time."""

    def read_objects(
        self, account_ref: str, credentials: dict, objects: list[tuple[str, str]]
    ) -> dict[str, AdObjectInfo | None]:
        """Current state of ``(level, ref)`` objects, by ref; None for an object that is gone."""

    def set_status(
        self, account_ref: str, credentials: dict, level: str, refs: list[str], active: bool
    ) -> list[AdWriteResult]:
        """Pause (``active=False``) or resume objects of one level; one result per ref."""

    def set_daily_budget(
        self, account_ref: str, credentials: dict, obj: AdObjectInfo, amount: int
    ) -> AdWriteResult:
        """Set the object's daily budget (minor units) where ``obj.budget_ref`` or the object
        itself holds it."""
