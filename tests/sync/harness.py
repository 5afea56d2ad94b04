"""Two real stores — the Shopify and WooCommerce sandboxes — connected to one stock pool.

Everything goes through HTTP as in production: installs, catalog imports, webhooks, pushes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from models import Installation, JobRun, Listing, Movement, Sku, StockPool, sku_key
from tests.conftest import wait_for
from tests.connectors.shopify.helpers import install as shopify_install
from tests.connectors.woocommerce.helpers import connect as woo_connect

PUBLIC = "https://stockguard.example"
SHOP = "mirror-store.myshopify.com"


@dataclass
class Stores:
    app: object
    shopify: object
    woo: object
    shopify_id: int = 0
    woo_id: int = 0
    pool_id: int = 0
    shopify_variants: dict = field(default_factory=dict)  # sku -> variant dict
    woo_products: dict = field(default_factory=dict)  # sku -> product dict

    # ------------------------------------------------------------------ reading the world

    def shopify_level(self, sku: str) -> int:
        return self.shopify.available(SHOP, self.shopify_variants[sku]["inventory_item_id"])

    def woo_level(self, sku: str) -> int:
        from sandbox.woocommerce.store import stock_amount

        product = self.woo.store.product(self.woo_products[sku]["id"])
        return stock_amount(product.stock_quantity) if product else None

    def session(self):
        from extensions import db

        db.session.remove()
        return db.session

    def sku(self, sku: str) -> Sku:
        with self.app.app_context():
            session = self.session()
            row = session.scalar(
                select(Sku).where(Sku.pool_id == self.pool_id, Sku.key == sku_key(sku))
            )
            session.expunge_all()
            return row

    def available(self, sku: str) -> int:
        from sync import ledger

        with self.app.app_context():
            session = self.session()
            row = session.scalar(
                select(Sku).where(Sku.pool_id == self.pool_id, Sku.key == sku_key(sku))
            )
            return ledger.available(session, row)

    def movements(self, kind: str | None = None) -> list[Movement]:
        with self.app.app_context():
            session = self.session()
            query = select(Movement).where(Movement.pool_id == self.pool_id).order_by(Movement.id)
            if kind:
                query = query.where(Movement.kind == kind)
            rows = session.scalars(query).all()
            session.expunge_all()
            return rows

    def idle(self, timeout: float = 20.0) -> None:
        backend = self.app.extensions["jobs"]
        deadline = time.monotonic() + timeout
        # Deliveries can arrive while jobs run: wait until both sides are quiet.
        while time.monotonic() < deadline:
            left = max(0.1, deadline - time.monotonic())
            try:
                self.woo.wait_for_deliveries(timeout=min(5.0, left))
            except TimeoutError:
                continue  # a loaded machine: keep waiting until the deadline
            assert backend.wait_idle(timeout=max(0.1, deadline - time.monotonic()))
            time.sleep(0.15)
            if backend.wait_idle(timeout=0.05) and self.woo.dispatcher._pending == 0:
                return
        raise AssertionError("jobs did not settle")

    def converge(self, expected: dict[str, int], timeout: float = 20.0) -> None:
        """Wait until the ledger and both channels show ``expected`` available per SKU."""

        def state():
            return {
                sku: (self.available(sku), self.shopify_level(sku), self.woo_level(sku))
                for sku in expected
            }

        def done():
            now = state()
            if not all(v == (expected[s],) * 3 for s, v in now.items()):
                return False
            # Matching now is not enough: deliveries may still be on their way.
            self.idle()
            return all(v == (expected[s],) * 3 for s, v in state().items())

        try:
            wait_for(done, timeout=timeout, interval=0.1)
        except AssertionError:
            moves = "\n".join(
                f"  {m.kind:<10} {m.on_hand_delta:+d} -> {m.on_hand_after:+d} {m.note or m.external_ref}"
                for m in self.movements()
            )
            raise AssertionError(
                f"no convergence to {expected}: (ledger, shopify, woo) = {state()}\n{moves}"
            ) from None


def connect(
    app,
    shopify,
    woo,
    stock: dict[str, tuple[int, int]],
    *,
    loopback: str,
    settle_seconds=0.3,
    before_install=None,
) -> Stores:
    """Shopify store and WooCommerce store, each with ``{sku: (shopify qty, woo qty)}``.

    Shopify is installed first (its stock seeds the pool), then WooCommerce joins the pool
    through a "connect another store" link, as a merchant would. ``before_install(stores)``
    runs once the products exist, before StockGuard is installed anywhere.
    """
    from extensions import db
    from sync.pools import link_token
    from views.admin_api import panel_token

    # Shopify only accepts public HTTPS addresses: the app calls itself PUBLIC, and both
    # sandboxes route what they send there to the app's loopback server.
    assert app.config["APP_URL"] == PUBLIC
    shopify.route_callbacks(PUBLIC, loopback)
    woo.route_callbacks(PUBLIC, loopback)
    stores = Stores(app, shopify, woo)
    shopify.create_shop(SHOP, name="Mirror Store", currency="EUR")
    for sku, (on_shopify, on_woo) in stock.items():
        product = shopify.create_product(
            SHOP, f"Product {sku}", variants=[{"sku": sku, "available": on_shopify}]
        )
        stores.shopify_variants[sku] = product["variants"][0]
        # WooCommerce spells the SKU differently (case, spaces): matching must not care.
        stores.woo_products[sku] = woo.create_product(
            f"Product {sku}", sku=f" {sku.lower()} ", stock_quantity=on_woo
        )
    if before_install is not None:
        before_install(stores)
    woo.wait_for_deliveries(timeout=5)

    client = app.test_client()
    assert shopify_install(client, SHOP).status_code == 302
    with app.app_context():
        session = db.session
        stores.shopify_id = Installation.find(session, "shopify", SHOP).id
        stores.pool_id = Installation.find(session, "shopify", SHOP).pool_id
        pool = session.get(StockPool, stores.pool_id)
        pool.settings = {**(pool.settings or {}), "settle_seconds": settle_seconds}
        session.commit()
        with app.test_request_context():
            token = link_token(stores.pool_id, "woocommerce", woo.base_url)
    _wait_import(app, stores.shopify_id)

    final = woo_connect(client, woo, pool=token)
    assert "success=1" in final, woo.last_auth_error
    with app.app_context():
        stores.woo_id = Installation.find(db.session, "woocommerce", woo.base_url).id
    _wait_import(app, stores.woo_id)
    # The pool link only invites: the store's admin accepts sharing stock in its own panel.
    with app.test_request_context():
        panel = {"Authorization": f"Bearer {panel_token(stores.woo_id)}"}
    accepted = client.post("/admin/api/pool/invitation", json={"accept": True}, headers=panel)
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    with app.app_context():
        assert Installation.find(db.session, "woocommerce", woo.base_url).pool_id == stores.pool_id
    _wait_import(app, stores.woo_id)
    stores.idle()
    return stores


def _wait_import(app, installation_id: int) -> None:
    from extensions import db

    def done():
        with app.app_context():
            db.session.remove()
            run = db.session.scalar(
                select(JobRun)
                .where(JobRun.installation_id == installation_id, JobRun.kind == "import")
                .order_by(JobRun.id.desc())
            )
            if run is not None and run.status == JobRun.FAILED:
                raise AssertionError(f"import failed: {run.message}")
            return run is not None and run.status == JobRun.DONE

    wait_for(done, timeout=30, message="catalog import did not finish")


def listing_status(app, installation_id: int) -> dict[str, str]:
    from extensions import db

    with app.app_context():
        db.session.remove()
        return {
            row.sku: row.status
            for row in db.session.scalars(
                select(Listing).where(Listing.installation_id == installation_id)
            )
        }


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
