"""Reconcile: read every level of N SKUs on two channels and repair the drift webhooks missed.

A Shopify store (Standard plan: bucket 2,000 points, restore 100/s) and a WooCommerce store share
a pool of N SKUs; 2 RQ worker processes, PostgreSQL, Redis. A share of the levels is changed on
each channel without the app hearing of it (Shopify deliveries dropped, WooCommerce stock set
without an event). ``reconcile_installation`` is timed for each store in this process; the floor
the rate limit allows is what the Shopify sandbox charged during the run, less the initial bucket,
at the restore rate. Afterwards the ledger and both channels must agree for the drifted SKUs.

Shopify prices a ``nodes(ids:)`` list as one object, so a reconcile of 10,000 levels costs ~100
points and the rate limit never binds (``--list-pricing once``). By default the sandbox prices
one object per id instead (``per_item``, the pessimistic bound): the read then costs ~30,000
points, the floor is minutes, and the ratio shows whether the reconcile paces itself to the
bucket without idling or being throttled.

Setup does not go through the throttled catalog import (~6 min for 10,000 variants): products
are created with the sandboxes' admin APIs, both stores are installed through the real flows with
a one-SKU catalog, and the other SKUs, listings and initial movements are bulk-inserted.

    .venv/bin/python bench/reconcile.py [--skus 10000] [--drift 0.01] [--list-pricing per_item|once]
"""

from __future__ import annotations

import argparse
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

from common import environment

from tests.sync.harness import SHOP

OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


@dataclass
class Item:
    sku: str
    level: int
    variant: dict  # Shopify: id, inventory_item_id, ...
    product_ref: str  # Shopify product gid
    handle: str
    woo: dict  # WooCommerce product body


# --------------------------------------------------------------------------- setup


def populate(bench, stores, n: int) -> list[Item]:
    """Products 1..n-1 in both sandboxes (SKU-0 came with the install), no webhooks sent."""
    first = stores.shopify_variants["SKU-0"]
    items = [Item("SKU-0", 50, first, "", "", stores.woo_products["SKU-0"])]
    paused = [wh for wh in bench.woo.webhooks if wh.status == "active"]
    for wh in paused:  # the merchant pauses webhooks in wp-admin while adding the catalogue
        wh.status = "paused"
    try:
        for i in range(1, n):
            sku, level = f"SKU-{i}", 20 + i % 80
            product = bench.shopify.create_product(
                SHOP, f"Product {sku}", variants=[{"sku": sku, "available": level}]
            )
            woo = bench.woo.create_product(f"Product {sku}", sku=sku, stock_quantity=level)
            items.append(
                Item(sku, level, product["variants"][0], product["id"], product["handle"], woo)
            )
            stores.shopify_variants[sku] = product["variants"][0]
            stores.woo_products[sku] = woo
    finally:
        for wh in paused:
            wh.status = "active"
    return items


def insert_rows(stores, items: list[Item]) -> None:
    """Sku, both Listings and the initial Movement of every SKU but SKU-0, as an import would."""
    from sqlalchemy import insert, select

    from extensions import db
    from models import Listing, Movement, Sku, sku_key, utcnow

    rows = items[1:]
    with stores.app.app_context():
        session = db.session
        now = utcnow()
        session.execute(
            insert(Sku),
            [
                {
                    "pool_id": stores.pool_id,
                    "key": sku_key(it.sku),
                    "sku": it.sku,
                    "name": f"Product {it.sku}",
                    "on_hand": it.level,
                    "committed": 0,
                    "safety_buffer": 0,
                    "is_bundle": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for it in rows
            ],
        )
        sku_ids = dict(
            session.execute(select(Sku.key, Sku.id).where(Sku.pool_id == stores.pool_id)).all()
        )
        common = {
            "pool_id": stores.pool_id,
            "status": Listing.LINKED,
            "push_pending": False,
            "barcode": None,
            "last_observed_at": now,
        }
        listings = []
        for it in rows:
            sku_id = sku_ids[sku_key(it.sku)]
            listings.append(
                {
                    **common,
                    "installation_id": stores.shopify_id,
                    "sku_id": sku_id,
                    "external_id": it.variant["id"],
                    "product_ref": it.product_ref,
                    "level_ref": it.variant["inventory_item_id"],
                    "sku": it.sku,
                    "title": f"Product {it.sku}",
                    "channel_quantity": it.level,
                    "details": {
                        "inventory_policy": "DENY",
                        "status": "ACTIVE",
                        "product_type": None,
                        "handle": it.handle,
                    },
                }
            )
            listings.append(
                {
                    **common,
                    "installation_id": stores.woo_id,
                    "sku_id": sku_id,
                    "external_id": str(it.woo["id"]),
                    "product_ref": str(it.woo["id"]),
                    "level_ref": str(it.woo["id"]),
                    "sku": it.sku,
                    "title": it.woo["name"],
                    "channel_quantity": it.level,
                    "details": {
                        "parent_id": None,
                        "backorders": it.woo.get("backorders"),
                        "permalink": it.woo.get("permalink"),
                        "product_type": None,
                        "handle": it.woo.get("slug"),
                    },
                }
            )
        session.execute(insert(Listing), listings)
        first = dict(
            session.execute(
                select(Listing.sku_id, Listing.id).where(
                    Listing.installation_id == stores.shopify_id
                )
            ).all()
        )
        session.execute(
            insert(Movement),
            [
                {
                    "pool_id": stores.pool_id,
                    "sku_id": sku_ids[sku_key(it.sku)],
                    "kind": Movement.INITIAL,
                    "on_hand_delta": it.level,
                    "committed_delta": 0,
                    "on_hand_after": it.level,
                    "external_ref": f"initial:{first[sku_ids[sku_key(it.sku)]]}",
                    "installation_id": stores.shopify_id,
                    "listing_id": first[sku_ids[sku_key(it.sku)]],
                    "note": "stock found on Mirror Store at import",
                    "created_at": now,
                }
                for it in rows
            ],
        )
        session.commit()


def count_linked(stores) -> dict[int, int]:
    from sqlalchemy import func, select

    from extensions import db
    from models import Listing

    with stores.app.app_context():
        db.session.remove()
        return dict(
            db.session.execute(
                select(Listing.installation_id, func.count())
                .where(Listing.status == Listing.LINKED)
                .group_by(Listing.installation_id)
            ).all()
        )


def inject_drift(bench, stores, items: list[Item], share: float, rng: random.Random):
    """Change ``share`` of the levels on each channel (disjoint SKUs) behind the app's back."""
    n = max(1, round(len(items) * share))
    chosen = rng.sample(items, min(len(items), 2 * n))
    on_shopify, on_woo = chosen[:n], chosen[n:]
    expected: dict[str, int] = {}
    units = {"shopify": 0, "woocommerce": 0}

    def new_level(it: Item) -> int:
        delta = rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])
        expected[it.sku] = it.level + delta
        return expected[it.sku]

    logged = len(bench.shopify.webhook_log)
    bench.shopify.drop_webhooks()  # inventory_levels/update never reaches the app
    try:
        for it in on_shopify:
            level = new_level(it)
            units["shopify"] += abs(level - it.level)
            bench.shopify.set_available(SHOP, it.variant["inventory_item_id"], None, level)
    finally:
        bench.shopify.keep_webhooks()
    dropped = sum(len(e.dropped) for e in bench.shopify.webhook_log[logged:])
    store = bench.woo.store
    with store.tx():  # wc_update_product_stock without the save hook: no product.updated
        for it in on_woo:
            level = new_level(it)
            units["woocommerce"] += abs(level - it.level)
            store.change_stock(store.product(it.woo["id"]), level)
    return on_shopify, on_woo, expected, units, dropped


# --------------------------------------------------------------------------- measuring


class Probe:
    """What one timed run spent: sandbox-charged cost, HTTP, bucket waits, PostgreSQL."""

    def __init__(self, bench):
        import connectors.shopify.client as shopify_client
        import sandbox.shopify.server as shopify_server
        from connectors.woocommerce.client import WooClient

        self.bench = bench
        self.lock = threading.Lock()
        self.thread = threading.get_ident()
        self.active = False
        self._patches: list[tuple[object, str, object]] = []
        self.reset()

        run_graphql = shopify_server.run_graphql

        def charged(ctx, bucket, query, variables, operation_name):
            started = time.perf_counter()
            body = run_graphql(ctx, bucket, query, variables, operation_name)
            if self.active:
                cost = (body.get("extensions") or {}).get("cost") or {}
                match = OPERATION.match(query or "")
                with self.lock:
                    self.seconds["shopify_sandbox"] += time.perf_counter() - started
                    self.ops[match.group(2) if match else "?"] += 1
                    self.requested += cost.get("requestedQueryCost") or 0
                    self.actual += cost.get("actualQueryCost") or 0
                    if cost and cost.get("actualQueryCost") is None:
                        self.throttled += 1
            return body

        self._patch(shopify_server, "run_graphql", charged)
        self._time(shopify_client.ShopifyClient, "_graphql_once", "shopify_http")
        self._time(shopify_client.budget, "wait", "bucket_wait")
        self._time(WooClient, "get", "woo_http")
        self._time(WooClient, "post", "woo_http")

    def reset(self) -> None:
        self.ops: Counter = Counter()
        self.requested = self.actual = self.throttled = 0
        self.seconds: Counter = Counter()
        self.calls: Counter = Counter()

    def _patch(self, owner, name, value) -> None:
        self._patches.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _time(self, owner, name, label) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            if not self.active or threading.get_ident() != self.thread:
                return original(*args, **kwargs)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        self._patch(owner, name, timed)

    def _before_sql(self, conn, cursor, statement, parameters, context, executemany):
        if self.active and threading.get_ident() == self.thread:
            context._bench_started = time.perf_counter()

    def _after_sql(self, conn, cursor, statement, parameters, context, executemany):
        started = getattr(context, "_bench_started", None)
        if started is not None:
            self.seconds["postgresql"] += time.perf_counter() - started
            self.calls["postgresql"] += 1

    def run(self, app, installation_id: int) -> tuple[float, dict]:
        from sqlalchemy import event

        from sync.reconcile import reconcile_installation

        engine = app.extensions["db"].engine
        event.listen(engine, "before_cursor_execute", self._before_sql)
        event.listen(engine, "after_cursor_execute", self._after_sql)
        self.reset()
        woo_before = len(self.bench.woo.requests_log)
        try:
            with app.app_context():
                self.active = True
                started = time.perf_counter()
                report = reconcile_installation(installation_id)
                elapsed = time.perf_counter() - started
        finally:
            self.active = False
            event.remove(engine, "before_cursor_execute", self._before_sql)
            event.remove(engine, "after_cursor_execute", self._after_sql)
        self.woo_requests = len(self.bench.woo.requests_log) - woo_before
        return elapsed, report

    def close(self) -> None:
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)


def reconcile_movements(stores) -> dict[int, tuple[int, int, set[str]]]:
    """Per installation: reconcile movements, units, and the SKUs they moved."""
    from sqlalchemy import select

    from extensions import db
    from models import Movement, Sku

    found: dict[int, tuple[int, int, set[str]]] = {}
    with stores.app.app_context():
        db.session.remove()
        for inst, delta, sku in db.session.execute(
            select(Movement.installation_id, Movement.on_hand_delta, Sku.sku)
            .join(Sku, Sku.id == Movement.sku_id)
            .where(Movement.pool_id == stores.pool_id, Movement.kind == Movement.RECONCILE)
        ):
            rows, units, skus = found.get(inst, (0, 0, set()))
            found[inst] = (rows + 1, units + abs(delta), skus | {sku})
    return found


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--drift", type=float, default=0.01, help="share of levels per channel")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--list-pricing",
        choices=("per_item", "once"),
        default="per_item",
        help="per_item (default): the sandbox prices nodes(ids:) at one object per id, the "
        "pessimistic bound that makes the reconcile rate-limit bound; once: one object per "
        "list, as Shopify charges it (the rate limit then never binds at 10,000 SKUs)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with environment(workers=2) as bench:
        started = time.perf_counter()
        stores = bench.connect({"SKU-0": (50, 50)})
        installed = time.perf_counter() - started
        started = time.perf_counter()
        items = populate(bench, stores, args.skus)
        created = time.perf_counter() - started
        started = time.perf_counter()
        insert_rows(stores, items)
        inserted = time.perf_counter() - started
        linked = count_linked(stores)
        on_shopify, on_woo, expected, units, dropped = inject_drift(
            bench, stores, items, args.drift, rng
        )
        stores.idle()

        shop = bench.shopify.shops[SHOP]
        bucket = bench.shopify.bucket(shop)
        probe = Probe(bench)
        bench.shopify.list_pricing = args.list_pricing  # after set-up: only the reconcile pays
        try:
            bucket.set_available(bucket.size)
            shopify_elapsed, shopify_report = probe.run(bench.app, stores.shopify_id)
            shopify_probe = (
                dict(probe.ops),
                probe.requested,
                probe.actual,
                probe.throttled,
                dict(probe.seconds),
                dict(probe.calls),
            )
            stores.idle(timeout=120)  # the repairs' pushes to WooCommerce
            woo_elapsed, woo_report = probe.run(bench.app, stores.woo_id)
            woo_seconds, woo_calls, woo_requests = (
                dict(probe.seconds),
                dict(probe.calls),
                probe.woo_requests,
            )
        finally:
            probe.close()
        stores.idle(timeout=120)  # the repairs' pushes to Shopify

        movements = reconcile_movements(stores)
        others = [it.sku for it in rng.sample(items, min(len(items), 100))]
        sample = {sku: expected.get(sku) for sku in set(expected) | set(others)}
        by_sku = {it.sku: it.level for it in items}
        sample = {sku: by_sku[sku] if level is None else level for sku, level in sample.items()}
        stores.converge(sample, timeout=120)

    ops, requested, actual, throttled, seconds, calls = shopify_probe
    size, rate = bucket.size, bucket.restore_rate
    floor = max(0.0, actual - size) / rate
    settle = bench.settle_seconds if shopify_report.get("drifted") else 0.0
    print(
        f"setup        {args.skus:,} SKUs; products made with the sandboxes' admin APIs "
        f"({created:.1f} s), both stores installed through the real flows with a 1-SKU "
        f"catalog ({installed:.1f} s), the other {args.skus - 1:,} SKUs' Sku/Listing/initial "
        f"Movement rows bulk-inserted ({inserted:.1f} s, no catalog import); 2 RQ workers, "
        f"PostgreSQL, Redis; Shopify {bench.shopify.plan} plan: bucket {size:,}, "
        f"restore {rate}/s; lists priced {args.list_pricing.replace('_', ' ')}"
    )
    print(
        f"listings     Shopify {linked.get(stores.shopify_id, 0):,} linked   "
        f"WooCommerce {linked.get(stores.woo_id, 0):,} linked"
    )
    print(
        f"drift        injected: Shopify {len(on_shopify)} SKUs / {units['shopify']} units "
        f"({dropped} webhook deliveries dropped), WooCommerce {len(on_woo)} SKUs / "
        f"{units['woocommerce']} units (stock changed without an event)"
    )
    for label, inst, report, injected in (
        ("Shopify", stores.shopify_id, shopify_report, on_shopify),
        ("WooCommerce", stores.woo_id, woo_report, on_woo),
    ):
        rows, moved, skus = movements.get(inst, (0, 0, set()))
        exact = skus == {it.sku for it in injected}
        print(
            f"repaired     {label:<11} report: {report.get('listings', 0):,} read, "
            f"{report.get('drifted', 0)} drifted / {report.get('units', 0)} units; "
            f"reconcile movements {rows} / {moved} units; "
            f"same SKUs as injected: {'yes' if exact else 'NO'}"
        )
    print(
        f"Shopify      elapsed {shopify_elapsed:6.2f} s   "
        f"{sum(ops.values())} GraphQL requests {dict(sorted(ops.items()))}, "
        f"{throttled} throttled; cost requested {requested:,} / charged {actual:,} points"
    )
    ratio = f"{shopify_elapsed / floor:.2f}×" if floor else "n/a (floor is 0)"
    print(
        f"floor        max(0, {actual:,} − {size:,}) / {rate}/s = {floor:.2f} s   "
        f"ratio elapsed/floor {ratio}"
    )
    measured = sum(seconds.get(k, 0) for k in ("shopify_http", "bucket_wait", "postgresql"))
    other = shopify_elapsed - measured - settle
    print(
        f"where        Shopify HTTP {seconds.get('shopify_http', 0):.2f} s "
        f"({calls.get('shopify_http', 0)} calls; the sandbox executing GraphQL "
        f"{seconds.get('shopify_sandbox', 0):.2f} s of it), bucket waits "
        f"{seconds.get('bucket_wait', 0):.2f} s, settle pause {settle:.1f} s, PostgreSQL "
        f"{seconds.get('postgresql', 0):.2f} s ({calls.get('postgresql', 0)} statements), "
        f"other (our Python) {other:.2f} s"
    )
    woo_other = (
        woo_elapsed
        - sum(woo_seconds.values())
        - (bench.settle_seconds if woo_report.get("drifted") else 0.0)
    )
    print(
        f"WooCommerce  elapsed {woo_elapsed:6.2f} s   {woo_requests} REST requests; HTTP+sandbox "
        f"{woo_seconds.get('woo_http', 0):.2f} s, PostgreSQL "
        f"{woo_seconds.get('postgresql', 0):.2f} s ({woo_calls.get('postgresql', 0)} "
        f"statements), settle pause {bench.settle_seconds:.1f} s, other {woo_other:.2f} s"
    )
    if floor:
        verdict = "met" if shopify_elapsed <= 1.2 * floor else "missed"
        print(f"aim          Shopify elapsed ≤ 1.2 × floor: {verdict} ({ratio})")
    else:
        print(
            f"aim          Shopify elapsed ≤ 1.2 × floor: not applicable — the run was "
            f"charged {actual:,} points, under the {size:,}-point bucket, so the rate limit "
            f"never binds (cost-only floor {actual / rate:.2f} s)"
        )
    drifted = len(expected)
    print(
        f"converged    ledger = Shopify = WooCommerce for all {drifted} drifted SKUs and "
        f"{len(sample) - drifted} sampled others after the run: yes"
    )


if __name__ == "__main__":
    main()
