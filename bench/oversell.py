"""Oversold units: StockGuard against a naive last-write-wins mirror, in the same race.

Each trial puts ``--stock`` units of a fresh SKU on a Shopify and a WooCommerce store and sends
``--shoppers`` one-unit orders at both stores over ``--window`` seconds (random arrival times,
random store; the same schedule for both systems). A store takes an order only while *it* shows
stock. Oversold = orders taken − units there were.

The naive mirror is what merchants script by hand: when a store reports a new level, copy that
number to the other store (skipping the echo of its own last write). StockGuard instead records
each sale in a ledger and tells every store what is left; run a second time with the pool's
``allocate_below`` on, it offers each store only its share of the last units.

    .venv/bin/python bench/oversell.py [--trials 10] [--stock 5] [--shoppers 12] [--window 1.5]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import random
import threading
import time

from common import API_SECRET, environment

from connectors.shopify.graphql import INVENTORY_SET_DOCUMENT
from sandbox.shopify import OutOfStock
from sandbox.woocommerce import WCError
from tests.sync.harness import SHOP


def schedule(trials: int, shoppers: int, window: float, seed: int) -> list[list[tuple[float, str]]]:
    rng = random.Random(seed)
    return [
        sorted((rng.uniform(0, window), rng.choice(["shopify", "woo"])) for _ in range(shoppers))
        for _ in range(trials)
    ]


def run_race(stores, sku: str, plan: list[tuple[float, str]]) -> int:
    """Send the planned orders; how many were taken."""
    taken = []
    start = time.perf_counter() + 0.05

    def shopper(at: float, where: str) -> None:
        time.sleep(max(0.0, start + at - time.perf_counter()))
        try:
            if where == "shopify":
                stores.shopify.place_order(
                    SHOP, [{"variant_id": stores.shopify_variants[sku]["id"], "quantity": 1}]
                )
            else:
                stores.woo.place_order(
                    line_items=[{"product_id": stores.woo_products[sku]["id"], "quantity": 1}]
                )
            taken.append(where)
        except (OutOfStock, WCError):
            pass

    threads = [threading.Thread(target=shopper, args=p) for p in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return len(taken)


# --------------------------------------------------------------------------- the naive mirror


class NaiveMirror:
    """Copies any level a store reports to the other store. No ledger, no compare-and-set."""

    def __init__(self, stores, skus: list[str], shopify_token: str, woo_key):
        from connectors.shopify.client import ShopifyClient
        from connectors.woocommerce.client import WooClient

        self.stores = stores
        # It talks to the stores over their real APIs, as StockGuard does.
        self.shopify_api = ShopifyClient(SHOP, shopify_token)
        self.woo_api = WooClient(stores.woo.base_url, woo_key.consumer_key, woo_key.consumer_secret)
        self.location = stores.shopify.default_location(SHOP)
        self.by_item = {stores.shopify_variants[s]["inventory_item_id"]: s for s in skus}
        self.by_product = {str(stores.woo_products[s]["id"]): s for s in skus}
        self.last_written: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()

    def on_shopify_level(self, item_gid: str, available: int) -> None:
        sku = self.by_item.get(item_gid)
        if sku is None or self.last_written.get(("shopify", sku)) == available:
            return
        self.last_written[("woo", sku)] = available
        self.woo_api._call(
            "PUT", f"products/{self.stores.woo_products[sku]['id']}", {"stock_quantity": available}
        )

    def on_woo_level(self, product_id: str, quantity: int) -> None:
        sku = self.by_product.get(product_id)
        if sku is None or self.last_written.get(("woo", sku)) == quantity:
            return
        self.last_written[("shopify", sku)] = quantity
        item = self.stores.shopify_variants[sku]["inventory_item_id"]
        key = f"naive-{time.monotonic_ns()}"
        self.shopify_api.graphql(
            INVENTORY_SET_DOCUMENT,
            {
                "idempotencyKey": key,
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": f"naive://{key}",
                    # Last write wins: no compare-and-set.
                    "quantities": [
                        {
                            "inventoryItemId": item,
                            "locationId": self.location,
                            "quantity": quantity,
                            "changeFromQuantity": None,
                        }
                    ],
                },
            },
        )

    def wsgi(self):
        from flask import Flask, request

        app = Flask("naive-mirror")

        @app.post("/shopify")
        def shopify():
            body = request.get_data()
            digest = base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest())
            if request.headers.get(
                "X-Shopify-Topic"
            ) == "inventory_levels/update" and hmac.compare_digest(
                digest, request.headers.get("X-Shopify-Hmac-Sha256", "").encode()
            ):
                data = json.loads(body)
                threading.Thread(
                    target=self.on_shopify_level,
                    args=(
                        f"gid://shopify/InventoryItem/{data['inventory_item_id']}",
                        data["available"],
                    ),
                ).start()
            return "", 200

        @app.post("/woo")
        def woo():
            if request.headers.get("X-WC-Webhook-Topic") == "product.updated":
                data = json.loads(request.get_data())
                threading.Thread(
                    target=self.on_woo_level, args=(str(data["id"]), data["stock_quantity"])
                ).start()
            return "", 200

        return app


def naive_setup(bench, skus: list[str], stock: int):
    """Two fresh stores with the SKUs, mirrored by the naive mirror (no StockGuard install)."""
    from sandbox.common import ServerThread
    from tests.sync.harness import Stores

    stores = Stores(bench.app, bench.shopify, bench.woo)
    bench.shopify.create_shop(SHOP, name="Naive Store")
    for sku in skus:
        product = bench.shopify.create_product(
            SHOP, f"P {sku}", variants=[{"sku": sku, "available": stock}]
        )
        stores.shopify_variants[sku] = product["variants"][0]
        stores.woo_products[sku] = bench.woo.create_product(
            f"P {sku}", sku=sku, stock_quantity=stock
        )
    token = bench.shopify.issue_token(SHOP, ["read_inventory", "write_inventory"])
    key = bench.woo.create_api_key()
    mirror = NaiveMirror(stores, skus, token, key)
    # Served over TLS like StockGuard: stores only deliver webhooks to HTTPS addresses.
    import common

    server = ServerThread(mirror.wsgi(), ssl_context=common._PKI.server_context()).start()
    public = "https://naive.example"
    bench.shopify.route_callbacks(public, server.url)
    bench.woo.route_callbacks(public, server.url)
    token = bench.shopify.issue_token(SHOP, ["read_inventory", "write_inventory"])
    from connectors.shopify.client import ShopifyClient

    ShopifyClient(SHOP, token).create_webhook_subscription(
        "INVENTORY_LEVELS_UPDATE", public + "/shopify"
    )
    key = bench.woo.create_api_key()
    from woocommerce import API

    api = API(
        url=bench.woo.base_url,
        consumer_key=key.consumer_key,
        consumer_secret=key.consumer_secret,
        version="wc/v3",
        timeout=10,
    )
    resp = api.post(
        "webhooks",
        {
            "name": "naive",
            "topic": "product.updated",
            "delivery_url": public + "/woo",
            "secret": "naive-secret",
        },
    )
    assert resp.status_code == 201, resp.text
    return stores, server


def allocate(stores, below: int) -> None:
    """Turn on the pool's last-units allocation through the admin API, as a merchant would."""
    from views.admin_api import panel_token

    with stores.app.test_request_context():
        token = panel_token(stores.shopify_id)
    response = stores.app.test_client().put(
        "/admin/api/settings",
        json={"allocate_below": below},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    stores.idle(timeout=60)


def settle_levels(stores, sku: str, timeout: float = 10.0) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        now = (stores.shopify_level(sku), stores.woo_level(sku))
        if now == last:
            return now
        last = now
        time.sleep(0.5)
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--stock", type=int, default=5)
    parser.add_argument("--shoppers", type=int, default=12)
    parser.add_argument(
        "--window", type=float, default=1.5, help="seconds over which orders arrive"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="StockGuard's RQ worker processes")
    args = parser.parse_args()
    plans = schedule(args.trials, args.shoppers, args.window, args.seed)
    skus = [f"RACE-{i}" for i in range(args.trials)]
    allocated = f"StockGuard, allocating below {args.stock + 1}"
    results: dict[str, list[int]] = {"StockGuard": [], allocated: [], "naive last-write-wins": []}
    consistent = dict.fromkeys(results, 0)

    for name, allocate_below in (("StockGuard", 0), (allocated, args.stock + 1)):
        with environment(workers=args.workers) as bench:
            stores = bench.connect({sku: (args.stock, args.stock) for sku in skus})
            stores.converge({sku: args.stock for sku in skus}, timeout=60)
            if allocate_below:
                allocate(stores, allocate_below)
            for sku, plan in zip(skus, plans, strict=True):
                taken = run_race(stores, sku, plan)
                results[name].append(max(0, taken - args.stock))
                stores.idle()
                levels = (stores.shopify_level(sku), stores.woo_level(sku))
                if levels == (0, 0) and stores.available(sku) == 0:
                    consistent[name] += 1

    with environment(workers=1) as bench:
        stores, server = naive_setup(bench, skus, args.stock)
        try:
            for sku, plan in zip(skus, plans, strict=True):
                taken = run_race(stores, sku, plan)
                results["naive last-write-wins"].append(max(0, taken - args.stock))
                levels = settle_levels(stores, sku)
                sold_out = levels == (0, 0)
                consistent["naive last-write-wins"] += int(sold_out and taken >= args.stock)
        finally:
            server.stop()

    print(
        f"race         {args.trials} trials x {args.shoppers} one-unit orders for {args.stock} units, "
        f"arriving over {args.window} s at random on Shopify or WooCommerce (seed {args.seed})"
    )
    for name, oversold in results.items():
        print(
            f"{name:<22} oversold {sum(oversold):3d} units in all  (per trial: {oversold})  "
            f"stores agree and show 0 afterwards: {consistent[name]}/{args.trials}"
        )
    sg, naive = sum(results["StockGuard"]), sum(results["naive last-write-wins"])
    ratio = f"{naive / sg:.1f}x more" if sg else "StockGuard oversold nothing"
    print(f"comparison   naive mirror oversold {naive} units, StockGuard {sg} ({ratio})")
    print(
        f"             with its last units allocated between the stores StockGuard oversold "
        f"{sum(results[allocated])} (each store sells only its share; one may show sold out "
        "while the other still has a unit)"
    )


if __name__ == "__main__":
    main()
