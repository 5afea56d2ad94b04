"""Ten shoppers, two stores, three units: how much is oversold, and does everything converge."""

from __future__ import annotations

import threading

import pytest

from sandbox.shopify import OutOfStock
from sandbox.woocommerce import WCError
from tests.conftest import wait_for
from tests.sync.harness import SHOP

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def race(stores, shoppers: int = 10) -> tuple[list[int], list[int]]:
    """``shoppers`` one-mug orders at once, alternately on Shopify and WooCommerce."""
    accepted, refused = [], []
    start = threading.Barrier(shoppers)

    def shopper(i: int) -> None:
        start.wait()
        try:
            if i % 2:
                stores.shopify.place_order(
                    SHOP, [{"variant_id": stores.shopify_variants["MUG"]["id"], "quantity": 1}]
                )
            else:
                stores.woo.place_order(
                    line_items=[{"product_id": stores.woo_products["MUG"]["id"], "quantity": 1}]
                )
            accepted.append(i)
        except (OutOfStock, WCError):
            refused.append(i)

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(shoppers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return accepted, refused


def test_ten_concurrent_orders_for_the_last_three_units(stores):
    stores.converge({"MUG": 3, "TEE-M": 10, "TEE-L": 5})
    accepted, refused = race(stores)
    oversold = max(0, len(accepted) - 3)
    print(
        f"\nrace: {len(accepted)} orders accepted, {len(refused)} refused, {oversold} units oversold"
    )
    assert len(accepted) + len(refused) == 10
    assert len(accepted) >= 3  # every unit found a buyer
    # Whatever was oversold, the ledger and both channels agree afterwards: nothing left to sell.
    stores.converge({"MUG": 0, "TEE-M": 10, "TEE-L": 5})
    moves = [m for m in stores.movements() if m.kind != "initial"]
    for m in moves:
        print(
            f"  {m.kind:<10} {m.on_hand_delta:+d} -> {m.on_hand_after:+d}  {m.note or m.external_ref}"
        )
    assert stores.sku("MUG").on_hand == 3 - len(accepted)


def test_allocating_the_last_units_oversells_nothing(stores):
    """With the pool sharing out its last units (allocate_below), each store can only sell its
    own share: the same race oversells nothing, and the units left move to where they sell."""
    from views.admin_api import panel_token

    with stores.app.test_request_context():
        token = panel_token(stores.shopify_id)
    response = stores.app.test_client().put(
        "/admin/api/settings",
        json={"allocate_below": 10},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    # 3 mugs, two stores: 2 offered on the store linked first (Shopify), 1 on WooCommerce.
    wait_for(
        lambda: (
            (stores.idle(), (stores.shopify_level("MUG"), stores.woo_level("MUG")))[1] == (2, 1)
        ),
        timeout=20,
        message="mugs not shared out 2 + 1",
    )
    assert stores.available("MUG") == 3
    accepted, refused = race(stores)
    print(f"\nallocated race: {len(accepted)} orders accepted, {len(refused)} refused")
    assert len(accepted) + len(refused) == 10
    assert len(accepted) == 3  # every unit sold, none twice

    def settled():
        stores.idle()
        return {
            sku: (stores.available(sku), stores.shopify_level(sku), stores.woo_level(sku))
            for sku in ("MUG", "TEE-M", "TEE-L")
        }

    # Sold out everywhere; 10 tees are not "last units" (all offered on both stores); the
    # 5 large tees are shared out 3 + 2.
    expected = {"MUG": (0, 0, 0), "TEE-M": (10, 10, 10), "TEE-L": (5, 3, 2)}
    wait_for(lambda: settled() == expected, timeout=20, message="stores did not settle")
    assert stores.sku("MUG").on_hand == 0
