"""The world of the fault run: private PostgreSQL and Redis, the app served on loopback, the
Shopify and WooCommerce sandboxes connected to one pool, RQ worker processes and the RQ cron
scheduler kept alive by a supervisor (as systemd would), and the faults it can inject."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import API_KEY, API_SECRET, ROOT, pki_and_proxy
from services import PrivatePostgres, PrivateRedis

PUBLIC = "https://stockguard.example"
QUEUE = "sg-faults"


@dataclass
class Fault:
    name: str
    started: float
    seconds: float = 0.0
    note: str = ""


@dataclass
class World:
    pg: PrivatePostgres
    redis: PrivateRedis
    app: object = None
    shopify: object = None
    woo: object = None
    stores: object = None
    servers: list = field(default_factory=list)
    procs: dict = field(default_factory=dict)  # name -> Popen
    faults: list[Fault] = field(default_factory=list)
    restarts: int = 0
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sg-faults-logs-")))
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    errors_logged: int = 0

    # ------------------------------------------------------------------ setup

    def _count_errors(self, record: logging.LogRecord) -> bool:
        self.errors_logged += 1
        return False

    def config(self) -> dict:
        return {
            "ENV": "bench",
            "SECRET_KEY": self._secret_key,
            "TOKEN_ENCRYPTION_KEY": self._fernet,
            "SHOPIFY_API_KEY": API_KEY,
            "SHOPIFY_API_SECRET": API_SECRET,
            "APP_URL": PUBLIC,
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "RQ_QUEUE": QUEUE,
            "ALLOW_HTTP_STORES": True,
            "STORE_PRIVATE_OK": True,
            "INSTALL_RATE_LIMIT": 0,  # every store connects from 127.0.0.1
            "LOG_LEVEL": "WARNING",
            "SWEEP_AFTER_SECONDS": 5,
        }

    def start(self, stock: dict[str, int], workers: int, retry_delays: tuple[float, ...]):
        from cryptography.fernet import Fernet

        from app import create_app
        from migrations import upgrade
        from sandbox.common import ServerThread
        from sandbox.shopify import ShopifySandbox
        from sandbox.woocommerce import WooSandbox
        from tests.sync.harness import connect

        # The web app's 500s while PostgreSQL is down are expected: counted, not printed.
        logging.getLogger("app").addFilter(self._count_errors)
        self._secret_key = secrets.token_urlsafe(32)
        self._fernet = Fernet.generate_key().decode()
        pki, proxy = pki_and_proxy()
        upgrade(self.pg.url)
        self.app = create_app(self.config())
        server = ServerThread(self.app, ssl_context=pki.server_context()).start()
        self.shopify = ShopifySandbox(api_key=API_KEY, api_secret=API_SECRET)
        self.shopify.async_webhooks = True
        self.shopify.retry_delays = retry_delays  # Shopify retries 8 times over 4 h: compressed
        shopify_server = ServerThread(self.shopify.wsgi_app, ssl_context=pki.server_context())
        shopify_server.start()
        proxy.add_route("myshopify.com", ("127.0.0.1", shopify_server.port))
        self.woo = WooSandbox(ca_bundle=str(pki.bundle))
        woo_server = ServerThread(self.woo.wsgi_app).start()
        self.woo.base_url = woo_server.url
        self.servers = [server, shopify_server, woo_server]
        for i in range(workers):
            self._spawn(f"worker-{i}")
        self._spawn("cron")
        threading.Thread(target=self._supervise, daemon=True, name="supervisor").start()
        time.sleep(1.0)
        self.stores = connect(
            self.app,
            self.shopify,
            self.woo,
            {sku: (qty, qty) for sku, qty in stock.items()},
            loopback=server.url,
            settle_seconds=0.5,
        )
        return self

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update({k: str(v) for k, v in self.config().items() if k != "ENV"})
        env.pop("ALLOW_HTTP_STORES", None)
        env["STOCKGUARD_ENV"] = "bench"
        return env

    def _spawn(self, name: str) -> None:
        if name == "cron":
            cmd = [str(Path(sys.executable).with_name("rq")), "cron", "sync/cron.py"]
            cmd += ["--url", self.redis.url, "--logging-level", "warning"]
        else:
            cmd = [sys.executable, str(ROOT / "app.py"), "worker"]
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=self._env(), stdout=out, stderr=subprocess.STDOUT
            )

    def _supervise(self) -> None:
        """Restart whatever died (a killed worker; a worker or the scheduler that lost Redis)."""
        while not self._stop.wait(0.5):
            with self._lock:
                for name, proc in list(self.procs.items()):
                    if proc.poll() is not None:
                        self.restarts += 1
                        self._spawn(name)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for proc in self.procs.values():
                proc.terminate()
            for proc in self.procs.values():
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.shopify.reset_faults()
        self.woo.close()
        for server in self.servers:
            server.stop()
        self.app.extensions["db"].engine.dispose()
        self.app.extensions["db"].autocommit.dispose()

    # ------------------------------------------------------------------ faults

    def kill_worker(self) -> None:
        """SIGKILL a worker in the middle of its batch (it dies holding whatever it held)."""
        started = time.monotonic()
        with self._lock:
            proc = self.procs["worker-0"]
            os.kill(proc.pid, signal.SIGKILL)
        self.faults.append(Fault("RQ worker SIGKILL", started, note=f"pid {proc.pid}"))

    def restart_redis(self, down: float) -> None:
        started = time.monotonic()
        self.redis.stop()  # no persistence: every queued and scheduled job is gone
        time.sleep(down)
        self.redis.start()
        self.faults.append(Fault("Redis restart (queue lost)", started, time.monotonic() - started))

    def restart_postgres(self, down: float) -> None:
        started = time.monotonic()
        self.pg.stop("fast")
        time.sleep(down)
        self.pg.start()
        self.faults.append(Fault("PostgreSQL restart", started, time.monotonic() - started))

    def channel_faults(self, which: str, count: int, hangs: int) -> None:
        """The store answers 429, then 500, then holds requests past the client's time-out."""
        started = time.monotonic()
        if which == "shopify":
            self.shopify.fail_next(count, 429, retry_after=1.0)
            self.shopify.fail_next(count, 500)
            self.shopify.fail_next(hangs, "timeout", hang_seconds=12.0)
        else:
            self.woo.fail_next(count, 429)
            self.woo.fail_next(count, 500)
            self.woo.fail_next(hangs, "timeout")
        label = "Shopify" if which == "shopify" else "WooCommerce"
        self.faults.append(Fault(f"{label} 429 ×{count}, 500 ×{count}, time-out ×{hangs}", started))

    # ------------------------------------------------------------------ waiting

    def rq_idle(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue, Worker
        from rq.registry import ScheduledJobRegistry

        try:
            conn = Redis.from_url(self.redis.url)
            queue = Queue(QUEUE, connection=conn)
            # A SIGKILLed worker stays registered as busy until its key expires: only workers
            # that still send heartbeats count.
            fresh = time.time() - 30
            busy = any(
                w.get_state() == "busy"
                and w.last_heartbeat is not None
                and w.last_heartbeat.timestamp() > fresh
                for w in Worker.all(queue=queue)
            )
            # Not the started-job registry: a SIGKILLed worker's job stays there until RQ
            # declares it abandoned (minutes later) — what it was doing is the sweepers' job.
            return queue.count == 0 and ScheduledJobRegistry(queue=queue).count == 0 and not busy
        except RedisError:
            return False

    def quiet(self, timeout: float) -> None:
        """Until no delivery is on its way, no job queued or running, and no inbox row waits."""
        from sqlalchemy import func, select

        from extensions import db
        from models import WebhookDelivery

        deadline = time.monotonic() + timeout
        calm = 0
        next_sweep = time.monotonic() + 10
        while time.monotonic() < deadline:
            if time.monotonic() > next_sweep:
                # What the cron does every minute, sooner: work whose enqueue was lost with Redis.
                for job in ("sync.jobs.sweep_inbox", "sync.mirror.sweep_pushes"):
                    with contextlib.suppress(Exception):
                        self.run_job(job)
                next_sweep = time.monotonic() + 10
            woo_busy = self.woo.dispatcher._pending > 0
            with self.app.app_context():
                db.session.remove()
                pending = db.session.scalar(
                    select(func.count()).where(WebhookDelivery.status == WebhookDelivery.PENDING)
                )
            calm = calm + 1 if (self.rq_idle() and pending == 0 and not woo_busy) else 0
            if calm >= 6:  # three seconds without anything moving
                return
            time.sleep(0.5)
        raise SystemExit(
            f"the system did not quieten within {timeout:.0f} s: RQ idle {self.rq_idle()}, "
            f"inbox pending {pending}, WooCommerce deliveries queued {self.woo.dispatcher._pending}"
            f", Shopify retries/attempts {len(self.shopify.deliveries)}; {self._rq_state()}"
        )

    def _rq_state(self) -> str:
        from redis import Redis
        from rq import Queue, Worker
        from rq.registry import ScheduledJobRegistry

        try:
            conn = Redis.from_url(self.redis.url)
            queue = Queue(QUEUE, connection=conn)
            workers = [
                (w.name[:6], w.get_state(), w.last_heartbeat and w.last_heartbeat.isoformat())
                for w in Worker.all(queue=queue)
            ]
            return (
                f"queued {queue.count}, scheduled {ScheduledJobRegistry(queue=queue).count}, "
                f"workers {workers}"
            )
        except Exception as e:  # noqa: BLE001 - a diagnostic line
            return f"RQ unreadable: {e}"

    def run_job(self, func_path: str) -> None:
        """Call a scheduled job now (what the cron would do next)."""
        from importlib import import_module

        module, name = func_path.rsplit(".", 1)
        with self.app.app_context():
            getattr(import_module(module), name)()
