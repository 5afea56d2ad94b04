"""Propagation: from an order in one store to every other channel showing the new stock.

A Shopify store and a WooCommerce store share a pool; 2 RQ worker processes, PostgreSQL, Redis.
Orders alternate between the stores; for each, the clock runs from the moment the shopper's
order is accepted to the moment the *other* store shows the new number (polled every 2 ms).

    .venv/bin/python bench/propagation.py [--orders 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import environment, percentile

from tests.sync.harness import SHOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    skus = [f"SKU-{i}" for i in range(10)]
    stock = {sku: (1000, 1000) for sku in skus}
    with environment(workers=args.workers) as bench:
        stores = bench.connect(stock)
        stores.converge({sku: 1000 for sku in skus}, timeout=60)
        timings = {"shopify → woocommerce": [], "woocommerce → shopify": []}
        expected = {sku: 1000 for sku in skus}
        for i in range(args.orders):
            sku = skus[i % len(skus)]
            expected[sku] -= 1
            if i % 2 == 0:
                variant = stores.shopify_variants[sku]["id"]
                started = time.perf_counter()
                stores.shopify.place_order(SHOP, [{"variant_id": variant, "quantity": 1}])
                check, label = (lambda s=sku: stores.woo_level(s)), "shopify → woocommerce"
            else:
                started = time.perf_counter()
                stores.woo.place_order(
                    line_items=[{"product_id": stores.woo_products[sku]["id"], "quantity": 1}]
                )
                check, label = (lambda s=sku: stores.shopify_level(s)), "woocommerce → shopify"
            deadline = started + 30
            while check() != expected[sku]:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"order {i}: {label} did not propagate within 30 s")
                time.sleep(0.002)
            timings[label].append((time.perf_counter() - started) * 1000)
        stores.converge(expected, timeout=60)

    print(
        f"setup        Shopify sandbox + WooCommerce sandbox, {args.workers} RQ workers, "
        "PostgreSQL, Redis; orders alternate between the stores"
    )
    every = [t for values in timings.values() for t in values]
    for label, values in list(timings.items()) + [("all", every)]:
        print(
            f"{label:<22} n={len(values):<4} p50 {percentile(values, 0.5):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms   max {max(values):7.1f} ms   "
            f"mean {statistics.fmean(values):7.1f} ms"
        )
    p95 = percentile(every, 0.95)
    print(f"aim          p95 < 1,000 ms: {'met' if p95 < 1000 else 'missed'} ({p95:.0f} ms)")
    print("converged    ledger = Shopify = WooCommerce for every SKU after the run: yes")


if __name__ == "__main__":
    main()
