"""The demo's world: the five sandboxes, StockGuard on loopback, and the merchant's first steps.

Everything a newcomer watches goes through the real paths: Shopify OAuth and WooCommerce app
authorization against the sandboxes, catalog imports, signed webhooks, the admin panel's API over
HTTP (a panel token in the header, as the panel sends it), and the ad platforms' SDKs.

Shopify is only reachable at ``https://{shop}.myshopify.com`` and refuses plain-HTTP webhook
addresses, so (as in the tests) this process runs a throwaway certificate authority and a loopback
CONNECT proxy, calls itself by a public-looking HTTPS name, and has the sandboxes deliver what
they send there to its loopback port.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from sandbox.common import ConnectProxy, ServerThread, make_pki

PUBLIC = "https://stockguard.demo.example"
SHOP = "demo-outfitters.myshopify.com"
API_KEY = "demo-api-key"

# The catalog both stores sell: (title, [(sku, stock, price)]). Shopify's stock seeds the pool.
CATALOG = [
    ("Winter Tee", [("TEE-S", 6, "19.00"), ("TEE-M", 8, "19.00"), ("TEE-L", 5, "19.00")]),
    ("Classic Mug", [("MUG", 12, "12.00")]),
    ("Wool Cap", [("CAP", 9, "15.00")]),
    ("Hiking Socks", [("SOCKS", 14, "8.00")]),
    ("Trail Bottle", [("BOTTLE", 3, "22.00")]),
    ("Gift Box (mug + socks)", [("GIFT-BOX", 0, "18.00")]),
]
BUNDLE = ("GIFT-BOX", [("MUG", 1), ("SOCKS", 1)])
SUPPLIER = {"name": "Northwind Textiles", "lead_time_days": 10, "email": "orders@northwind.example"}
RESTOCKS = [("TEE-M", 20, 7, "PO-1001"), ("MUG", 24, 12, "PO-1002")]
# Ad objects and the SKU each one sells (the policy pauses them when it turns critical).
ADS = [
    ("meta", "ad_set", "Winter tees – retargeting", "TEE-M"),
    ("google_ads", "campaign", "Search – winter tee", "TEE-M"),
    ("tiktok", "campaign", "Mugs – spark ads", "MUG"),
]
POLICY = {"pause_at": 2, "resume_at": 5, "min_pause_minutes": 0}


class DemoError(RuntimeError):
    """The demo could not set itself up; the message says which step."""


@dataclass
class World:
    """What ``start`` built, and the ids the simulate page needs."""

    host: str
    port: int
    workdir: Path
    app: object = None
    shopify: object = None
    woo: object = None
    ads: dict = field(default_factory=dict)  # platform -> sandbox
    shopify_id: int = 0
    woo_id: int = 0
    pool_id: int = 0
    shopify_variants: dict = field(default_factory=dict)  # sku -> variant dict
    shopify_products: dict = field(default_factory=dict)  # sku -> product dict
    woo_items: dict = field(default_factory=dict)  # sku -> woo product/variation dict
    woo_parents: dict = field(default_factory=dict)  # sku -> woo parent product id
    ad_refs: dict = field(default_factory=dict)  # (platform, object ref) -> (name, level, sku)
    events: list = field(default_factory=list)  # what each simulated action did, newest first
    api_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    pki: object = None
    server: object = None
    _stops: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def say(self, text: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        self.events.insert(0, {"at": stamp, "text": text})
        del self.events[50:]

    def stop(self) -> None:
        stop = self.app.extensions.get("scheduler_stop") if self.app is not None else None
        if stop is not None:
            stop.set()
        for fn in reversed(self._stops):
            fn()
        self._stops.clear()


def config(workdir: Path, api_secret: str, ad_config: dict) -> dict:
    """StockGuard's configuration for the demo: fresh secrets, SQLite, in-process jobs."""
    return {
        "ENV": "demo",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": api_secret,
        "APP_URL": PUBLIC,
        "DATABASE_URL": f"sqlite:///{workdir / 'stockguard.db'}",
        "REDIS_URL": None,
        "ALLOW_HTTP_STORES": True,
        "STORE_PRIVATE_OK": True,  # the WooCommerce sandbox speaks plain HTTP on loopback
        "STOREFRONT_RATE_LIMIT": 0,  # the page polls; one client address
        "ADS_HTTP_TIMEOUT": 5.0,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        **ad_config,
    }


def start(host: str, port: int, workdir: Path | None = None) -> World:
    """Start everything and seed it; the caller serves until told to stop, then ``stop()``."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="stockguard-demo-"))
    world = World(host=host, port=port, workdir=workdir)
    try:
        _start_sandboxes(world)
        _start_app(world)
        from demo.seed import seed

        seed(world)
    except BaseException:
        world.stop()
        raise
    return world


def _start_sandboxes(world: World) -> None:
    from sandbox.google_ads import GoogleAdsSandbox
    from sandbox.meta import MetaSandbox
    from sandbox.shopify import ShopifySandbox
    from sandbox.tiktok import TikTokSandbox
    from sandbox.woocommerce import WooSandbox

    pki = make_pki(world.workdir / "pki")
    proxy = ConnectProxy().start()
    world._stops.append(proxy.stop)
    # Before any HTTPS call: ShopifyAPI's opener and requests read these once.
    os.environ.update(proxy.environ(pki))
    world.pki = pki

    world.shopify = ShopifySandbox(api_key=API_KEY, api_secret=world.api_secret)
    shopify_server = ServerThread(world.shopify.wsgi_app, ssl_context=pki.server_context())
    world._stops.append(shopify_server.start().stop)
    proxy.add_route("myshopify.com", ("127.0.0.1", shopify_server.port))

    world.woo = WooSandbox(ca_bundle=str(pki.bundle))
    woo_server = ServerThread(world.woo.wsgi_app).start()
    world._stops.append(woo_server.stop)
    world.woo.base_url = woo_server.url

    for platform, cls in (("meta", MetaSandbox), ("tiktok", TikTokSandbox)):
        box = cls()
        server = ServerThread(box.wsgi_app).start()
        world._stops.append(server.stop)
        box.base_url = server.url
        world.ads[platform] = box
    google = GoogleAdsSandbox()
    google.start(pki)
    world._stops.append(google.stop)
    world.ads["google_ads"] = google


def _start_app(world: World) -> None:
    from app import create_app
    from migrations import upgrade
    from sync.scheduler import start_in_process_scheduler

    ad_config = {}
    for box in world.ads.values():
        ad_config.update(box.config())
    cfg = config(world.workdir, world.api_secret, ad_config)
    upgrade(cfg["DATABASE_URL"])
    app = create_app(cfg)
    # The app calls itself by an HTTPS name, but the newcomer's browser reaches it on plain
    # HTTP loopback: cookies (the demo page's CSRF token) must travel there.
    app.config["SESSION_COOKIE_SECURE"] = False
    from demo.views import bp

    app.register_blueprint(bp)
    app.extensions["demo_world"] = world
    world.app = app
    # A port in use: werkzeug says so ("… try a different port") and exits 1.
    server = make_server(world.host, world.port, app, threaded=True)
    server.daemon_threads = True
    world.port = server.server_port
    world.server = server
    threading.Thread(target=server.serve_forever, daemon=True, name="demo-http").start()
    world._stops.append(lambda: (server.shutdown(), server.server_close()))
    start_in_process_scheduler(app)
    for box in (world.shopify, world.woo):
        box.route_callbacks(PUBLIC, world.url)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise DemoError(f"timed out waiting for {what}")


class Panel:
    """The admin panel's API for one store, over HTTP as the panel calls it."""

    def __init__(self, world: World, installation_id: int):
        self.world = world
        self.installation_id = installation_id
        self.http = requests.Session()

    def _headers(self) -> dict:
        from views.admin_api import panel_token

        with self.world.app.test_request_context():
            return {"Authorization": f"Bearer {panel_token(self.installation_id)}"}

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kw) -> dict:
        answer = self.http.request(
            method, f"{self.world.url}/admin/api{path}", headers=self._headers(), timeout=30, **kw
        )
        if answer.status_code not in expect:
            raise DemoError(f"{method} /admin/api{path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()


def loopback_path(url: str) -> str:
    """``https://stockguard.demo.example/x?y`` → ``/x?y`` (where the app really listens)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
