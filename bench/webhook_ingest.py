"""Webhook ingest under load: gunicorn (2 workers) + PostgreSQL + Redis, signed Shopify deliveries.

Prints acknowledgements per second, p50/p99 acknowledgement latency, and checks that every
delivery was recorded exactly once (duplicates included on purpose, as Shopify sends them).

    .venv/bin/python bench/webhook_ingest.py [--requests 20000] [--concurrency 16] [--duplicates 0.1]
    .venv/bin/python bench/webhook_ingest.py --client wrk [--seconds 15]   # Debian's wrk as the load

The default client is Python (asyncio, exact accounting of every id it sent). ``--client wrk``
uses a C load generator so that less of the 2 cores goes to the client; each request then carries
a fresh event id and the check is rows recorded = acknowledged (± requests in flight at the stop).

Needs PostgreSQL at 127.0.0.1:5432 (database ``test`` for admin) and Redis at 127.0.0.1:6379;
it creates and drops its own database and RQ queue.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SHOP = "bench-store.myshopify.com"
API_SECRET = "bench-secret-" + "0" * 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"sg_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0].replace(
        "postgresql://", "postgresql+psycopg://"
    ) + "/" + name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(db_url: str, queue: str) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        STOCKGUARD_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SHOPIFY_API_KEY="bench-key",
        SHOPIFY_API_SECRET=API_SECRET,
        APP_URL="https://bench.stockguard.test",
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        RQ_QUEUE=queue,
        LOG_LEVEL="WARNING",
    )
    return env


def seed(env: dict) -> None:
    from app import create_app
    from extensions import db
    from migrations import upgrade
    from models import Installation

    upgrade(env["DATABASE_URL"])
    app = create_app(
        {
            k: env[k]
            for k in (
                "SECRET_KEY",
                "TOKEN_ENCRYPTION_KEY",
                "SHOPIFY_API_KEY",
                "SHOPIFY_API_SECRET",
                "APP_URL",
                "DATABASE_URL",
            )
        }
        | {"ENV": "bench", "REDIS_URL": None}
    )
    with app.app_context():
        inst = Installation(platform="shopify", shop_domain=SHOP, status="active")
        inst.credentials = {"access_token": "shpat_" + "b" * 32}
        db.session.add(inst)
        db.session.commit()
        db.engine.dispose()


def build_requests(n: int, duplicate_share: float, port: int) -> tuple[list[bytes], int]:
    """Raw HTTP requests; returns them and how many distinct event ids they carry."""
    body = json.dumps(
        {
            "id": 820982911946154508,
            "email": "jon@example.com",
            "line_items": [{"id": 1, "sku": "TEE-M", "quantity": 1}],
        }
    ).encode()
    digest = base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    distinct = max(1, int(n * (1 - duplicate_share)))
    ids = [f"bench-{i}" for i in range(distinct)]
    ids += [random.choice(ids) for _ in range(n - distinct)]
    random.shuffle(ids)
    reqs = []
    for event_id in ids:
        head = (
            f"POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
            f"X-Shopify-Hmac-Sha256: {digest}\r\nX-Shopify-Event-Id: {event_id}\r\n"
            f"X-Shopify-API-Version: 2026-04\r\nConnection: keep-alive\r\n\r\n"
        ).encode()
        reqs.append(head + body)
    return reqs, distinct


async def _read_response(reader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def drive(port: int, reqs: list[bytes], concurrency: int) -> tuple[list[float], dict]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for r in reqs:
        queue.put_nowait(r)

    async def client():
        reader = writer = None
        while not queue.empty():
            raw = queue.get_nowait()
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            start = time.perf_counter()
            writer.write(raw)
            status, close = await _read_response(reader)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses


def wait_ready(port: int, proc: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited: " + proc.stderr.read().decode()[-2000:])
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--client", choices=["python", "wrk"], default="python")
    parser.add_argument("--seconds", type=int, default=15, help="duration of a wrk run")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of repeated event ids")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=2, help="gunicorn gthread threads per worker"
    )
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    args = parser.parse_args()

    name, db_url = create_database()
    queue = f"sg-bench-{os.getpid()}"
    env = environment(db_url, queue)
    seed(env)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            args.worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_ready(port, proc)
        warm, _ = build_requests(200, 0, port)
        asyncio.run(drive(port, [w.replace(b"bench-", b"warm-") for w in warm], 8))
        if args.client == "wrk":
            wrk = run_wrk(port, args.concurrency, args.seconds)
        else:
            reqs, distinct = build_requests(args.requests, args.duplicates, port)
            started = time.perf_counter()
            latencies, statuses = asyncio.run(drive(port, reqs, args.concurrency))
            elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=15)

    import psycopg
    from redis import Redis

    pg_url = db_url.replace("postgresql+psycopg://", "postgresql://")
    prefix = "wrk-" if args.client == "wrk" else "bench-"
    with psycopg.connect(pg_url) as conn:
        recorded, unique_keys = conn.execute(
            "SELECT count(*), count(DISTINCT dedupe_key) FROM webhook_delivery "
            "WHERE dedupe_key LIKE %s",
            (f"orders/create:{prefix}%",),
        ).fetchone()
    redis = Redis.from_url(REDIS_URL)
    enqueued = redis.llen(f"rq:queue:{queue}")
    for key in redis.scan_iter(f"rq:*{queue}*"):
        redis.delete(key)
    for key in redis.scan_iter("rq:job:delivery-*"):
        redis.delete(key)
    drop_database(name)

    if args.client == "wrk":
        report_wrk(args, wrk, recorded, unique_keys, enqueued)
        return
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    print(
        f"setup            gunicorn {args.workers} workers x {args.threads} threads ({args.worker_class}), "
        f"PostgreSQL, Redis/RQ enqueue per delivery; {os.cpu_count()} cores shared with this client"
    )
    print(
        f"requests         {len(latencies)} ({distinct} distinct event ids, "
        f"{len(latencies) - distinct} duplicates), concurrency {args.concurrency}"
    )
    print(f"statuses         {statuses}")
    print(
        f"throughput       {len(latencies) / elapsed:,.0f} acknowledgements/s over {elapsed:.2f} s"
    )
    print(
        f"latency          p50 {p(0.50):.1f} ms  p90 {p(0.90):.1f} ms  p99 {p(0.99):.1f} ms  "
        f"max {ms[-1]:.1f} ms  mean {statistics.fmean(ms):.1f} ms"
    )
    print(
        f"recorded         {recorded} rows, {unique_keys} distinct keys, enqueued {enqueued} jobs"
    )
    exactly_once = recorded == unique_keys == distinct == enqueued
    print(
        f"exactly once     {'yes' if exactly_once else 'NO'} (rows = distinct ids = jobs enqueued)"
    )
    print(
        f"aim              >= 1,000/s: {'met' if len(latencies) / elapsed >= 1000 else 'missed'}; "
        f"p99 < 50 ms: {'met' if p(0.99) < 50 else 'missed'}"
    )
    if not exactly_once:
        raise SystemExit(1)


WRK_SCRIPT = """
local counter = 0
function setup(thread) thread:set("tid", tostring(math.random(100000, 999999))) end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/shopify", {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "orders/create",
    ["X-Shopify-Shop-Domain"] = "%(shop)s",
    ["X-Shopify-Hmac-Sha256"] = "%(hmac)s",
    ["X-Shopify-Event-Id"] = "wrk-" .. tid .. "-" .. counter,
  }, '%(body)s')
end
"""


def run_wrk(port: int, concurrency: int, seconds: int) -> dict:
    import re
    import shutil
    import tempfile

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    body = json.dumps({"id": 820982911946154508, "line_items": [{"id": 1, "quantity": 1}]})
    digest = base64.b64encode(hmac.new(API_SECRET.encode(), body.encode(), hashlib.sha256).digest())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % {"shop": SHOP, "hmac": digest.decode(), "body": body})
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            f.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non2xx": int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
        else 0,
        "p50": ms("50"),
        "p90": ms("90"),
        "p99": ms("99"),
    }


def report_wrk(args, wrk: dict, recorded: int, unique_keys: int, enqueued: int) -> None:
    print(
        f"setup            gunicorn {args.workers} workers x {args.threads} threads ({args.worker_class}), "
        f"PostgreSQL, Redis/RQ enqueue per delivery; load from wrk (2 threads) on the same {os.cpu_count()} cores"
    )
    print(
        f"requests         {wrk['requests']} acknowledged in {args.seconds} s, concurrency {args.concurrency}, "
        f"non-2xx {wrk['non2xx']}"
    )
    print(f"throughput       {wrk['rps']:,.0f} acknowledgements/s")
    print(
        f"latency          p50 {wrk['p50']:.1f} ms  p90 {wrk['p90']:.1f} ms  p99 {wrk['p99']:.1f} ms"
    )
    in_flight_ok = 0 <= recorded - wrk["requests"] <= args.concurrency
    exactly_once = recorded == unique_keys == enqueued and in_flight_ok and wrk["non2xx"] == 0
    print(
        f"recorded         {recorded} rows, {unique_keys} distinct keys, enqueued {enqueued} jobs"
    )
    print(
        f"exactly once     {'yes' if exactly_once else 'NO'} (rows = distinct ids = jobs; rows - acks "
        f"= {recorded - wrk['requests']} in flight at the stop)"
    )
    print(
        f"aim              >= 1,000/s: {'met' if wrk['rps'] >= 1000 else 'missed'}; "
        f"p99 < 50 ms: {'met' if wrk['p99'] < 50 else 'missed'}"
    )
    if not exactly_once:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
