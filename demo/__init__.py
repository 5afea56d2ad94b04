"""``python app.py --demo``: StockGuard with sandbox stores and ad platforms, and a simulate page.

Starts the Shopify, WooCommerce, Meta, TikTok and Google Ads sandboxes on loopback, seeds a small
catalog, installs StockGuard into both stores through their real install flows, links ads to two
SKUs, and serves StockGuard with ``/demo`` (the simulate page) on ``http://HOST:PORT``. Nothing
needs an account anywhere: SQLite in a fresh temporary folder, in-process jobs, no other service.
Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0.
"""

from __future__ import annotations

import gc
import logging
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path


def run(host: str, port: int) -> None:
    from demo.world import DemoError, start

    # Request lines of six servers would bury the addresses below.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()

    def ask_stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, ask_stop)
    signal.signal(signal.SIGINT, ask_stop)
    workdir = Path(tempfile.mkdtemp(prefix="stockguard-demo-"))
    print("StockGuard demo: starting the sandboxes and seeding the stores…", flush=True)
    try:
        try:
            world = start(host, port, workdir)
        except DemoError as e:
            sys.exit(f"StockGuard demo could not start: {e}")
        try:
            _serve(world, stop)
        finally:
            print("StockGuard demo: stopping…", flush=True)
            world.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("StockGuard demo: stopped.", flush=True)
    # Everything is stopped and closed. The interpreter's last garbage collection would walk
    # the Shopify sandbox's parsed Admin schema (millions of objects: seconds); skip it.
    gc.freeze()


def _serve(world, stop: threading.Event) -> None:
    url = world.url
    print(
        "\nStockGuard demo is ready (Ctrl-C stops it).\n"
        f"  simulate page      {url}/demo\n"
        f"  Shopify store      {url}/demo/shop/shopify/\n"
        f"  WooCommerce store  {url}/demo/shop/woocommerce\n"
        f"  admin panel        {url}/demo/panel/shopify  (or /demo/panel/woocommerce)\n"
        f"  state as JSON      {url}/demo/state\n"
        f"  data (SQLite)      {world.workdir} (deleted on exit)\n",
        flush=True,
    )
    while not stop.wait(0.5):
        pass
