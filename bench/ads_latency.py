"""Action latency: from an order that takes a SKU to critical to its ads being paused.

A Shopify store and a WooCommerce store share a pool; 2 RQ worker processes, PostgreSQL, Redis;
the Meta (Graph v26), TikTok (Business API v1.3) and Google Ads (gRPC + TLS) sandboxes, reached
through the official SDKs. Each trial has its own SKU (3 units) linked to a Meta ad set, a TikTok
campaign and a Google Ads campaign; one Shopify order of one unit leaves 2 = the critical level.
The clock runs from the moment the shopper's order is accepted to the moment each sandbox holds
the object paused (polled every 2 ms).

    .venv/bin/python bench/ads_latency.py [--trials 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import environment, percentile, pki_and_proxy

from tests.sync.harness import SHOP


def start_ad_sandboxes(pki):
    from sandbox.common import ServerThread
    from sandbox.google_ads import GoogleAdsSandbox
    from sandbox.meta import MetaSandbox
    from sandbox.tiktok import TikTokSandbox

    boxes, servers = {}, []
    for platform, cls in (("meta", MetaSandbox), ("tiktok", TikTokSandbox)):
        sb = cls()
        server = ServerThread(sb.wsgi_app).start()
        sb.base_url = server.url
        boxes[platform] = sb
        servers.append(server)
    google = GoogleAdsSandbox()
    google.start(pki)
    boxes["google_ads"] = google
    return boxes, servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from tests.ads.harness import LINKED_LEVEL, Panel, build_campaigns

    pki, _ = pki_and_proxy()
    boxes, servers = start_ad_sandboxes(pki)
    config = {"ADS_HTTP_TIMEOUT": 5.0}
    for sb in boxes.values():
        config.update(sb.config())
    skus = [f"AD-{i}" for i in range(args.trials)]
    timings: dict[str, list[float]] = {p: [] for p in boxes} | {"all three": []}
    try:
        with environment(workers=args.workers, extra_config=config) as bench:
            stores = bench.connect({sku: (3, 3) for sku in skus})
            stores.converge({sku: 3 for sku in skus}, timeout=120)
            panel = Panel(bench.app, stores.shopify_id)
            linked = {}
            for sku in skus:  # the campaigns exist before the accounts are connected
                refs = build_campaigns(boxes, f"https://{SHOP}/products/{sku.lower()}")
                linked[sku] = {p: refs[p][LINKED_LEVEL[p]] for p in boxes}
            for platform, sb in boxes.items():
                panel.connect(platform, sb)  # imports them
                panel.go_live(platform)
            panel.policy(pause_at=2, resume_at=5, min_pause_minutes=0)
            for sku in skus:
                for platform in boxes:
                    panel.link(linked[sku][platform], stores.sku(sku).id)
            time.sleep(1)  # the evaluations the links started
            for sku in skus:
                variant = stores.shopify_variants[sku]["id"]
                started = time.perf_counter()
                stores.shopify.place_order(SHOP, [{"variant_id": variant, "quantity": 1}])
                waiting = dict(linked[sku])
                deadline = started + 30
                while waiting:
                    for platform, ref in list(waiting.items()):
                        if not boxes[platform].is_active(ref):
                            timings[platform].append((time.perf_counter() - started) * 1000)
                            del waiting[platform]
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"{sku}: {sorted(waiting)} not paused within 30 s")
                    time.sleep(0.002)
                timings["all three"].append((time.perf_counter() - started) * 1000)
    finally:
        boxes["google_ads"].stop()
        for server in servers:
            server.stop()

    print(
        f"setup        Shopify + WooCommerce sandboxes, {args.workers} RQ workers, PostgreSQL, "
        "Redis; Meta, TikTok, Google Ads sandboxes through their SDKs; automatic mode"
    )
    print("path         order → webhook → inbox → sale → evaluate → execute (read, then pause)")
    for label, values in timings.items():
        print(
            f"{label:<12} n={len(values):<4} p50 {percentile(values, 0.5):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms   max {max(values):7.1f} ms   "
            f"mean {statistics.fmean(values):7.1f} ms"
        )


if __name__ == "__main__":
    main()
