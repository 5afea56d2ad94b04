"""Fuzzing fixtures: one real world per test function, reused by every Hypothesis example.

Hypothesis runs many examples inside one test call, and pytest's function-scoped fixtures are
set up once for all of them; so each test builds its world once (fixtures below) and runs its
``@given`` function inside the test body, wiping after each example what that example wrote.

Under ``CI=true`` Hypothesis runs its ``ci`` profile: derandomized (the same examples on every
run, so a CI failure reproduces locally with ``CI=true``) and no example database. Elsewhere
each run explores new examples. ``FUZZ_EXAMPLES=500`` runs a deeper hunt.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from extensions import db
from models import Installation, Listing, WebhookDelivery
from tests.sync.harness import PUBLIC, Stores, connect

FIXTURES = Path(__file__).parent / "fixtures"
STOCK = {"FZ-TEE": (40, 40), "FZ-MUG": (25, 25), "FZ-CAP": (3, 3)}


def fixture(platform: str, name: str) -> dict:
    return json.loads((FIXTURES / platform / f"{name}.json").read_text())


def fresh_random() -> None:
    """Reseed the global ``random`` from the OS at the start of an example.

    Hypothesis seeds it identically for every example; the ``woocommerce`` library draws its
    OAuth 1.0a nonces from it, so each example's first request to the store would repeat the
    last one's nonce and be refused (as WooCommerce refuses a replayed nonce)."""
    random.seed()


def numeric(ref: str | None) -> int | None:
    """``gid://shopify/ProductVariant/19`` or ``19`` → 19."""
    if not ref:
        return None
    tail = ref.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


@dataclass
class World:
    """Shopify + WooCommerce sandboxes sharing one stock pool, and what fuzzing needs of them."""

    app: object
    stores: Stores
    listings: dict = field(default_factory=dict)  # listing id -> (status, sku_id)
    # per platform: [(variant/product id, product id, level id)] of the linked listings
    ids: dict = field(default_factory=dict)
    woo_secret: str = ""

    @property
    def client(self):
        return self.app.test_client()

    def installation_id(self, platform: str) -> int:
        return self.stores.shopify_id if platform == "shopify" else self.stores.woo_id

    def location(self, platform: str) -> int | None:
        """The numeric id of the store's location that feeds the pool."""
        with self.app.app_context():
            installation = db.session.get(Installation, self.installation_id(platform))
            ref = (installation.settings or {}).get("location_ref")
            db.session.remove()
        return numeric(ref)

    def idle(self, timeout: float = 20.0) -> None:
        """Jobs done and the WooCommerce store's own deliveries (echoes of pushes) processed.

        The store queues a delivery when a push commits, before it answers the push; the app
        enqueues the delivery's job before it answers the delivery: so once both are quiet
        at the same moment, nothing is left in flight."""
        backend, woo = self.app.extensions["jobs"], self.stores.woo
        deadline = time.monotonic() + timeout
        while True:
            assert backend.wait_idle(max(0.1, deadline - time.monotonic())), "jobs still busy"
            woo.wait_for_deliveries(timeout=max(0.1, deadline - time.monotonic()))
            if backend.wait_idle(0.01) and woo.dispatcher._pending == 0:
                return

    def wipe_example(self) -> None:
        """Forget what one example wrote that would change the next one's ground: the inbox
        (the sweeper and settles look at it) and listings a products/delete unlinked. The
        ledger stays: its invariants must hold over every example together."""
        self.idle()
        with self.app.app_context():
            session = db.session
            session.execute(delete(WebhookDelivery))
            for listing_id, (status, sku_id) in self.listings.items():
                session.execute(
                    update(Listing)
                    .where(Listing.id == listing_id)
                    .values(status=status, sku_id=sku_id, push_pending=False)
                )
            session.commit()
            session.remove()


@pytest.fixture
def world(live_app, shopify_sandbox, woo_sandbox) -> World:
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    stores = connect(
        live_app, shopify_sandbox, woo_sandbox, STOCK, loopback=loopback, settle_seconds=0.05
    )
    stores.idle()
    found = World(live_app, stores)
    with live_app.app_context():
        session = db.session
        for row in session.scalars(select(Listing).order_by(Listing.id)):
            found.listings[row.id] = (row.status, row.sku_id)
            if row.status == Listing.LINKED:
                platform = session.get(Installation, row.installation_id).platform
                found.ids.setdefault(platform, []).append(
                    (numeric(row.external_id), numeric(row.product_ref), numeric(row.level_ref))
                )
        woo = session.get(Installation, stores.woo_id)
        found.woo_secret = woo.credentials["webhook_secret"]
        session.remove()
    assert len(found.ids["shopify"]) == len(found.ids["woocommerce"]) == len(STOCK)
    return found


# --------------------------------------------------------------------------- ledger invariants


def ledger_figures(app) -> dict[int, tuple[int, int, int, int, int]]:
    """Per SKU: (on_hand, committed, sum of on-hand deltas, sum of committed deltas, movements)."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT s.id, s.on_hand, s.committed,"
                " COALESCE(SUM(m.on_hand_delta), 0), COALESCE(SUM(m.committed_delta), 0),"
                " COUNT(m.id)"
                " FROM sku s LEFT JOIN movement m ON m.sku_id = s.id"
                " GROUP BY s.id, s.on_hand, s.committed ORDER BY s.id"
            )
        ).all()
        db.session.remove()
    return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}


def assert_ledger_consistent(app) -> dict:
    """Every SKU's stock is the sum of its movements, each movement's ``on_hand_after`` the
    running total, and nothing is committed below zero. Returns the figures."""
    figures = ledger_figures(app)
    for sku_id, (on_hand, committed, moved, committed_moved, _count) in figures.items():
        assert on_hand == moved, f"SKU {sku_id}: on_hand {on_hand} != sum of movements {moved}"
        assert committed == committed_moved, f"SKU {sku_id}: committed {committed} drifted"
        assert committed >= 0, f"SKU {sku_id}: committed {committed} < 0"
    with app.app_context():
        rows = db.session.execute(
            text("SELECT sku_id, on_hand_delta, on_hand_after FROM movement ORDER BY sku_id, id")
        ).all()
        db.session.remove()
    running: dict[int, int] = {}
    for sku_id, delta, after in rows:
        running[sku_id] = running.get(sku_id, 0) + delta
        assert running[sku_id] == after, f"SKU {sku_id}: on_hand_after {after} breaks the chain"
    return figures


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def sweepable(app) -> list[int]:
    """What the inbox sweeper would enqueue again now."""
    from sync import inbox

    with app.app_context():
        ids = inbox.pending_older_than(-60)
        db.session.remove()
    return ids


# --------------------------------------------------------------------------- storefront


@pytest.fixture
def badge_shop(live_app, shopify_sandbox):
    """The storefront API's shop (tests/storefront_api): a Shopify store with StockGuard
    installed and its catalog imported; rate limits off (they have their own tests)."""
    from tests.storefront_api.conftest import open_shop
    from views.storefront import cache

    loopback = live_app.config["APP_URL"]
    live_app.config.update(APP_URL=PUBLIC, STOREFRONT_RATE_LIMIT=0, NOTIFY_RATE_LIMIT=0)
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    cache.clear()
    yield open_shop(live_app, shopify_sandbox)
    cache.clear()


def row_counts(app) -> dict[str, int]:
    """Rows in every table, in one round trip: "leaves no row behind" for any request."""
    from models import Base

    names = [t.name for t in Base.metadata.sorted_tables]
    query = " UNION ALL ".join(f"SELECT '{n}', COUNT(*) FROM {n}" for n in names)
    with app.app_context():
        counts = dict(db.session.execute(text(query)).all())
        db.session.remove()
    return counts
