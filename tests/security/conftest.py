"""Tenants for the abuse suite: two stores, each owning one of every kind of object the admin
API and the storefront API can reach, and ways to prove a request left a store's rows alone."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from dataclasses import dataclass, field

import jwt
import pytest
from sqlalchemy import func, or_, select

from models import (
    ActivityEntry,
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Availability,
    Base,
    Installation,
    JobRun,
    Listing,
    NotifySubscription,
    ProductPolicy,
    Restock,
    Sku,
    StockPool,
    Supplier,
)
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET

# Ad platforms must never be reached for real from this suite: a closed loopback port.
NOWHERE = "http://127.0.0.1:9"
NO_AD_PLATFORMS = {"META_GRAPH_URL": NOWHERE, "TIKTOK_API_URL": NOWHERE, "ADS_HTTP_TIMEOUT": 1.0}


@dataclass
class Tenant:
    """One store and the ids of what it owns, named as the admin API's URL parameters."""

    installation_id: int
    pool_id: int
    shop: str
    tag: str  # in every identifier a caller may type (SKU codes, product refs, names)
    private: str  # in every text only this store's merchant may read
    ids: dict = field(default_factory=dict)


def make_tenant(session, tag: str, sandbox=None) -> Tenant:
    """A Shopify store ``{tag}.myshopify.com`` with a SKU, listings, a job, a supplier, a
    restock, a product policy, a notify-me sign-up, availability, and an ad account with an
    object, a link and an action awaiting approval. With ``sandbox``, the store exists there
    and StockGuard holds a real token for it."""
    shop = f"{tag}.myshopify.com"
    private = f"{tag}-private"
    token, location = "shpat_" + "x" * 32, "gid://shopify/Location/1"
    if sandbox is not None:
        created = sandbox.create_shop(shop, name=f"Store {private}")
        token = sandbox.issue_token(shop, ["write_inventory", "write_products"])
        location = f"gid://shopify/Location/{created.primary_location_id}"
    pool = StockPool(name=f"pool {private}", settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform="shopify",
        shop_domain=shop,
        name=f"Store {private}",
        status="active",
        pool_id=pool.id,
        settings={
            "location_ref": location,
            "location_name": f"Depot {private}",
            "storefront_origins": [f"https://{shop}"],
        },
    )
    inst.credentials = {"access_token": token}
    session.add(inst)
    session.flush()
    sku = Sku(pool_id=pool.id, key=f"{tag}-tee", sku=f"{tag.upper()}-TEE", name=f"Tee {private}")
    sku.on_hand = 7
    other = Sku(pool_id=pool.id, key=f"{tag}-mug", sku=f"{tag.upper()}-MUG", name=private)
    session.add_all([sku, other])
    session.flush()
    listing = Listing(
        installation_id=inst.id,
        pool_id=pool.id,
        sku_id=sku.id,
        external_id=f"gid://shopify/ProductVariant/{tag}-1",
        product_ref=f"gid://shopify/Product/{tag}-1",
        level_ref=f"gid://shopify/InventoryLevel/{tag}-1",
        sku=sku.sku,
        title=f"Tee {private}",
        product_title=f"Tee {private}",
        status=Listing.LINKED,
        channel_quantity=7,
        public_id=str(zlib.crc32(tag.encode())),
        product_public_id=str(zlib.crc32(tag.encode() + b"p")),
        url=f"/products/{tag}-tee",
        details={},
    )
    unmatched = Listing(
        installation_id=inst.id,
        pool_id=pool.id,
        external_id=f"gid://shopify/ProductVariant/{tag}-2",
        product_ref=f"gid://shopify/Product/{tag}-2",
        level_ref=f"gid://shopify/InventoryLevel/{tag}-2",
        title=f"No SKU {private}",
        status=Listing.UNMATCHED,
        channel_quantity=3,
        details={},
    )
    session.add_all([listing, unmatched])
    session.flush()
    run = JobRun(installation_id=inst.id, kind="import", status="done", message=private)
    supplier = Supplier(pool_id=pool.id, name=f"Supplier {tag}", email=f"{private}@example.com")
    session.add_all([run, supplier])
    session.flush()
    restock = Restock(
        pool_id=pool.id,
        sku_id=sku.id,
        supplier_id=supplier.id,
        quantity=5,
        expected_on=dt.date.today() + dt.timedelta(days=9),
        status=Restock.OPEN,
        reference=f"PO-{tag}",
    )
    policy = ProductPolicy(
        installation_id=inst.id,
        product_ref=listing.product_ref,
        mode="badge",
        hide_restore={},
        preorder_restore={},
    )
    signup = NotifySubscription(
        installation_id=inst.id,
        listing_id=listing.id,
        variant_id=listing.public_id,
        contact=f"{private}@example.com",
        channel="email",
        locale="en",
        consent=True,
        status=NotifySubscription.WAITING,
    )
    row = Availability(
        installation_id=inst.id,
        listing_id=listing.id,
        variant_id=listing.public_id,
        product_id=listing.product_public_id,
        state=Availability.OUT_OF_STOCK,
        available=0,
        notify=True,
        alternatives=[],
        version=time.time_ns(),
    )
    account = AdAccount(
        pool_id=pool.id,
        installation_id=inst.id,
        platform="meta",
        account_ref=f"act_{tag}",
        name=f"Ads {private}",
        mode=AdAccount.APPROVE,
    )
    account.credentials = {"access_token": f"meta-{private}", "app_secret": private}
    session.add_all([restock, policy, signup, row, account])
    session.flush()
    obj = AdObject(
        pool_id=pool.id,
        account_id=account.id,
        level="ad_set",
        ref=f"{tag}-adset",
        name=f"Ad set {private}",
        status="active",
        daily_budget=5000,
        destination_urls=[f"https://{shop}/products/{tag}-tee"],
        policy={},
    )
    session.add(obj)
    session.flush()
    link = AdLink(pool_id=pool.id, ad_object_id=obj.id, sku_id=sku.id)
    action = AdAction(
        pool_id=pool.id,
        account_id=account.id,
        ad_object_id=obj.id,
        kind=AdAction.PAUSE,
        state=AdAction.AWAITING,
        mode=AdAccount.APPROVE,
        reason=f"stock low {private}",
        stock=[],
    )
    entry = ActivityEntry(installation_id=inst.id, kind="test", message=f"hello {private}")
    session.add_all([link, action, entry])
    session.commit()
    return Tenant(
        installation_id=inst.id,
        pool_id=pool.id,
        shop=shop,
        tag=tag,
        private=private,
        ids={
            "run_id": run.id,
            "listing_id": unmatched.id,
            "linked_listing_id": listing.id,
            "account_id": account.id,
            "object_id": obj.id,
            "link_id": link.id,
            "action_id": action.id,
            "restock_id": restock.id,
            "supplier_id": supplier.id,
            "sku_id": sku.id,
            "other_sku_id": other.id,
            "sku": sku.sku,
            "other_sku": other.sku,
            "supplier": supplier.name,
            "product": listing.product_ref,
            "variant": listing.public_id,
            "product_public": listing.product_public_id,
            "location_ref": location,
        },
    )


@pytest.fixture
def app(make_app):
    """The suite's app, with the ad platforms pointed at a closed port."""
    return make_app(**NO_AD_PLATFORMS)


@pytest.fixture
def tenants(app, db_session) -> tuple[Tenant, Tenant]:
    """Store A (the caller) and store B (the victim), in the database only."""
    return make_tenant(db_session, "alpha"), make_tenant(db_session, "zzbeta")


@pytest.fixture
def live_tenants(app, db_session, shopify_sandbox) -> tuple[Tenant, Tenant]:
    """Store A and store B, both in the Shopify sandbox too (for routes that call the store)."""
    return make_tenant(db_session, "alpha", shopify_sandbox), make_tenant(
        db_session, "zzbeta", shopify_sandbox
    )


# --------------------------------------------------------------------------- proving nothing moved


def owned_rows(tenant: Tenant) -> dict[str, list[tuple]]:
    """Every row of every table that belongs to ``tenant`` (its installation or its pool), read
    on a connection of its own (committed data only)."""
    from extensions import db

    out: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        sku_ids = select(Sku.id).where(Sku.pool_id == tenant.pool_id)
        for table in Base.metadata.sorted_tables:
            c = table.c
            if table.name == "installation":
                where = c.id == tenant.installation_id
            elif table.name == "stock_pool":
                where = c.id == tenant.pool_id
            elif "installation_id" in c and "pool_id" in c:
                where = or_(
                    c.installation_id == tenant.installation_id, c.pool_id == tenant.pool_id
                )
            elif "installation_id" in c:
                where = c.installation_id == tenant.installation_id
            elif "pool_id" in c:
                where = c.pool_id == tenant.pool_id
            elif "bundle_id" in c:
                where = c.bundle_id.in_(sku_ids)
            else:
                continue
            order = list(table.primary_key.columns)
            out[table.name] = [
                tuple(r) for r in conn.execute(select(table).where(where).order_by(*order))
            ]
    return out


def table_counts() -> dict[str, int]:
    """Rows per table, on a connection of its own."""
    from extensions import db

    tables = Base.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with db.engine.connect() as conn:
        return dict(zip((t.name for t in tables), conn.execute(query).one(), strict=True))


# --------------------------------------------------------------------------- credentials


def panel_auth(app, tenant: Tenant) -> dict:
    from views.admin_api import panel_token

    with app.test_request_context():
        return {"Authorization": f"Bearer {panel_token(tenant.installation_id)}"}


def session_token(shop: str, *, secret=SHOPIFY_API_SECRET, algorithm="HS256", **changes) -> str:
    """A Shopify App Bridge session token for ``shop`` (claims changed by ``changes``)."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": SHOPIFY_API_KEY,
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": "abuse",
        "sid": "abuse",
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm=algorithm)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


WOO_SECRET = "woo-webhook-secret-" + "s" * 16


def make_woo(session, store: str = "https://woo.example.com") -> Installation:
    """A WooCommerce store with StockGuard connected (no sandbox behind it)."""
    pool = StockPool(name=store, settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform="woocommerce", shop_domain=store, name="woo", status="active", pool_id=pool.id
    )
    inst.credentials = {
        "consumer_key": "ck_" + "a" * 40,
        "consumer_secret": "cs_" + "b" * 40,
        "webhook_secret": WOO_SECRET,
    }
    session.add(inst)
    session.commit()
    return inst


def woo_headers(body: bytes, topic: str = "product.updated", secret: str = WOO_SECRET) -> dict:
    import base64
    import hashlib
    import hmac

    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": signature.decode(),
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Delivery-ID": "1",
    }
