"""What the benchmarks share: a private PostgreSQL database and RQ queue, the app served on
loopback behind the sandboxes' routing, real ``python app.py worker`` processes, and both
sandboxes connected to one stock pool exactly as the end-to-end tests do it."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
API_KEY, API_SECRET = "bench-key", "bench-secret-" + "1" * 20


_PKI = None
_PROXY = None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def pki_and_proxy():
    """The process's test CA and CONNECT proxy (made once: urllib builds its opener, and reads
    HTTPS_PROXY, only once)."""
    from sandbox.common import ConnectProxy, make_pki

    global _PKI, _PROXY
    if _PROXY is None:
        _PKI = make_pki(Path(tempfile.mkdtemp(prefix="sg-bench-pki-")))
        _PROXY = ConnectProxy().start()
        os.environ.update(_PROXY.environ(_PKI))
    return _PKI, _PROXY


@contextlib.contextmanager
def environment(
    workers: int = 2,
    settle_seconds: float = 2.0,
    plan: str = "standard",
    extra_config: dict | None = None,
):
    """Yield a ``Bench`` with app, sandboxes and workers; tear everything down after.
    ``extra_config`` goes to the app and the workers (e.g. the ad sandboxes' endpoints)."""
    import psycopg
    from cryptography.fernet import Fernet
    from redis import Redis

    from sandbox.common import ServerThread

    name = f"sg_bench_{os.getpid()}_{secrets.token_hex(2)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = (
        PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    )
    queue = f"sg-bench-{secrets.token_hex(4)}"
    pki, proxy = pki_and_proxy()
    cfg = {
        "ENV": "bench",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "APP_URL": "https://stockguard.example",
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": queue,
        "ALLOW_HTTP_STORES": True,
        "STORE_PRIVATE_OK": True,
        "INSTALL_RATE_LIMIT": 0,  # every store connects from 127.0.0.1
        "LOG_LEVEL": "WARNING",
        **(extra_config or {}),
    }
    from app import create_app
    from migrations import upgrade
    from sandbox.shopify import ShopifySandbox
    from sandbox.woocommerce import WooSandbox

    upgrade(db_url)
    app = create_app(cfg)
    server = ServerThread(app, ssl_context=pki.server_context()).start()
    shopify = ShopifySandbox(api_key=API_KEY, api_secret=API_SECRET, plan=plan)
    shopify.async_webhooks = True  # as on Shopify: the answer does not wait for deliveries
    shopify_server = ServerThread(shopify.wsgi_app, ssl_context=pki.server_context()).start()
    proxy.add_route("myshopify.com", ("127.0.0.1", shopify_server.port))
    woo = WooSandbox(ca_bundle=str(pki.bundle))
    woo_server = ServerThread(woo.wsgi_app).start()
    woo.base_url = woo_server.url
    env = dict(os.environ)
    env.update({k: str(v) for k, v in cfg.items() if k not in ("ENV", "ALLOW_HTTP_STORES")})
    env["STOCKGUARD_ENV"] = "bench"
    logs = Path(tempfile.mkdtemp(prefix="sg-bench-workers-"))
    procs = []
    for i in range(workers):
        with open(logs / f"worker-{i}.log", "wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "app.py"), "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    bench = Bench(app, shopify, woo, server.url, procs, logs, settle_seconds)
    try:
        time.sleep(1.0)  # workers register
        yield bench
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
        for srv in (server, shopify_server, woo_server):
            srv.stop()
        app.extensions["db"].engine.dispose()
        app.extensions["db"].autocommit.dispose()
        conn = Redis.from_url(REDIS_URL)
        for key in conn.scan_iter(f"rq:*{queue}*"):
            conn.delete(key)
        with psycopg.connect(PG_ADMIN, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Bench:
    def __init__(self, app, shopify, woo, loopback, procs, logs, settle_seconds):
        self.app, self.shopify, self.woo, self.loopback = app, shopify, woo, loopback
        self.procs, self.logs, self.settle_seconds = procs, logs, settle_seconds
        self.stores = None

    def connect(self, stock: dict[str, tuple[int, int]]):
        from tests.sync.harness import connect

        self.stores = connect(
            self.app,
            self.shopify,
            self.woo,
            stock,
            loopback=self.loopback,
            settle_seconds=self.settle_seconds,
        )
        return self.stores
