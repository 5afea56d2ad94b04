"""Fault run: stock events on both stores while workers are killed, Redis and PostgreSQL are
restarted, and each store answers 429, 500 and times out for a while. At the end, after one
reconcile: the ledger equals the expected totals, every channel equals the ledger, no movement
is duplicated, no acknowledged delivery is lost.

A Shopify store and a WooCommerce store share a pool; RQ worker processes and the RQ cron
scheduler run as in production (a supervisor restarts what dies); PostgreSQL and Redis are
private instances (started here, restarted at will, removed after). Shopify retries failed
deliveries (compressed schedule); WooCommerce, as the real one, never does: what it loses the
reconcile repairs.

    .venv/bin/python bench/faults.py [--events 10000] [--skus 40] [--workers 2] [--clients 4]

Exit status 0 only when every check holds (tests/test_faults.py runs a small one in CI).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import threading
import time

from faultworld import World
from services import PrivatePostgres, PrivateRedis

STOCK = 1_000_000
SHOPIFY_RETRIES = (0.5, 1, 2, 4, 8, 15, 30, 60)


class Traffic:
    """Shoppers and store admins: orders on both stores, and cancellations of earlier ones."""

    def __init__(self, world: World, skus: list[str], events: int, seed: int):
        self.world, self.skus, self.total = world, skus, events
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.done = 0
        self.counts: collections.Counter = collections.Counter()
        self.expected: collections.Counter = collections.Counter()  # sku -> units moved
        self.orders: dict[tuple[str, str], tuple[str, int]] = {}  # (store, id) -> (sku, qty)
        self.open: list[tuple[str, str]] = []
        self.cancelled: set[tuple[str, str]] = set()
        self.errors: list[str] = []

    def _next(self):
        with self.lock:
            if self.done >= self.total:
                return None
            self.done += 1
            roll = self.random.random()
            if roll < 0.2 and self.open:
                return ("cancel", self.open.pop(self.random.randrange(len(self.open))))
            store = "shopify" if roll < 0.6 else "woo"
            return (store, (self.random.choice(self.skus), self.random.randint(1, 3)))

    def client(self) -> None:
        stores = self.world.stores
        while (job := self._next()) is not None:
            kind, what = job
            try:
                if kind == "cancel":
                    store, order_id = what
                    if store == "shopify":
                        stores.shopify.cancel_order(SHOP, order_id, restock=True)
                    else:
                        stores.woo.set_order_status(int(order_id), "cancelled")
                    sku, qty = self.orders[what]
                    with self.lock:
                        self.expected[sku] += qty
                        self.cancelled.add(what)
                        self.counts[f"{store} cancellation"] += 1
                    continue
                sku, qty = what
                if kind == "shopify":
                    variant = stores.shopify_variants[sku]["id"]
                    order = stores.shopify.place_order(
                        SHOP, [{"variant_id": variant, "quantity": qty}]
                    )
                else:
                    order = stores.woo.place_order(
                        line_items=[{"product_id": stores.woo_products[sku]["id"], "quantity": qty}]
                    )
                key = (kind, str(order["id"]))
                with self.lock:
                    self.expected[sku] -= qty
                    self.orders[key] = (sku, qty)
                    self.open.append(key)
                    self.counts[f"{kind} order"] += 1
            except Exception as e:  # noqa: BLE001 - a shopper's failed checkout is counted, not fatal
                with self.lock:
                    self.errors.append(f"{kind}: {e}")

    def run(self, clients: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        return threads


SHOP = "mirror-store.myshopify.com"


def inject_faults(world: World, traffic: Traffic, scale: int) -> None:
    """The schedule: each fault once, spread over the run (fraction of events done)."""
    plan = [
        (0.12, world.kill_worker),
        (0.25, lambda: world.restart_redis(down=2.0)),
        (0.40, lambda: world.restart_postgres(down=3.0)),
        (0.55, lambda: world.channel_faults("shopify", 10 * scale, 2)),
        (0.70, lambda: world.channel_faults("woo", 10 * scale, 2)),
        (0.80, world.kill_worker),
    ]
    for at, fault in plan:
        while traffic.done < at * traffic.total and traffic.done < traffic.total:
            time.sleep(0.05)
        fault()


def verify(world: World, traffic: Traffic, skus: list[str]) -> dict:
    """Every count the run is judged on."""
    from sqlalchemy import func, select

    from extensions import db
    from models import Movement, Sku, WebhookDelivery

    stores = world.stores
    out: dict = {}
    expected = {sku: STOCK + traffic.expected[sku] for sku in skus}
    ledger = {sku: stores.available(sku) for sku in skus}
    out["ledger_off"] = {s: ledger[s] - expected[s] for s in skus if ledger[s] != expected[s]}
    channels = {sku: (stores.shopify_level(sku), stores.woo_level(sku)) for sku in skus}
    out["channel_drift"] = {s: channels[s] for s in skus if channels[s] != (ledger[s], ledger[s])}
    ids = {"shopify": str(stores.shopify_id), "woo": str(stores.woo_id)}
    with world.app.app_context():
        db.session.remove()
        rows = db.session.execute(
            select(
                Movement.installation_id,
                Movement.order_ref,
                Movement.kind,
                func.sum(Movement.on_hand_delta),
            )
            .where(Movement.kind.in_([Movement.SALE, Movement.RESTOCK]))
            .group_by(Movement.installation_id, Movement.order_ref, Movement.kind)
        ).all()
        inbox = collections.Counter(
            dict(
                db.session.execute(
                    select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
                ).all()
            )
        )
        keys = set(db.session.scalars(select(WebhookDelivery.dedupe_key)))
        out["reconcile_fixes"] = db.session.scalar(
            select(func.count()).where(Movement.kind == Movement.RECONCILE)
        )
        # What moved the SKUs that ended off: movements by kind, and the notes of the others.
        breakdown = collections.defaultdict(collections.Counter)
        notes = collections.defaultdict(list)
        for m, code in db.session.execute(
            select(Movement, Sku.sku)
            .join(Sku, Sku.id == Movement.sku_id)
            .where(Sku.sku.in_(list(out["ledger_off"])))
            .order_by(Movement.id)
        ):
            breakdown[code][m.kind] += m.on_hand_delta
            if m.kind not in (Movement.SALE, Movement.RESTOCK, Movement.INITIAL):
                notes[code].append(f"{m.kind} {m.on_hand_delta:+d} {m.note or m.external_ref}")
        out["breakdown"] = {s: dict(c) for s, c in breakdown.items()}
        out["notes"] = dict(notes)
    moved = {(str(i), ref, kind): units for i, ref, kind, units in rows}
    duplicated = 0
    for (store, order_id), (_sku, qty) in traffic.orders.items():
        sold = -moved.get((ids[store], order_id, Movement.SALE), 0)
        back = moved.get((ids[store], order_id, Movement.RESTOCK), 0)
        duplicated += max(0, sold - qty) + max(0, back - qty)
    out["duplicated"] = duplicated
    out["inbox"] = dict(inbox)
    # Lost: a delivery the app acknowledged (2xx) that is not in the inbox.
    acked = {
        f"{d.headers['X-Shopify-Topic']}:{d.headers['X-Shopify-Event-Id']}"
        for d in list(stores.shopify.deliveries)
        if d.ok and d.headers.get("X-Shopify-Topic")
    }
    lost = acked - keys
    woo_acked = [
        d
        for d in stores.woo.dispatcher.deliveries
        if d.kind == "webhook" and d.status and 200 <= d.status < 300
    ]
    for d in woo_acked:
        # The inbox's key for a WooCommerce delivery (connectors/woocommerce/webhooks.py): the
        # resource's state, as its delivery id changes on every send.
        payload = json.loads(d.body)
        modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
        digest = hashlib.sha256(d.body).hexdigest()[:16]
        key = f"{stores.woo_id}:{d.topic}:{payload['id']}:{modified}:{digest}"
        if key not in keys:
            lost.add(key)
    out["acknowledged"] = len(acked) + len(woo_acked)
    out["lost"] = len(lost)
    attempts = list(stores.shopify.deliveries)
    out["shopify_failed_attempts"] = sum(1 for d in attempts if not d.ok)
    out["woo_failed_deliveries"] = sum(
        1
        for d in stores.woo.dispatcher.deliveries
        if d.kind == "webhook" and not (d.status and 200 <= d.status < 300)
    )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to quieten at the end")
    args = parser.parse_args(argv)
    skus = [f"F-{i:03d}" for i in range(args.skus)]
    pg, redis = PrivatePostgres().start(), PrivateRedis().start()
    world = World(pg, redis)
    started = time.monotonic()
    try:
        world.start({sku: STOCK for sku in skus}, args.workers, SHOPIFY_RETRIES)
        world.stores.converge({sku: STOCK for sku in skus}, timeout=120)
        setup = time.monotonic() - started
        traffic = Traffic(world, skus, args.events, args.seed)
        t0 = time.monotonic()
        threads = traffic.run(args.clients)
        inject_faults(world, traffic, max(1, args.events // 2000))
        for t in threads:
            t.join()
        traffic_seconds = time.monotonic() - t0
        world.shopify.reset_faults()
        world.woo.close()
        # Let Shopify's retries and the queue run out, then what the cron does next: sweep the
        # inbox and the pushes, and one reconcile of every store.
        time.sleep(max(SHOPIFY_RETRIES[:4]))
        world.quiet(args.timeout)
        for job in ("sync.jobs.sweep_inbox", "sync.mirror.sweep_pushes"):
            world.run_job(job)
        world.quiet(args.timeout)
        world.run_job("sync.reconcile.reconcile_all")
        time.sleep(3)
        world.quiet(args.timeout)
        result = verify(world, traffic, skus)
    finally:
        if world.app is not None:
            world.stop()
        pg.destroy()
        redis.destroy()
    events = sum(traffic.counts.values())
    print(
        f"setup        Shopify + WooCommerce sandboxes, {args.workers} RQ workers + RQ cron "
        f"(restarted when they die), private PostgreSQL and Redis; {args.skus} SKUs; "
        f"setup {setup:.0f} s"
    )
    print(
        f"events       {events} in {traffic_seconds:.0f} s ({events / traffic_seconds:.0f}/s): "
        + ", ".join(f"{n} {k}s" for k, n in sorted(traffic.counts.items()))
        + (f"; {len(traffic.errors)} refused checkouts" if traffic.errors else "")
    )
    for fault in world.faults:
        extra = f" ({fault.seconds:.1f} s down)" if fault.seconds else ""
        print(f"fault        {fault.name}{extra} {fault.note}".rstrip())
    print(
        f"restarts     {world.restarts} processes restarted by the supervisor; "
        f"{world.errors_logged} request errors logged by the web app (services down)"
    )
    print(
        f"deliveries   {result['acknowledged']} acknowledged; Shopify attempts failed and "
        f"retried: {result['shopify_failed_attempts']}; WooCommerce deliveries failed "
        f"(never retried): {result['woo_failed_deliveries']}; inbox {result['inbox']}"
    )
    print(f"reconcile    {result['reconcile_fixes']} drift movements recorded over the run")
    checks = {
        "lost": result["lost"],
        "duplicated": result["duplicated"],
        "ledger off expected": len(result["ledger_off"]),
        "drift after reconcile": len(result["channel_drift"]),
        "inbox not processed": sum(
            n for s, n in result["inbox"].items() if s not in ("processed", "skipped")
        ),
    }
    print("result       " + ", ".join(f"{k} = {v}" for k, v in checks.items()))
    if result["ledger_off"] or result["channel_drift"]:
        print(
            f"details      ledger − expected {result['ledger_off']}; channels {result['channel_drift']}"
        )
        for sku, kinds in result.get("breakdown", {}).items():
            print(f"  {sku}: expected {traffic.expected[sku]:+d}, ledger by kind {kinds}")
            for note in result["notes"].get(sku, [])[:15]:
                print(f"      {note}")
    ok = all(v == 0 for v in checks.values())
    print(f"verdict      {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
