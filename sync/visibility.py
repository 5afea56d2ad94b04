"""What happens to a sold-out product on the channel: badge only, hidden, or sold as pre-order.

Default is *badge only*: the page stays, and with it its search ranking. When the merchant
opts in, a product sold out for longer than the grace period is hidden from the online store
(Shopify: unpublished from the Online Store; WooCommerce: catalog visibility "hidden") and
shown again on restock — but only if StockGuard hid it, and only the way it hid it: a product
the merchant hid stays hidden, one the merchant re-showed is left to them. Pre-order mode keeps
selling at zero (Shopify ``inventoryPolicy: CONTINUE``, WooCommerce backorders "notify") and
puts the variants' own policy back on restock.

``evaluate`` runs inside the availability refresh and only decides; ``apply_policy`` (a job,
one per product) talks to the channel.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from connectors import registry
from connectors.errors import NotFound
from extensions import db
from models import Installation, Listing, ProductPolicy, record_activity, utcnow
from sync.queue import jobs
from sync.storefront_settings import storefront_settings
from sync.worker import job

log = logging.getLogger(__name__)

MERCHANT = "merchant_hidden"  # hide_restore marker: the merchant had hidden it before us


def _mode(policy: ProductPolicy, settings: dict) -> str:
    return policy.mode or settings["visibility"]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def wanted(policy: ProductPolicy, settings: dict, now: dt.datetime) -> dict[str, bool]:
    """What the channel should look like for this product now."""
    mode = _mode(policy, settings)
    sold_out = policy.sold_out_since is not None
    grace = policy.grace_minutes
    grace = settings["hide_grace_minutes"] if grace is None else grace
    overdue = sold_out and now - _aware(policy.sold_out_since) >= dt.timedelta(minutes=grace)
    return {"hidden": mode == "hide" and overdue, "preorder": mode == "preorder" and sold_out}


def needs_action(policy: ProductPolicy, settings: dict, now: dt.datetime) -> bool:
    want = wanted(policy, settings, now)
    merchant = (policy.hide_restore or {}).get(MERCHANT)
    return (
        (want["hidden"] and not policy.hidden_by_us and not merchant)
        or (policy.hidden_by_us and not want["hidden"])
        or (want["preorder"] != policy.preorder_by_us)
    )


def evaluate(session, installation, product_ref: str, sold_out: bool, policies, settings) -> None:
    """Record whether the product is sold out and queue the channel change it calls for."""
    policy = policies.get(product_ref)
    if policy is None:
        if settings["visibility"] == "badge":
            return  # the default: nothing to change, nothing to remember
        policy = ProductPolicy(
            installation_id=installation.id,
            product_ref=product_ref,
            hide_restore={},
            preorder_restore={},
        )
        session.add(policy)
        policies[product_ref] = policy
    now = utcnow()
    if sold_out and policy.sold_out_since is None:
        policy.sold_out_since = now
    elif not sold_out:
        policy.sold_out_since = None
        if (policy.hide_restore or {}).get(MERCHANT):
            policy.hide_restore = {}  # back in stock: the next sell-out is judged afresh
    if needs_action(policy, settings, now):
        session.flush()
        db.after_commit(lambda p=policy.id: enqueue_apply(p))


def enqueue_apply(policy_id: int) -> None:
    jobs.enqueue(apply_policy, policy_id, job_id=f"visibility-{policy_id}")


def _name(session, installation_id: int, product_ref: str) -> str:
    title = session.scalar(
        select(Listing.product_title).where(
            Listing.installation_id == installation_id, Listing.product_ref == product_ref
        )
    )
    return title or product_ref


@job
def apply_policy(policy_id: int) -> str:
    """Make the channel match the product's policy; returns what was done."""
    session = db.session
    policy = session.get(ProductPolicy, policy_id, with_for_update=True, populate_existing=True)
    if policy is None:
        return "gone"
    installation = session.get(Installation, policy.installation_id)
    if installation is None or not installation.is_active:
        session.rollback()
        return "store not connected"
    connector = registry.storefront(installation.platform)
    settings = storefront_settings(installation)
    want = wanted(policy, settings, utcnow())
    name = _name(session, installation.id, policy.product_ref)
    try:
        done = _apply(session, connector, installation, policy, want, name)
    except NotFound:
        # Deleted in the store meanwhile: nothing left to hide, show or sell as pre-order (and
        # nothing for the sweeper to try again).
        policy.hidden_by_us = policy.preorder_by_us = False
        policy.hide_restore, policy.preorder_restore = {}, {}
        policy.sold_out_since = None
        done = ["product gone from the store"]
    session.commit()
    return ", ".join(done) or "nothing to do"


def _apply(session, connector, installation, policy, want, name) -> list[str]:
    done = []
    if want["hidden"] and not policy.hidden_by_us and not (policy.hide_restore or {}).get(MERCHANT):
        hidden = connector.product_hidden(installation, policy.product_ref)
        if hidden is None:
            raise NotFound(f"product {policy.product_ref} is gone")
        if hidden:
            policy.hide_restore = {MERCHANT: True}
            done.append("already hidden by the merchant: left alone")
        else:
            policy.hide_restore = connector.hide_product(installation, policy.product_ref)
            policy.hidden_by_us, policy.hidden_at = True, utcnow()
            record_activity(
                session,
                installation,
                "visibility",
                f"Hid “{name}” from the online store: sold out",
                product_ref=policy.product_ref,
            )
            done.append("hidden")
    elif policy.hidden_by_us and not want["hidden"]:
        shown = connector.show_product(installation, policy.product_ref, policy.hide_restore or {})
        policy.hidden_by_us, policy.hide_restore = False, {}
        message = (
            f"Showed “{name}” again: back in stock"
            if shown
            else f"Did not touch “{name}”: its visibility was changed in the store since "
            "StockGuard hid it"
        )
        record_activity(
            session, installation, "visibility", message, product_ref=policy.product_ref
        )
        done.append("shown" if shown else "left as the merchant set it")
    if want["preorder"] != policy.preorder_by_us:
        restore = connector.set_backorders(
            installation,
            policy.product_ref,
            want["preorder"],
            None if want["preorder"] else policy.preorder_restore,
        )
        policy.preorder_by_us = want["preorder"]
        policy.preorder_restore = restore if want["preorder"] else {}
        record_activity(
            session,
            installation,
            "visibility",
            f"“{name}” "
            + (
                "sold as pre-order: sold out"
                if want["preorder"]
                else "no longer on pre-order: back in stock"
            ),
            product_ref=policy.product_ref,
        )
        done.append("pre-order on" if want["preorder"] else "pre-order off")
    return done


@job
def sweep_visibility() -> int:
    """Products whose grace period ran out since their last stock change."""
    session = db.session
    now, queued = utcnow(), 0
    rows = session.scalars(
        select(ProductPolicy).where(
            ProductPolicy.sold_out_since.is_not(None), ProductPolicy.hidden_by_us.is_(False)
        )
    ).all()
    settings_of: dict[int, dict] = {}
    for policy in rows:
        if policy.installation_id not in settings_of:
            installation = session.get(Installation, policy.installation_id)
            settings_of[policy.installation_id] = storefront_settings(installation)
        if needs_action(policy, settings_of[policy.installation_id], now):
            enqueue_apply(policy.id)
            queued += 1
    session.rollback()
    return queued
