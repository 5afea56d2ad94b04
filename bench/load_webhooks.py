"""The webhook side of bench/load.py: shoppers' orders on both sandbox stores (their real signed
deliveries), Shopify's retries, WooCommerce's sender timed, and the check once all is drained:
exactly once, inbox drained, ledger = the orders' totals on both stores."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from pathlib import Path

from common import percentile
from load_client import Tally, paced

from tests.sync.harness import SHOP


class Orders:
    """Places shoppers' orders on both stores and keeps the expected stock."""

    def __init__(self, stores, skus: list[str], stock: int, seed: int = 11):
        self.stores, self.skus = stores, skus
        self.expected = {sku: stock for sku in skus}
        self.floor = stock // 2  # never near sold out: every order must be accepted
        self.sold = {"shopify": 0, "woocommerce": 0}
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.random = random.Random(seed)

    def _take(self) -> list[tuple[str, int]]:
        with self.lock:
            open_skus = [s for s in self.skus if self.expected[s] > self.floor]
            if len(open_skus) < 2:
                return []  # the run is longer than the stock allows: stop ordering
            lines = [(s, self.random.randint(1, 2)) for s in self.random.sample(open_skus, 2)]
            lines = lines[: self.random.randint(1, 2)]
            for sku, qty in lines:
                self.expected[sku] -= qty
            return lines

    def place(self, platform: str) -> None:
        lines = self._take()
        if not lines:
            return
        try:
            if platform == "shopify":
                variants = self.stores.shopify_variants
                items = [{"variant_id": variants[s]["id"], "quantity": q} for s, q in lines]
                self.stores.shopify.place_order(SHOP, items)
            else:
                products = self.stores.woo_products
                items = [{"product_id": products[s]["id"], "quantity": q} for s, q in lines]
                self.stores.woo.place_order(line_items=items)
        except Exception as e:  # noqa: BLE001 - a refused order is reported, not fatal
            with self.lock:
                for sku, qty in lines:
                    self.expected[sku] += qty
                self.refused.append(f"{platform}: {type(e).__name__}: {e}")
            return
        with self.lock:
            self.sold[platform] += sum(q for _, q in lines)


def time_woo_deliveries(woo) -> list:
    """Time each WooCommerce delivery as its sender makes it: [(wall start, seconds, Delivery)]."""
    dispatcher, log = woo.dispatcher, []
    deliver = dispatcher._deliver

    def timed(webhook_id, topic, body):
        count, wall, started = len(dispatcher.deliveries), time.time(), time.perf_counter()
        deliver(webhook_id, topic, body)
        if len(dispatcher.deliveries) > count:  # only this thread appends webhook deliveries
            log.append((wall, time.perf_counter() - started, dispatcher.deliveries[count]))

    dispatcher._deliver = timed
    return log


def shopify_retries(shopify, rate: float, start: float, stop: float, tally: Tally, sent: list):
    """Send acknowledged Shopify deliveries again, as Shopify's retries do (into ``sent``)."""
    rng = random.Random(5)

    def step():
        with shopify.lock:
            recent = [d for d in shopify.deliveries[-100:] if d.ok]
        if recent:
            sent.append(shopify.redeliver(rng.choice(recent)))

    paced(start, stop, 1 / rate, 0.37 / rate, tally, step)


def acknowledged(bench, woo_id: int) -> tuple[set, int, int]:
    """(platform, dedupe key) of every delivery answered "recorded", duplicates, "no work"."""
    acked, duplicates, noted = set(), 0, 0
    for d in list(bench.shopify.deliveries):
        if d.ok and b'"note"' in d.response_body:
            noted += 1
        elif d.ok:
            topic, event = d.headers["X-Shopify-Topic"], d.headers["X-Shopify-Event-Id"]
            acked.add(("shopify", f"{topic}:{event}"))  # connectors/shopify/webhooks.py
            duplicates += b'"duplicate"' in d.response_body
    for d in list(bench.woo.dispatcher.deliveries):
        if d.kind == "webhook" and d.status == 200:
            # connectors/woocommerce/webhooks.py: installation:topic:id:modified:body digest
            payload = json.loads(d.body)
            modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
            digest = hashlib.sha256(d.body).hexdigest()[:16]
            acked.add(("woocommerce", f"{woo_id}:{d.topic}:{payload['id']}:{modified}:{digest}"))
    return acked, duplicates, noted


def verify(bench, stores, orders: Orders, first_movement: int, retried: int, drain_timeout):
    """[(check, ok, detail)] once the workers have drained everything."""
    from sqlalchemy import func, select

    from extensions import db
    from models import Movement, Sku, WebhookDelivery

    checks = []
    started = time.monotonic()
    drained_in = None
    while time.monotonic() - started < drain_timeout:
        with bench.app.app_context():
            waiting = db.session.scalar(
                select(func.count()).where(WebhookDelivery.status == WebhookDelivery.PENDING)
            )
            db.session.remove()
        if not waiting and bench.app.extensions["jobs"].wait_idle(0.5):
            drained_in = time.monotonic() - started
            break
        time.sleep(0.2)
    try:
        stores.converge(dict(orders.expected), timeout=30)
        converged, detail = True, ""
    except AssertionError:
        state = {
            k: (stores.available(k), stores.shopify_level(k), stores.woo_level(k))
            for k in orders.expected
        }
        wrong = {k: v for k, v in state.items() if v != (orders.expected[k],) * 3}
        expected = {k: orders.expected[k] for k in wrong}
        converged, detail = False, f"(ledger, Shopify, WooCommerce) {wrong}, expected {expected}"
    with bench.app.app_context():
        session = db.session
        by_status = dict(
            session.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ).all()
        )
        rows = session.execute(select(WebhookDelivery.platform, WebhookDelivery.dedupe_key)).all()
        lags = [
            (done - got).total_seconds() * 1000
            for got, done in session.execute(
                select(WebhookDelivery.received_at, WebhookDelivery.processed_at).where(
                    WebhookDelivery.processed_at.is_not(None)
                )
            )
        ]
        adjustments = session.execute(
            select(Sku.sku, Movement.on_hand_delta, Movement.note, Movement.created_at)
            .join(Sku, Sku.id == Movement.sku_id)
            .where(Movement.id > first_movement, Movement.kind != "sale")
            .order_by(Movement.id)
        ).all()
        moves = session.execute(
            select(
                Movement.kind,
                Movement.installation_id,
                Movement.on_hand_delta,
                Movement.committed_delta,
            ).where(Movement.id > first_movement)
        ).all()
        db.session.remove()
    recorded = {(p, k) for p, k in rows}
    acked, duplicates, noted = acknowledged(bench, stores.woo_id)
    missing, unacked = acked - recorded, recorded - acked
    checks.append(
        (
            "exactly once",
            not missing and len(rows) == len(recorded) and duplicates == retried,
            f"{len(acked):,} distinct deliveries acknowledged as recorded, {len(missing)} of them "
            f"not in the inbox; {len(rows):,} inbox rows = {len(recorded):,} distinct keys "
            f"({len(unacked)} never acknowledged); {duplicates} of {retried} retries answered "
            f"as duplicates; {noted} acknowledged as needing no work",
        )
    )
    pending = by_status.get("pending", 0) + by_status.get("failed", 0)
    drained = "not within the drain timeout" if drained_in is None else f"in {drained_in:.1f} s"
    checks.append(
        (
            "inbox drained",
            pending == 0 and drained_in is not None,
            f"{by_status} (jobs idle {drained} after the load stopped); received → processed "
            f"p50 {percentile(lags, 0.5):.0f} ms, p99 {percentile(lags, 0.99):.0f} ms, "
            f"max {max(lags, default=0):.0f} ms",
        )
    )
    ids = {"shopify": stores.shopify_id, "woocommerce": stores.woo_id}
    sold = {
        p: -sum(
            m.on_hand_delta - m.committed_delta
            for m in moves
            if m.kind == "sale" and m.installation_id == i
        )
        for p, i in ids.items()
    }
    other_kinds = sorted({m.kind for m in moves} - {"sale"})
    ok = converged and sold == orders.sold and not other_kinds and not orders.refused
    checks.append(
        (
            "ledger",
            ok,
            f"sales recorded {sold} = units ordered {orders.sold}: {'yes' if sold == orders.sold else 'NO'}; "
            f"other movements {other_kinds or 'none'}; ledger = Shopify = WooCommerce = expected for "
            f"{len(orders.expected)} SKUs: {'yes' if converged else 'NO ' + detail}; "
            f"refused orders {len(orders.refused)}",
        )
    )
    for sku, delta, note, at in adjustments[:10]:  # what a failed ledger check is made of
        checks.append(("  movement", False, f"{at:%H:%M:%S.%f} {sku} {delta:+d} {note}"))
    return checks


def worker_errors(logs: Path) -> str:
    """What the RQ workers' logs say went wrong: jobs that raised (RQ retries them) and why."""
    jobs: dict[str, int] = {}
    causes: dict[str, int] = {}
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        for name in re.findall(r"ERROR rq\.worker: .*? job ([a-z_]+)-", text):
            jobs[name] = jobs.get(name, 0) + 1
        for cause in re.findall(r"^(?:\w+\.)+(\w+): ", text, re.M):
            if cause.endswith(("Error", "Detected", "Exception", "Incomplete")):
                causes[cause] = causes.get(cause, 0) + 1
    if not jobs:
        return "none"
    return (
        f"{sum(jobs.values())} jobs raised (retried by RQ): "
        + ", ".join(f"{k} x{v}" for k, v in sorted(jobs.items()))
        + "; "
        + ", ".join(f"{k} x{v}" for k, v in sorted(causes.items(), key=lambda kv: -kv[1])[:4])
    )
