"""Mixed load: webhooks, storefront reads and admin pages at once, then a correctness check.

A Shopify store and a WooCommerce store share a pool (PostgreSQL, Redis, RQ worker processes,
both sandboxes); the project's gunicorn.conf.py serves the app and every surface at once, each
at a fixed rate (open loop: a connection that falls behind is counted "late"):

- webhooks: shoppers' orders on both sandbox stores (1-2 lines of 1-2 units of the pool's
  SKUs), so each platform sends its real signed deliveries to gunicorn: Shopify
  ``orders/create`` + ``inventory_levels/update`` (sent by the order's thread, as Shopify does,
  a new connection each), WooCommerce ``order.created``, ``order.updated``, ``product.updated``
  (one background sender, like Action Scheduler); plus the ``inventory_levels/update`` and
  ``product.updated`` that StockGuard's own pushes cause, and Shopify retries (an acknowledged
  delivery sent again, same bytes and event id). The RQ workers really move the stock.
- storefront: ``GET /storefront/v1/availability`` for both stores' products (product page 1 id,
  collection 24 ids, cart 1-3 variants), keep-alive browsers revalidating with If-None-Match.
- admin: Shopify's embedded admin page (signed app-load query) and the JSON API with App Bridge
  session tokens; the WooCommerce panel's API with its panel token.

Shoppers and merchants come from bench/load_client.py, a process of its own (Python threads,
http.client keep-alive; not wrk, even where installed: browsers keep ETags per URL and admin
sessions sign their own tokens). Afterwards: every delivery acknowledged as recorded is in the
inbox exactly once, the inbox drained (nothing pending or failed), the ledger = initial stock -
the units the orders took on each store (no adjustment appeared), and both stores show the
ledger's figure. Also printed: what the RQ workers' logs say went wrong, and where the CPU went
(this machine is shared: other processes' CPU is listed by command).

    .venv/bin/python bench/load.py [--seconds 180] [--storefront-rate 200] [--admin-rate 10]
        [--shopify-orders 3] [--woo-orders 2] [--retries 0.5] [--skus 20] [--stock 1000]

Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 (its own database and queue).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import API_KEY, API_SECRET, ROOT, environment, percentile

# Before environment(): the tests' conftest (imported by storefront) starts its own proxy.
from storefront import free_port, gunicorn_threads, start_gunicorn  # isort: skip
from cpu import CpuWindow, descendants
from load_client import Tally, paced
from load_webhooks import Orders, shopify_retries, time_woo_deliveries, verify, worker_errors

from tests.sync.harness import PUBLIC, SHOP

CLIENT = [sys.executable, str(ROOT / "bench" / "load_client.py")]
ADMIN_PATHS = [
    "/admin/api/listings",
    "/admin/api/jobs",
    "/admin/api/ads",
    "/admin/api/ads/actions",
    "/admin/api/ads/objects",
    "/admin/api/settings",
    "/admin/api/storefront",
    "/admin/api/restocks",
    "/admin/api/notify",
]


def storefront_urls(bench, stores, count: int = 3000, seed: int = 3) -> list[list[str]]:
    """What shoppers' pages ask of both stores: product pages, collections, carts."""
    from extensions import db
    from models import Installation
    from views.admin import public_shop

    rng = random.Random(seed)
    shop = bench.shopify.shops[SHOP]
    shopify_products = [str(p.legacy_id) for p in shop.catalog.products]
    shopify_variants = [str(v["legacy_id"]) for v in stores.shopify_variants.values()]
    woo_products = [str(p["id"]) for p in stores.woo_products.values()]
    with bench.app.app_context():
        woo_shop = public_shop(db.session.get(Installation, stores.woo_id))
    stores_ = [
        (SHOP, f"https://{SHOP}", shopify_products, shopify_variants),
        (woo_shop, bench.woo.base_url, woo_products, woo_products),
    ]
    urls = []
    for _ in range(count):
        shop_name, origin, products, variants = stores_[0 if rng.random() < 0.7 else 1]
        roll = rng.random()
        if roll < 0.5:
            query = f"products={rng.choice(products)}"
        elif roll < 0.7:
            first = rng.randrange(0, max(1, len(products) - 24))
            query = "products=" + ",".join(products[first : first + 24])
        else:
            query = "variants=" + ",".join(rng.sample(variants, rng.randint(1, 3)))
        urls.append([f"/storefront/v1/availability?shop={shop_name}&{query}", origin])
    return urls


def woo_panel_token(bench, stores, port: int) -> str:
    """Open the WooCommerce panel through its signed launch link; the token the page carries."""
    import http.client

    from tests.connectors.woocommerce.helpers import launch_query, webhook_secret

    query = launch_query(bench.woo.base_url, webhook_secret(bench.woo))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/auth/woocommerce/launch?{query}")
    launch = conn.getresponse()
    launch.read()
    if launch.status != 302:
        raise SystemExit(f"WooCommerce launch: {launch.status}")
    conn.request("GET", launch.getheader("Location"))
    response = conn.getresponse()
    html = response.read().decode()
    if response.status != 200 or 'name="stockguard-token"' not in html:
        raise SystemExit(f"WooCommerce panel: {response.status}")
    return html.split('name="stockguard-token" content="')[1].split('"')[0]


def webhook_line(label: str, samples: list[tuple[float, int | None, str | None]], seconds):
    """samples: (ms, status, error) of the deliveries made during the window."""
    ms = [s[0] for s in samples if s[1] is not None]
    bad = sum(1 for s in samples if s[1] is not None and not 200 <= s[1] < 400)
    timeouts = sum(1 for s in samples if s[2] and "timeout" in s[2].lower())
    other = sum(1 for s in samples if s[1] is None) - timeouts
    p50, p99 = (percentile(ms, 0.5), percentile(ms, 0.99)) if ms else (0.0, 0.0)
    return surface_line(label, len(samples), seconds, p50, p99, bad, timeouts, other)


def surface_line(label, n, seconds, p50, p99, bad, timeouts, other, note="") -> str:
    """One surface: requests, req/s, p50/p99 of the answered ones, errors by kind."""
    return (
        f"{label:<20} {n:>7,} requests {n / seconds:>7.1f} req/s   p50 {p50:6.1f} ms   "
        f"p99 {p99:7.1f} ms   errors {bad + timeouts + other} (non-2xx/3xx {bad}, "
        f"timeouts {timeouts}, other {other}){note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--storefront-rate", type=float, default=200, help="requests/s")
    parser.add_argument("--storefront-connections", type=int, default=8)
    parser.add_argument("--admin-rate", type=float, default=10, help="requests/s")
    parser.add_argument("--admin-connections", type=int, default=2)
    parser.add_argument("--shopify-orders", type=float, default=3, help="orders/s")
    parser.add_argument("--woo-orders", type=float, default=2, help="orders/s")
    parser.add_argument("--retries", type=float, default=0.5, help="Shopify retries/s")
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--stock", type=int, default=1000, help="units per SKU on each store")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--timeout", type=float, default=10, help="client timeout per request")
    parser.add_argument("--drain-timeout", type=float, default=180)
    args = parser.parse_args()
    command = "python bench/load.py " + shlex.join(sys.argv[1:])
    skus = [f"LOAD-{i:03d}" for i in range(args.skus)]
    threads = gunicorn_threads()
    with environment(workers=args.workers) as bench:
        stores = bench.connect({sku: (args.stock, args.stock) for sku in skus})
        stores.converge({sku: args.stock for sku in skus}, timeout=60)
        port = free_port()
        logs = Path(tempfile.mkdtemp(prefix="sg-bench-load-"))
        with open(logs / "gunicorn.log", "wb") as log:
            web = start_gunicorn(bench.app, port, args.web_workers, None, 0, log)
            try:
                # From now on both platforms deliver to gunicorn, not the in-process server.
                for sandbox in (bench.shopify, bench.woo):
                    sandbox.route_callbacks(PUBLIC, f"http://127.0.0.1:{port}")
                result = run(args, bench, stores, port, web, skus)
            finally:
                web.terminate()
                web.wait(15)
    report(args, command, threads, result)
    if not result["passed"]:
        raise SystemExit(1)


def run(args, bench, stores, port: int, web, skus) -> dict:
    from sqlalchemy import func, select

    from extensions import db
    from models import Movement

    woo_log = time_woo_deliveries(bench.woo)
    plan = {
        "port": port,
        "seconds": args.seconds,
        "timeout": args.timeout,
        "storefront": {
            "rate": args.storefront_rate,
            "connections": args.storefront_connections,
            "urls": storefront_urls(bench, stores),
        },
        "admin": {
            "rate": args.admin_rate,
            "connections": args.admin_connections,
            "shop": SHOP,
            "api_key": API_KEY,
            "api_secret": API_SECRET,
            "woo_token": woo_panel_token(bench, stores, port),
            "paths": ADMIN_PATHS,
        },
    }
    # Warm up (not counted): every gunicorn worker loads its storefront cache, one order each.
    warm = dict(plan, seconds=2.0, start=time.time() + 0.2)
    warm["storefront"] = dict(plan["storefront"], rate=40)
    warm["admin"] = dict(plan["admin"], rate=10)
    subprocess.run(CLIENT, input=json.dumps(warm), capture_output=True, text=True, check=True)
    orders = Orders(stores, skus, args.stock)
    orders.place("shopify")
    orders.place("woocommerce")
    stores.converge(dict(orders.expected), timeout=60)
    with bench.app.app_context():
        first_movement = db.session.scalar(select(func.max(Movement.id))) or 0
        db.session.remove()
    orders.sold = {"shopify": 0, "woocommerce": 0}

    client_pid: list[int] = []
    db_name = bench.app.config["DATABASE_URL"].rsplit("/", 1)[1]
    cpu = CpuWindow(
        {
            "gunicorn": lambda procs: descendants(procs, {web.pid}),
            "RQ workers": lambda procs: descendants(procs, {p.pid for p in bench.procs}),
            "PostgreSQL (this database)": lambda procs: {
                pid for pid, p in procs.items() if p[1] == "postgres" and f" {db_name} " in p[3]
            },
            "Redis": lambda procs: {pid for pid, p in procs.items() if p[1] == "redis-server"},
            "bench process (sandboxes, orders)": lambda procs: {os.getpid()},
            "load client": lambda procs: descendants(procs, set(client_pid)),
        }
    )
    start = time.time() + 1.5
    stop = start + args.seconds
    plan["start"] = start
    client = subprocess.Popen(
        CLIENT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    client_pid.append(client.pid)
    client.stdin.write(json.dumps(plan))
    client.stdin.close()
    late = {name: Tally() for name in ("shopify", "woocommerce", "retries")}
    drivers = []
    for platform, rate in (("shopify", args.shopify_orders), ("woocommerce", args.woo_orders)):
        for k in range(2 if rate else 0):  # two shoppers' threads per store
            step = functools.partial(orders.place, platform)
            pacing = (start, stop, 2 / rate, k / rate, late[platform], step)
            drivers.append(threading.Thread(target=paced, args=pacing))
    retried: list = []
    if args.retries:
        retry = (bench.shopify, args.retries, start, stop, late["retries"], retried)
        drivers.append(threading.Thread(target=shopify_retries, args=retry))
    for t in drivers:
        t.start()
    time.sleep(max(0.0, start - time.time()))
    cpu.start()
    first_shopify = len(bench.shopify.deliveries)
    time.sleep(max(0.0, stop - time.time()))
    last_shopify = len(bench.shopify.deliveries)
    cpu.stop()
    for t in drivers:
        t.join()
    surfaces = json.loads(client.stdout.read())
    client.wait(30)
    window = bench.shopify.deliveries[first_shopify:last_shopify]
    shopify = [(d.elapsed * 1000, d.status_code, d.error) for d in window]
    woo = [(s * 1000, d.status, d.error) for wall, s, d in list(woo_log) if start <= wall < stop]
    checks = verify(bench, stores, orders, first_movement, len(retried), args.drain_timeout)
    topics: dict[str, int] = {}
    for d in window:
        topics[d.headers["X-Shopify-Topic"]] = topics.get(d.headers["X-Shopify-Topic"], 0) + 1
    for wall, _, d in woo_log:
        if start <= wall < stop:
            topics[d.topic] = topics.get(d.topic, 0) + 1
    errors = sum(s.get("non2xx3xx", 0) + s["timeouts"] + s["errors"] for s in surfaces.values())
    errors += sum(1 for s in shopify + woo if s[1] is None or not 200 <= s[1] < 400)
    return {
        "surfaces": surfaces,
        "shopify": shopify,
        "woo": woo,
        "topics": topics,
        "orders": orders,
        "late": late,
        "retried": len(retried),
        "checks": checks,
        "worker_errors": worker_errors(bench.logs),
        "cpu": cpu.report(args.seconds),
        "errors": errors,
        "passed": errors == 0 and all(ok for _, ok, _ in checks),
    }


def report(args, command: str, threads: int, r: dict) -> None:
    seconds = args.seconds
    print(f"$ {command}")
    print(
        f"setup        gunicorn.conf.py {args.web_workers} workers x {threads} threads (gthread), "
        f"{args.workers} RQ workers, PostgreSQL, Redis; Shopify + WooCommerce sandboxes sharing "
        f"one pool of {args.skus} SKUs x {args.stock} units; {seconds:.0f} s, all surfaces at once; "
        f"client bench/load_client.py (Python, own process; wrk "
        f"{'installed, not used' if shutil.which('wrk') else 'not installed'})"
    )
    print(
        f"mix          webhooks: {args.shopify_orders:g} Shopify + {args.woo_orders:g} WooCommerce "
        f"orders/s (2 threads each), {args.retries:g} Shopify retries/s; storefront "
        f"{args.storefront_rate:g} req/s over {args.storefront_connections} keep-alive "
        f"connections (70% Shopify, 30% WooCommerce; product 50%, collection 20%, cart 30%); "
        f"admin {args.admin_rate:g} req/s over {args.admin_connections} connections (Shopify "
        f"page + {len(ADMIN_PATHS)} API reads, then WooCommerce's {len(ADMIN_PATHS)})"
    )
    print(f"topics       {dict(sorted(r['topics'].items()))}")
    orders, late = r["orders"], r["late"]
    print(
        f"orders       units sold: {orders.sold}; refused {len(orders.refused)}; late "
        f"starts (driver behind its rate): Shopify {late['shopify'].late}, WooCommerce "
        f"{late['woocommerce'].late}; {r['retried']} Shopify retries sent"
    )
    print("-" * 100)
    print(webhook_line("webhooks Shopify", r["shopify"], seconds))
    print(webhook_line("webhooks WooCommerce", r["woo"], seconds))
    for name in ("storefront", "admin"):
        s = r["surfaces"].get(name)
        if s is None:
            continue
        note = f"; late {s['late']}"
        if name == "storefront":
            note += f"; 304 Not Modified {s.get('not_modified', 0) / max(1, s['answered']):.0%}"
        if name == "admin" and s["slowest"]:
            note += "; slowest p99 " + ", ".join(f"{k} {p99:.0f} ms" for k, p99, _ in s["slowest"])
        if s["error_samples"]:
            note += f"; e.g. {s['error_samples'][:2]}"
        counts = (s["non2xx3xx"], s["timeouts"], s["errors"])
        print(surface_line(name, s["requests"], seconds, s["p50"], s["p99"], *counts, note))
    print("-" * 100)
    for name, ok, detail in r["checks"]:
        print(f"{name:<12} {'PASS' if ok else 'FAIL'}: {detail}")
    print(f"worker logs  {r['worker_errors']}")
    print("\n".join(r["cpu"]))
    print(f"result       {'PASS' if r['passed'] else 'FAIL'} ({r['errors']} errors)")


if __name__ == "__main__":
    main()
