"""Storefront: the availability API under gunicorn, the badge script's size, its cost in a page.

1. A Shopify sandbox store (``--products`` × ``--variants``) installed with StockGuard (RQ
   workers, PostgreSQL, Redis); the project's gunicorn.conf.py serves the app (2 workers,
   gthread) and is loaded with the requests shoppers' pages make — a product page's
   ``products=<id>``, a collection page's 24 products, a cart's ``variants=`` — each with the
   shop's ``Origin``. Load from ``wrk`` when installed, else a Python multi-threaded client.
   The per-client rate limit is raised for the run (``STOREFRONT_RATE_LIMIT``, 0 = off): every
   request comes from 127.0.0.1, which in production would be thousands of shoppers.
2. ``static/stockguard.js`` gzipped at level 9 against its 4,096-byte budget.
3. The sandbox's product and collection pages (the theme extension's real Liquid blocks) in
   headless Chromium, ``--loads`` times each with and without the app embed's script: main-thread
   time (CDP ``Performance.getMetrics``), long tasks, cumulative layout shift, time to badge.

    .venv/bin/python bench/storefront.py [--seconds 10] [--concurrency 16] [--client auto|wrk|python]
        [--runs 3] [--products 200] [--variants 3] [--rate-limit 0] [--loads 15] [--no-browser]
        [--profile]   # py-spy (on PATH) records the gunicorn workers during the load

Needs PostgreSQL at 127.0.0.1:5432 (database ``test`` for admin) and Redis at 127.0.0.1:6379;
it creates and drops its own database and RQ queue. Chromium: /usr/bin/chromium (Playwright).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import random
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common
from common import ROOT, environment, percentile

# Imported before environment(): importing the tests' conftest starts its own proxy and points
# HTTPS_PROXY at it; environment() then points it back at the bench's.
from tests.conftest import process_env
from tests.storefront_api.conftest import open_shop
from tests.sync.harness import PUBLIC

SHOP = "bench-store.myshopify.com"
ORIGIN = f"https://{SHOP}"
TYPES = ("Shirts", "Hats", "Mugs", "Bags", "Socks", "Posters", "Stickers", "Scarves")
SIZES = ("S", "M", "L", "XL", "XXL")
GZIP_BUDGET = 4096
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --------------------------------------------------------------------------- the store


def catalog(products: int, variants: int) -> dict:
    """``open_shop``'s catalog: some variants sold out, some low, most in stock."""
    out = {}
    for i in range(products):
        skus = []
        for j in range(variants):
            n = i * variants + j
            qty = 0 if i % 20 == 0 or n % 7 == 0 else 3 if n % 5 == 0 else 50
            skus.append((f"P{i:04d}-{SIZES[j % len(SIZES)]}", qty))
        out[f"p{i}"] = (f"Product {i:04d}", TYPES[i % len(TYPES)], skus)
    return out


def install(bench, products: int, variants: int):
    """The store, installed and imported, every variant's availability row computed."""
    from sqlalchemy import func, select

    from extensions import db
    from models import Availability

    bench.shopify.route_callbacks(PUBLIC, bench.loopback)
    started = time.perf_counter()
    store = open_shop(bench.app, bench.shopify, SHOP, catalog(products, variants))
    expected = products * variants
    deadline = time.monotonic() + 120
    while True:
        with bench.app.app_context():
            db.session.remove()
            rows = db.session.scalar(
                select(func.count()).where(
                    Availability.installation_id == store.installation_id,
                    Availability.deleted.is_(False),
                )
            )
        if rows == expected and bench.app.extensions["jobs"].wait_idle(1):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {rows} of {expected} availability rows after 120 s")
        time.sleep(0.2)
    return store, time.perf_counter() - started


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app, port: int, workers: int, threads: int | None, rate_limit: int, log):
    env = process_env(app.config, STOCKGUARD_ENV="production", STOREFRONT_RATE_LIMIT=rate_limit)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    if threads:
        command += ["--threads", str(threads)]
    proc = subprocess.Popen(
        [*command, "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


def gunicorn_threads() -> int:
    """The threads per worker gunicorn.conf.py gives (GUNICORN_THREADS or its default)."""
    source = (ROOT / "gunicorn.conf.py").read_text()
    default = re.search(r'GUNICORN_THREADS", (\d+)', source)
    return int(os.environ.get("GUNICORN_THREADS", default.group(1) if default else 1))


# --------------------------------------------------------------------------- requests


def paths(store, count: int, seed: int = 7) -> tuple[list[str], dict[str, int]]:
    """What shoppers' pages ask: product pages, collection pages, carts (variants)."""
    rng = random.Random(seed)
    products = [str(p["legacy_id"]) for p in store.products.values()]
    variants = [str(v["legacy_id"]) for v in store.variants.values()]
    out, kinds = [], {"product page (products=1 id)": 0, "collection (products=24 ids)": 0}
    kinds["cart (variants=1-3 ids)"] = 0
    for _ in range(count):
        roll = rng.random()
        if roll < 0.5:
            query, kind = f"products={rng.choice(products)}", "product page (products=1 id)"
        elif roll < 0.7:
            start = rng.randrange(0, max(1, len(products) - 24))
            query = "products=" + ",".join(products[start : start + 24])
            kind = "collection (products=24 ids)"
        else:
            picks = rng.sample(variants, rng.randint(1, 3))
            query, kind = "variants=" + ",".join(picks), "cart (variants=1-3 ids)"
        kinds[kind] += 1
        out.append(f"/storefront/v1/availability?shop={SHOP}&{query}")
    return out, kinds


def check_answers(port: int, store) -> None:
    """Before the load: the answers are the store's, with CORS for its origin."""
    import json

    product = store.products["p1"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for query, expect in (
        (f"products={product['legacy_id']}", {str(v["legacy_id"]) for v in product["variants"]}),
        (
            f"variants={product['variants'][0]['legacy_id']}",
            {str(product["variants"][0]["legacy_id"])},
        ),
    ):
        conn.request(
            "GET", f"/storefront/v1/availability?shop={SHOP}&{query}", headers={"Origin": ORIGIN}
        )
        response = conn.getresponse()
        body = json.loads(response.read())
        if response.status != 200 or set(body["variants"]) != expect:
            raise SystemExit(f"unexpected answer to {query}: {response.status} {body}")
        if response.getheader("Access-Control-Allow-Origin") != ORIGIN:
            raise SystemExit(f"no CORS for {ORIGIN}: {response.getheaders()}")


WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
function init(args) i = math.random(1, #paths) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Origin"] = "%(origin)s"})
end
"""


def run_wrk(port: int, urls: list[str], concurrency: int, seconds: int) -> dict:
    lua = WRK_SCRIPT % {"paths": ",".join(f'"{u}"' for u in urls), "origin": ORIGIN}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", f.name]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(f.name)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "none",
        "p50": ms("50"),
        "p90": ms("90"),
        "p99": ms("99"),
        "client": "wrk (2 threads, same cores)",
    }


def run_python(port: int, urls: list[str], concurrency: int, seconds: int) -> dict:
    """Fallback client: one thread per connection (keep-alive), for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(k: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = k * 97
        mine = latencies[k]
        local: dict[int, int] = {}
        while time.perf_counter() < stop:
            i += 1
            started = time.perf_counter()
            conn.request("GET", urls[i % len(urls)], headers={"Origin": ORIGIN})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            local[response.status] = local.get(response.status, 0) + 1
        conn.close()
        with lock:
            for status, n in local.items():
                statuses[status] = statuses.get(status, 0) + n

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for values in latencies for x in values]
    return {
        "rps": len(ms) / elapsed,
        "requests": len(ms),
        "non2xx": sum(n for status, n in statuses.items() if not 200 <= status < 400),
        "errors": "none",
        "p50": percentile(ms, 0.5),
        "p90": percentile(ms, 0.9),
        "p99": percentile(ms, 0.99),
        "client": f"Python threads ({concurrency}, http.client keep-alive, same cores)",
    }


# --------------------------------------------------------------------------- profile


def profile_during(proc, seconds: int):
    """py-spy on every gunicorn worker while the load runs: (its process, the stacks file)."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    out = Path(tempfile.mkdtemp(prefix="sg-bench-profile-")) / "stacks.txt"
    # --gil: samples of the thread holding the GIL only, i.e. where Python time goes (py-spy's
    # idle detection counts threads blocked on a queue as busy in this container).
    command = [spy, "record", "--pid", str(proc.pid), "--subprocesses", "--gil", "--format", "raw"]
    command += ["--rate", "250", "--duration", str(max(1, seconds - 1)), "--output", str(out)]
    spy_proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return spy_proc, out


def profile_summary(path: Path, top: int = 14) -> list[str]:
    """Where the workers' busy time went: our functions (inclusive), and own time anywhere."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += int(count)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)

    def short(frame: str) -> str:
        frame = frame.replace(str(ROOT) + "/", "").replace(
            ".venv/lib/python3.11/site-packages/", ""
        )
        return re.sub(r"/\S*/lib/python3[.0-9]*/", "", frame)

    packages = {p.name for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}

    def ours(frame: str) -> bool:
        path = frame.rpartition("(")[2]
        return path.split("/")[0].split(":")[0] in packages or "Flask.__call__" in frame

    lines = [f"   {total:,} samples holding the GIL (py-spy --gil at 250 Hz, both workers)"]
    lines.append("   inclusive, by line of our code (and Flask as a whole):")
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1]):
        if ours(frame) and len(lines) < top:
            lines.append(f"   {n / total:6.1%}  {short(frame)}")
    lines.append("   own time, anywhere:")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"   {n / total:6.1%}  {short(frame)}")
    return lines


def cache_refresh_cost(bench, store) -> tuple[int, int, float]:
    """(rows one refresh re-reads when nothing changed, rows, ms per refresh) in this process,
    with the web processes' own StorefrontCache and its REFRESH_SECONDS/OVERLAP_NS."""
    from sqlalchemy import func, select

    from extensions import db
    from models import Availability
    from views.storefront_cache import OVERLAP_NS, StorefrontCache

    cache = StorefrontCache()
    time.sleep(OVERLAP_NS / 1e9 + 0.5)  # "nothing changed": the rows' last change is older
    with bench.app.app_context():
        view = cache.shop(db.session, SHOP)
        cache.rows(db.session, view)
        ours = Availability.installation_id == store.installation_id
        total = db.session.scalar(select(func.count()).where(ours))
        again = db.session.scalar(
            select(func.count()).where(ours, Availability.version > view.read_from)
        )
        timings = []
        for _ in range(5):
            view.checked_at = 0.0  # as REFRESH_SECONDS after the last refresh
            started = time.perf_counter()
            cache.rows(db.session, view)
            timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return again, total, statistics.median(timings)


# --------------------------------------------------------------------------- the script's size


def script_size() -> dict:
    data = (ROOT / "static" / "stockguard.js").read_bytes()
    sizes = {"raw": len(data), "gzip.compress(level=9)": len(gzip.compress(data, 9, mtime=0))}
    if shutil.which("gzip"):
        cli = subprocess.run(
            ["gzip", "-9", "-c", str(ROOT / "static" / "stockguard.js")],
            capture_output=True,
            check=True,
        ).stdout
        sizes["gzip -9 (CLI, with file name)"] = len(cli)
    return sizes


# --------------------------------------------------------------------------- the page in Chromium

# Set up before any of the page's scripts run: layout shifts (CLS as Chrome counts it: shifts
# without recent input), long tasks, and when the first badge line appeared.
OBSERVE = """
window.__sg = {cls: 0, shifts: 0, longtasks: 0, longtask_ms: 0, badge_at: null};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) { __sg.cls += e.value; __sg.shifts++; }
}).observe({type: 'layout-shift', buffered: true});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) { __sg.longtasks++; __sg.longtask_ms += e.duration; }
}).observe({type: 'longtask', buffered: true});
new MutationObserver((records, observer) => {
  if (document.querySelector('.stockguard .sg-l')) {
    __sg.badge_at = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, childList: true});
"""

METRICS = (
    "TaskDuration",
    "DevToolsCommandDuration",
    "ScriptDuration",
    "V8CompileDuration",
    "LayoutDuration",
    "RecalcStyleDuration",
)


def load_once(browser, url: str, with_script: bool, settle_ms: int) -> dict:
    context = browser.new_context(ignore_https_errors=True)  # fresh: nothing cached
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.add_init_script(OBSERVE)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        page.goto(url, wait_until="load")
        # The same quiet wait either way, without touching the page: Playwright's polling
        # (wait_for_selector) would run DevTools commands on its main thread.
        time.sleep(settle_ms / 1000)
        after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        seen = page.evaluate(
            """() => {
              const nav = performance.getEntriesByType('navigation')[0];
              return {...window.__sg, load: nav.loadEventEnd, dcl: nav.domContentLoadedEventEnd,
                      places: document.querySelectorAll('.stockguard').length,
                      badges: document.querySelectorAll('.stockguard .sg-l[role=status]').length,
                      script: !!document.querySelector('script[src*="stockguard"]')};
            }"""
        )
        if seen["script"] != with_script or errors:
            raise SystemExit(f"{url}: script present {seen['script']}, page errors {errors}")
        if with_script and seen["badges"] != seen["places"]:
            raise SystemExit(f"{url}: {seen['badges']} of {seen['places']} badges after settling")
        for name in METRICS:
            seen[name] = (after.get(name, 0) - before.get(name, 0)) * 1000
        # Main-thread work of the page itself, not of our DevTools commands.
        seen["main"] = seen["TaskDuration"] - seen["DevToolsCommandDuration"]
        seen["js"] = seen["ScriptDuration"] + seen["V8CompileDuration"]
        return seen
    finally:
        context.close()


def browser_costs(bench, store, api_url: str, loads: int, settle_ms: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    product = store.products["p1"]
    pages = [
        ("product page", f"https://{SHOP}/products/{product['handle']}"),
        ("collection, 200 cards", f"https://{SHOP}/collections/all"),
    ]
    proxy = common._PROXY.url  # the bench's CONNECT proxy: *.myshopify.com → the sandbox
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--proxy-server={proxy}", "--proxy-bypass-list=127.0.0.1"],
        )
        try:
            for label, url in pages:
                runs: dict[bool, list[dict]] = {False: [], True: []}
                for i in range(loads * 2 + 2):
                    with_script = i % 2 == 1  # alternate, so drift hits both alike
                    bench.shopify.set_app_url(SHOP, api_url if with_script else "")
                    seen = load_once(browser, url, with_script, settle_ms)
                    if i >= 2:  # the first pair warms Chromium and the servers
                        runs[with_script].append(seen)
                rows.append({"page": label, "without": runs[False], "with": runs[True]})
        finally:
            browser.close()
            bench.shopify.set_app_url(SHOP, None)
    return rows


# --------------------------------------------------------------------------- report


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] or 0 for r in runs)


def report(args, command: str, found: dict) -> None:
    runs, kinds, rows, threads = found["runs"], found["kinds"], found["rows"], found["threads"]
    load = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]  # the median run
    line = "-" * 96
    print(f"$ {command}")
    print(line)
    print("1. Availability API under gunicorn")
    print(
        f"   setup        gunicorn.conf.py, {args.workers} workers x {threads} threads (gthread), "
        f"PostgreSQL, Redis; {os.cpu_count()} cores shared with the load generator"
    )
    print(
        f"   store        {args.products} products x {args.variants} variants from the Shopify "
        f"sandbox, installed + imported + availability computed in {found['install_s']:.1f} s"
    )
    again, total, refresh_ms = found["refresh"]
    print(
        f"   cache        a refresh (each process, every REFRESH_SECONDS) re-reads {again} of "
        f"{total} rows with nothing changed: {refresh_ms:.1f} ms under the store's lock"
    )
    print(
        f"   machine      load average {found['loadavg']:.2f} just before the load (other "
        "engineers' test runs share these cores)"
    )
    limit = "off" if args.rate_limit == 0 else f"{args.rate_limit}/min per client"
    print(
        f"   rate limit   STOREFRONT_RATE_LIMIT={args.rate_limit} for this run ({limit}; the "
        "default, 600/min per client address, would stop one load generator)"
    )
    print(
        f"   load         {load['client']}; concurrency {args.concurrency}, {len(runs)} runs "
        f"of {args.seconds} s"
    )
    mix = ", ".join(f"{k} {v / sum(kinds.values()):.0%}" for k, v in kinds.items())
    print(f"   mix          {mix}; Origin: {ORIGIN}")
    for i, run in enumerate(runs, 1):
        print(
            f"   run {i}        {run['rps']:>6,.0f} requests/s   p50 {run['p50']:6.2f} ms   "
            f"p90 {run['p90']:6.2f} ms   p99 {run['p99']:7.2f} ms   ({run['requests']:,} "
            f"answered, non-2xx {run['non2xx']}, socket errors {run['errors']})"
        )
    print(f"   throughput   {load['rps']:,.0f} requests/s (median run)")
    print(
        f"   latency      p50 {load['p50']:.2f} ms   p90 {load['p90']:.2f} ms   "
        f"p99 {load['p99']:.2f} ms (that run)"
    )
    met = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    print(
        f"   aim          >= 3,000/s: {met(load['rps'] >= 3000)}; p99 < 10 ms: "
        f"{met(load['p99'] < 10)}"
    )
    if found["profile"]:
        run = found["profiled"]
        print(
            f"   profile      py-spy on the gunicorn workers during an extra run, not counted "
            f"above ({run['rps']:,.0f} requests/s, p99 {run['p99']:.1f} ms under the profiler)"
        )
        print("\n".join(found["profile"]))
    print(line)
    print("2. static/stockguard.js")
    for name, size in found["sizes"].items():
        budget = (
            ""
            if name == "raw"
            else f"   budget {GZIP_BUDGET:,}: "
            + (f"{GZIP_BUDGET - size} bytes to spare" if size <= GZIP_BUDGET else "OVER")
        )
        print(f"   {name:<32} {size:>6,} bytes{budget}")
    if not rows:
        return
    print(line)
    print(
        f"3. Page cost in headless Chromium ({args.loads} loads each, medians; fresh context per "
        f"load; CDP Performance.getMetrics deltas, thread time)"
    )
    header = (
        f"   {'page':<22} {'script?':<8} {'main thread':>11} {'JS':>8} {'layout':>7} "
        f"{'style':>7} {'long tasks':>10} {'CLS':>7} {'load':>7} {'badge at':>9} {'badges':>6}"
    )
    print(header)
    for row in rows:
        deltas = {}
        for which in ("without", "with"):
            runs = row[which]
            keys = ("main", "js", "LayoutDuration", "RecalcStyleDuration", "load", "badge_at")
            values = {k: median(runs, k) for k in keys}
            cls_max = max(r["cls"] for r in runs)
            longtasks = sum(r["longtasks"] for r in runs)
            badge = f"{values['badge_at']:.0f} ms" if which == "with" else "-"
            print(
                f"   {row['page']:<22} {which:<8} {values['main']:>8.1f} ms "
                f"{values['js']:>5.1f} ms {values['LayoutDuration']:>4.1f} ms "
                f"{values['RecalcStyleDuration']:>4.1f} ms {longtasks:>4} in all "
                f"{cls_max:>7.4f} {values['load']:>4.0f} ms {badge:>9} "
                f"{median(runs, 'badges'):>6.0f}"
            )
            deltas[which] = values
        added = {k: deltas["with"][k] - deltas["without"][k] for k in deltas["with"]}
        print(
            f"   {'':<22} {'added':<8} {added['main']:>8.1f} ms "
            f"{added['js']:>5.1f} ms {added['LayoutDuration']:>4.1f} ms "
            f"{added['RecalcStyleDuration']:>4.1f} ms {'':>10} {'':>7} {added['load']:>4.0f} ms"
        )
    print(
        "   main thread = CDP TaskDuration - DevToolsCommandDuration (the page's own main-thread "
        "tasks: parsing, script, style, layout, paint); JS = ScriptDuration + V8CompileDuration;"
    )
    print(
        "   long tasks = > 50 ms tasks over all loads; CLS = the largest sum of layout-shift "
        "values (no recent input) of any load; load = loadEventEnd; badge at = first badge line"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per run")
    parser.add_argument("--runs", type=int, default=3, help="load runs (the median is judged)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--rate-limit", type=int, default=0, help="STOREFRONT_RATE_LIMIT, 0 = off")
    parser.add_argument("--loads", type=int, default=15, help="page loads each way in Chromium")
    parser.add_argument("--settle-ms", type=int, default=1000, help="wait after the load event")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy the workers under load")
    args = parser.parse_args()
    command = "python bench/storefront.py " + shlex.join(sys.argv[1:])
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    threads = args.threads or gunicorn_threads()

    found: dict = {"threads": threads, "rows": [], "profile": []}
    with environment(workers=2) as bench:
        store, found["install_s"] = install(bench, args.products, args.variants)
        found["refresh"] = cache_refresh_cost(bench, store)
        port = free_port()
        logs = Path(tempfile.mkdtemp(prefix="sg-bench-gunicorn-"))
        with open(logs / "gunicorn.log", "wb") as log:
            proc = start_gunicorn(bench.app, port, args.workers, args.threads, args.rate_limit, log)
            try:
                check_answers(port, store)
                urls, found["kinds"] = paths(store, 4000)
                run_python(port, urls[:200], 4, 1)  # warm: every worker loads the store's rows
                found["loadavg"] = os.getloadavg()[0]

                def load():
                    if client == "wrk":
                        return run_wrk(port, urls, args.concurrency, args.seconds)
                    run = run_python(port, urls, args.concurrency, args.seconds)
                    if args.client == "auto":
                        run["client"] += "; wrk is not installed"
                    return run

                if args.profile:  # a run of its own: the profiler slows the workers
                    spy, stacks = profile_during(proc, args.seconds)
                    found["profiled"] = load()
                    spy.wait(60)
                    found["profile"] = profile_summary(stacks)
                found["runs"] = [load() for _ in range(args.runs)]
                if not args.no_browser:
                    # The page asks the same gunicorn (plain HTTP on loopback: Chromium treats
                    # 127.0.0.1 as a secure origin, so an https page may call it).
                    found["rows"] = browser_costs(
                        bench, store, f"http://127.0.0.1:{port}", args.loads, args.settle_ms
                    )
            finally:
                proc.terminate()
                proc.wait(15)
    found["sizes"] = script_size()
    report(args, command, found)


if __name__ == "__main__":
    main()
