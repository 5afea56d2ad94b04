"""What the simulate page's buttons do: shoppers order, a product goes viral, the supplier's
goods arrive or are late. Each acts where it happens in real life (a checkout in a store, the
merchant in StockGuard's panel) and says what it did."""

from __future__ import annotations

import datetime as dt
import logging

from demo.world import SHOP, Panel, World

log = logging.getLogger(__name__)

SPIKE_SKU = "TEE-M"
MAX_ORDERS = 20
DELAY_DAYS = 7


class ActionError(Exception):
    """A simulated action that cannot happen as asked (an HTTP 4xx for the page)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def sellable(world: World) -> list[str]:
    """SKUs a shopper can put in a cart (a bundle is bought as its own product)."""
    return list(world.shopify_variants)


def _check_sku(world: World, sku) -> str:
    if not isinstance(sku, str) or sku not in world.shopify_variants:
        raise ActionError(400, "sku: pick one of the catalog's SKUs")
    return sku


def _check_count(value) -> int:
    try:
        count = int(str(value).strip())
    except (TypeError, ValueError):
        raise ActionError(400, f"count: a whole number from 1 to {MAX_ORDERS}") from None
    if not 1 <= count <= MAX_ORDERS:
        raise ActionError(400, f"count: a whole number from 1 to {MAX_ORDERS}")
    return count


def _order(world: World, store: str, sku: str, quantity: int = 1) -> None:
    """One checkout of ``quantity`` × ``sku`` in ``store``; the store refuses what it can't sell."""
    from sandbox.shopify import OutOfStock
    from sandbox.woocommerce.models import WCError

    if store == "shopify":
        variant = world.shopify_variants[sku]
        try:
            world.shopify.place_order(SHOP, [{"variant_id": variant["id"], "quantity": quantity}])
        except OutOfStock:
            raise ActionError(409, f"Shopify refused the order: {sku} is sold out there") from None
        return
    item = world.woo_items[sku]
    line = {"product_id": world.woo_parents[sku], "quantity": quantity}
    if world.woo_parents[sku] != item["id"]:
        line["variation_id"] = item["id"]
    try:
        world.woo.place_order(line_items=[line])
    except WCError as e:
        raise ActionError(409, f"WooCommerce refused the order: {e}") from None


def place_orders(world: World, store, sku, count) -> str:
    if store not in ("shopify", "woocommerce"):
        raise ActionError(400, "store: shopify or woocommerce")
    sku, count = _check_sku(world, sku), _check_count(count)
    name = "Shopify" if store == "shopify" else "WooCommerce"
    placed = 0
    try:
        for _ in range(count):
            _order(world, store, sku)
            placed += 1
    except ActionError as e:
        if not placed:
            raise
        return _said(world, f"{placed} order(s) of 1 × {sku} placed on {name}; then: {e.message}")
    return _said(world, f"{placed} order(s) of 1 × {sku} placed on {name}")


def viral_spike(world: World) -> str:
    """A post goes viral: orders for one SKU on both stores until one unit is left."""
    from demo.state import levels

    shopify_level, woo_level = levels(world, SPIKE_SKU)
    units = min(shopify_level, woo_level) - 1
    if units < 1:
        raise ActionError(409, f"{SPIKE_SKU} is already down to its last unit: restock first")
    # The first order on WooCommerce, the rest on Shopify: each store only sells what it has.
    _order(world, "woocommerce", SPIKE_SKU)
    for _ in range(units - 1):
        _order(world, "shopify", SPIKE_SKU)
    return _said(
        world,
        f"Viral spike: {units} orders of {SPIKE_SKU} in seconds (1 on WooCommerce, "
        f"{units - 1} on Shopify)",
    )


def _open_restocks(panel: Panel) -> list[dict]:
    return panel.call("get", "/restocks", params={"status": "open"})["restocks"]


def _neediest_first(world: World, restocks: list[dict]) -> list[dict]:
    """Open restocks, those of the SKU with the least stock in either store first."""
    from demo.state import levels

    return sorted(restocks, key=lambda r: (min(levels(world, r["sku"])), r["id"]))


def restock_arrives(world: World) -> str:
    """The open restock of the SKU with the least stock is delivered; received in the panel."""
    panel = Panel(world, world.shopify_id)
    found = _neediest_first(world, _open_restocks(panel))
    if not found:
        reference = f"PO-{1100 + len(world.events)}"
        panel.call("post", "/restocks", json={
            "sku": SPIKE_SKU, "quantity": 20, "reference": reference,
            "expected_on": dt.date.today().isoformat()})  # fmt: skip
        found = _open_restocks(panel)
    restock = found[0]
    answer = panel.call("post", f"/restocks/{restock['id']}/receive")
    return _said(
        world,
        f"Restock {restock['reference'] or restock['id']} arrived: "
        f"{answer['received']} × {restock['sku']} received",
    )


def supplier_delay(world: World) -> str:
    """The supplier moves the open restock of the SKU with the least stock a week later (same
    reference, as the supplier's confirmation would)."""
    panel = Panel(world, world.shopify_id)
    found = _neediest_first(world, _open_restocks(panel))
    if not found:
        raise ActionError(409, "no open restock to delay: every restock has arrived")
    restock = found[0]
    later = dt.date.fromisoformat(restock["expected_on"]) + dt.timedelta(days=DELAY_DAYS)
    body = {
        "sku": restock["sku"],
        "quantity": restock["quantity"],
        "reference": restock["reference"],
        "expected_on": later.isoformat(),
    }
    if restock["supplier"]:
        body["supplier"] = restock["supplier"]
    panel.call("post", "/restocks", json=body)
    return _said(
        world,
        f"Supplier delay: {restock['reference']} ({restock['quantity']} × {restock['sku']}) "
        f"now expected on {later.isoformat()} instead of {restock['expected_on']}",
    )


def _said(world: World, text: str) -> str:
    world.say(text)
    log.info("demo: %s", text)
    return text


ACTIONS = {
    "orders": lambda world, form: place_orders(
        world, form.get("store"), form.get("sku"), form.get("count", "1")
    ),
    "spike": lambda world, form: viral_spike(world),
    "restock": lambda world, form: restock_arrives(world),
    "delay": lambda world, form: supplier_delay(world),
}


def after_action(world: World, timeout: float = 6.0) -> None:
    """Let the stores and StockGuard catch up, then refresh the forecast and sweep the alerts
    (both also run on their own schedule; here the newcomer sees them at once)."""
    from extensions import db
    from sync.forecast.run import refresh

    world.woo.wait_for_deliveries(timeout=5)
    world.app.extensions["jobs"].wait_idle(timeout)
    with world.app.app_context():
        try:
            refresh(db.session, world.pool_id)
            db.session.commit()
            sweep = _alerts_sweep()
            if sweep is not None:
                sweep(db.session, world.pool_id)
        finally:
            db.session.remove()


def _alerts_sweep():
    """``sync.alerts.sweep`` where this StockGuard has alerts, else None."""
    try:
        from sync.alerts import sweep
    except ImportError:
        return None
    return sweep
