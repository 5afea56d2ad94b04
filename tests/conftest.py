"""Standard fixtures: app, client, database (PostgreSQL by default), Redis, RQ workers, sandboxes.

Services: PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 are used for real. Under
``CI=true`` a missing service fails the test that needs it; elsewhere it is skipped (and the
database falls back to SQLite). ``STOCKGUARD_TEST_DB=sqlite`` runs the suite on SQLite.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from sandbox.common import ConnectProxy, ServerThread, make_pki

# No secret in any test's log lines or its workers' logs (tests/secret_logs.py).
from tests.secret_logs import pytest_runtest_teardown, pytest_sessionstart  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

SHOPIFY_API_KEY = "sg-test-api-key"
SHOPIFY_API_SECRET = "sg-test-api-secret-" + "0" * 16

# One PKI and one CONNECT proxy for the whole run. The environment must point at them before
# anything (ShopifyAPI's urllib opener, requests) makes its first HTTPS call.
_PKI = make_pki(Path(tempfile.mkdtemp(prefix="sg-pki-")))
_PROXY = ConnectProxy().start()
os.environ.update(_PROXY.environ(_PKI))
# The sandboxes' request lines drown test output; failures still show their own logs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def need(service: str, reason: str) -> None:
    """Fail under CI, skip elsewhere: a missing service must never pass silently in CI."""
    message = f"{service} unavailable: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: required)", pytrace=False)
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- database


def _postgres_available() -> bool:
    return _port_open("127.0.0.1", 5432)


def _create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"sg_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated database for this run: PostgreSQL unless told otherwise."""
    from migrations import upgrade

    choice = os.environ.get("STOCKGUARD_TEST_DB", "postgres")
    if choice == "postgres" and _postgres_available():
        name, url = _create_pg_database()
        upgrade(url)
        yield url
        _drop_pg_database(name)
        return
    if choice == "postgres" and IN_CI:
        pytest.fail("PostgreSQL unavailable at 127.0.0.1:5432 (CI=true: required)", pytrace=False)
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'stockguard.db'}"
    upgrade(url)
    yield url


@pytest.fixture(scope="session")
def postgres_url(database_url):
    """The run's database, which must be PostgreSQL (for tests that need it specifically)."""
    if not database_url.startswith("postgresql"):
        need("PostgreSQL", "the run uses SQLite")
    return database_url


def _wipe(engine) -> None:
    from models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


# --------------------------------------------------------------------------- app


def base_config(database_url: str, **overrides) -> dict:
    cfg = {
        "ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 16,
        "TOKEN_ENCRYPTION_KEY": _ENCRYPTION_KEY,
        "SHOPIFY_API_KEY": SHOPIFY_API_KEY,
        "SHOPIFY_API_SECRET": SHOPIFY_API_SECRET,
        "APP_URL": "https://stockguard.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "ALLOW_HTTP_STORES": True,
        "STORE_PRIVATE_OK": True,  # the sandbox stores are on loopback
        # Every test connects stores from 127.0.0.1, counted in Redis across the run when the
        # app has it; tests of the limit set their own.
        "INSTALL_RATE_LIMIT": 0,
        "ALERT_WEBHOOK_PRIVATE_OK": True,  # the alert webhook receiver is on loopback
        "JOB_RETRY_INTERVALS": (0.05, 0.1),
    }
    cfg.update(overrides)
    return cfg


_ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture
def make_app(database_url):
    """Build apps on the run's database; the tables are emptied after the test."""
    from app import create_app
    from extensions import db

    built = []

    def factory(**overrides):
        app = create_app(base_config(database_url, **overrides))
        built.append(app)
        return app

    yield factory
    for app in built:
        backend = app.extensions["jobs"]
        if not hasattr(backend, "redis"):  # RQ queues are private per test and deleted
            backend.wait_idle(5)
    from models.installation import forget_cached_ids

    forget_cached_ids()  # ids restart with the wiped tables
    if built:
        with built[0].app_context():
            db.session.remove()
            _wipe(db.engine)
        db.dispose()  # no pooled connection outlives its test


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    from extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture(scope="session")
def pki():
    return _PKI


@pytest.fixture(scope="session")
def proxy():
    return _PROXY


@pytest.fixture
def live_app(app, pki):
    """The app served over HTTPS on loopback (sandboxes call it back); APP_URL follows."""
    server = ServerThread(app, ssl_context=pki.server_context()).start()
    app.config["APP_URL"] = server.url
    yield app
    server.stop()


# --------------------------------------------------------------------------- sandboxes


@pytest.fixture
def shopify_sandbox(pki, proxy):
    """A fresh Shopify sandbox playing every ``*.myshopify.com`` for this test."""
    from sandbox.shopify import ShopifySandbox

    sandbox = ShopifySandbox(api_key=SHOPIFY_API_KEY, api_secret=SHOPIFY_API_SECRET)
    server = ServerThread(sandbox.wsgi_app, ssl_context=pki.server_context()).start()
    proxy.add_route("myshopify.com", ("127.0.0.1", server.port))
    yield sandbox
    server.stop()


@pytest.fixture
def woo_sandbox(pki):
    """A fresh WooCommerce store on plain HTTP (so the client signs OAuth 1.0a, as captured)."""
    from sandbox.woocommerce import WooSandbox

    sandbox = WooSandbox(ca_bundle=str(pki.bundle))
    server = ServerThread(sandbox.wsgi_app).start()
    sandbox.base_url = server.url
    yield sandbox
    server.stop()


# --------------------------------------------------------------------------- redis and workers


@pytest.fixture
def redis_url():
    """A Redis database for this test (flushed before and after)."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        conn = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        conn.ping()
    except RedisError as e:
        need("Redis", str(e))
    yield REDIS_URL
    conn.close()


@pytest.fixture
def rq_app(make_app, redis_url, postgres_url):
    """An app whose jobs go to a private RQ queue on the real Redis."""
    queue = f"sg-test-{uuid.uuid4().hex[:8]}"
    app = make_app(REDIS_URL=redis_url, RQ_QUEUE=queue)
    yield app
    from redis import Redis

    conn = Redis.from_url(redis_url)
    for key in conn.scan_iter(f"rq:*{queue}*"):
        conn.delete(key)
    for key in conn.scan_iter("rq:job:*"):
        if conn.hget(key, "origin") == queue.encode():
            conn.delete(key)


AD_ENDPOINT_KEYS = (
    "META_GRAPH_URL",
    "TIKTOK_API_URL",
    "GOOGLE_ADS_ENDPOINT",
    "GOOGLE_OAUTH_TOKEN_URI",
    "GOOGLE_ADS_ROOT_CERTIFICATES",
    "ADS_HTTP_TIMEOUT",
)


def process_env(cfg, **extra) -> dict:
    """The environment of another StockGuard process (worker, gunicorn) sharing ``cfg``'s
    secrets, database and queue."""
    env = dict(os.environ)
    env.update(
        SECRET_KEY=cfg["SECRET_KEY"],
        TOKEN_ENCRYPTION_KEY=cfg["TOKEN_ENCRYPTION_KEY"],
        SHOPIFY_API_KEY=cfg["SHOPIFY_API_KEY"],
        SHOPIFY_API_SECRET=cfg["SHOPIFY_API_SECRET"],
        APP_URL=cfg["APP_URL"],
        DATABASE_URL=cfg["DATABASE_URL"],
        REDIS_URL=cfg["REDIS_URL"],
        RQ_QUEUE=cfg["RQ_QUEUE"],
        LOG_LEVEL="WARNING",
    )
    if cfg.get("SMTP_URL"):
        env["SMTP_URL"] = cfg["SMTP_URL"]
    if cfg.get("ALERT_WEBHOOK_PRIVATE_OK"):
        env["ALERT_WEBHOOK_PRIVATE_OK"] = "1"
    if cfg.get("STORE_PRIVATE_OK"):
        env["STORE_PRIVATE_OK"] = "1"
    for key in AD_ENDPOINT_KEYS:  # the ad sandboxes the app was pointed at
        if cfg.get(key) is not None:
            env[key] = str(cfg[key])
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Workers:
    """Real ``python app.py worker`` processes for an app's queue."""

    def __init__(self, app, log_dir: Path):
        self.app = app
        self.procs: list[subprocess.Popen] = []
        # Worker output goes to files: a pipe nobody reads fills up and blocks the worker.
        self.log_dir = log_dir
        self.logs: list[Path] = []

    def env(self) -> dict:
        return process_env(self.app.config, STOCKGUARD_ENV="test")

    def start(self, n: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(n):
            log = self.log_dir / f"worker-{len(self.logs)}.log"
            self.logs.append(log)
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, str(ROOT / "app.py"), "worker"],
                    cwd=ROOT,
                    env=self.env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append(proc)
            started.append(proc)
        self._wait_registered()
        return started

    def _wait_registered(self, timeout: float = 20) -> None:
        from redis import Redis
        from rq import Worker

        conn = Redis.from_url(self.app.config["REDIS_URL"])
        deadline = time.monotonic() + timeout
        alive = [p for p in self.procs if p.poll() is None]
        while time.monotonic() < deadline:
            names = {
                w.pid
                for w in Worker.all(connection=conn)
                if self.app.config["RQ_QUEUE"] in w.queue_names()
            }
            if all(p.pid in names for p in alive):
                return
            if any(p.poll() is not None for p in alive):
                break
            time.sleep(0.1)
        raise RuntimeError("RQ worker did not start: " + self.output()[-2000:])

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs if log.exists())

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def rq_workers(rq_app, tmp_path, request):
    workers = Workers(rq_app, tmp_path)
    yield workers
    workers.stop()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print("---- RQ worker output ----\n" + workers.output()[-6000:])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until truthy; its value, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")


# --------------------------------------------------------------------------- browser

CHROMIUM = "/usr/bin/chromium"  # Debian's (Playwright's own browser download doesn't work here)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: its sync API allows one per thread, and the
    browser tests of several folders share it."""
    if not Path(CHROMIUM).exists():
        need("chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("chromium", "the playwright package is not installed")
    driver = sync_playwright().start()
    yield driver
    driver.stop()
