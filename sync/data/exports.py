"""CSV exports of every table the merchant owns, scoped to one stock pool.

One ``Table`` per export: its columns and the query that reads them, always filtered on the pool
(or on the installations of the pool, for what belongs to a store). Rows are streamed
(``yield_per``): the ledger can hold millions of movements. Never exported: store and ad
credentials, webhook secrets, sealed tokens — no column of these tables holds them, and the
installation and ad account rows themselves are only named (shop address, account name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import (
    ActivityEntry,
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Installation,
    Listing,
    Movement,
    NotifySubscription,
    Restock,
    Sku,
    StockPool,
    Supplier,
)
from money import to_text
from sync.data import csv_io

STREAM_BATCH = 1000


@dataclass(frozen=True)
class Table:
    columns: list[str]
    query: Callable[[int], object]  # pool id → select()
    # Turn a result row into CSV values (money needs the pool's currency).
    shape: Callable[[tuple, str | None], tuple] = lambda row, currency: tuple(row)


def _store_ids(pool_id: int):
    return select(Installation.id).where(Installation.pool_id == pool_id)


def _skus(pool_id: int):
    return (
        select(
            Sku.id,
            Sku.sku,
            Sku.barcode,
            Sku.name,
            Sku.on_hand,
            Sku.committed,
            Sku.safety_buffer,
            Sku.is_bundle,
            Supplier.name,
            Sku.reorder_planned,
            Sku.price_minor,
            Sku.unit_cost_minor,
            Sku.updated_at,
        )
        .outerjoin(Supplier, Supplier.id == Sku.supplier_id)
        .where(Sku.pool_id == pool_id)
        .order_by(Sku.id)
    )


def _sku_row(row, currency):
    *head, price, cost, updated = row
    available = max(0, row[4] - row[5] - row[6]) if not row[7] else ""
    return (*head[:7], available, *head[7:], to_text(price, currency), to_text(cost, currency),
            currency or "", updated)  # fmt: skip


def _listings(pool_id: int):
    return (
        select(
            Listing.id,
            Installation.shop_domain,
            Listing.external_id,
            Listing.product_ref,
            Listing.sku,
            Listing.barcode,
            Listing.title,
            Listing.status,
            Listing.sku_id,
            Listing.channel_quantity,
            Listing.price_minor,
            Listing.currency,
            Listing.url,
            Listing.last_pushed_at,
        )
        .join(Installation, Installation.id == Listing.installation_id)
        .where(Listing.pool_id == pool_id)
        .order_by(Listing.id)
    )


def _listing_row(row, currency):
    *head, price, own_currency, url, pushed = row
    return (*head, to_text(price, own_currency), own_currency, url, pushed)


def _movements(pool_id: int):
    return (
        select(
            Movement.id,
            Movement.created_at,
            Movement.sku_id,
            Sku.sku,
            Movement.kind,
            Movement.on_hand_delta,
            Movement.committed_delta,
            Movement.on_hand_after,
            Installation.shop_domain,
            Movement.order_ref,
            Movement.external_ref,
            Movement.note,
        )
        .join(Sku, Sku.id == Movement.sku_id)
        .outerjoin(Installation, Installation.id == Movement.installation_id)
        .where(Movement.pool_id == pool_id)
        .order_by(Movement.id)
    )


def _restocks(pool_id: int):
    return (
        select(
            Restock.id,
            Sku.sku,
            Restock.quantity,
            Restock.expected_on,
            Restock.status,
            Supplier.name,
            Restock.reference,
            Restock.created_at,
            Restock.received_at,
        )
        .join(Sku, Sku.id == Restock.sku_id)
        .outerjoin(Supplier, Supplier.id == Restock.supplier_id)
        .where(Restock.pool_id == pool_id)
        .order_by(Restock.id)
    )


def _suppliers(pool_id: int):
    return (
        select(
            Supplier.id,
            Supplier.name,
            Supplier.email,
            Supplier.lead_time_days,
            Supplier.lead_time_spread_days,
            Supplier.created_at,
        )
        .where(Supplier.pool_id == pool_id)
        .order_by(Supplier.id)
    )


def _activity(pool_id: int):
    return (
        select(
            ActivityEntry.id,
            ActivityEntry.created_at,
            Installation.shop_domain,
            ActivityEntry.kind,
            ActivityEntry.message,
        )
        .join(Installation, Installation.id == ActivityEntry.installation_id)
        .where(ActivityEntry.installation_id.in_(_store_ids(pool_id)))
        .order_by(ActivityEntry.id)
    )


def _ad_links(pool_id: int):
    return (
        select(
            AdLink.id,
            AdAccount.platform,
            AdAccount.name,
            AdObject.level,
            AdObject.ref,
            AdObject.name,
            Sku.sku,
            AdLink.created_at,
        )
        .join(AdObject, AdObject.id == AdLink.ad_object_id)
        .join(AdAccount, AdAccount.id == AdObject.account_id)
        .join(Sku, Sku.id == AdLink.sku_id)
        .where(AdLink.pool_id == pool_id)
        .order_by(AdLink.id)
    )


def _ad_actions(pool_id: int):
    account = aliased(AdAccount)
    return (
        select(
            AdAction.id,
            AdAction.created_at,
            account.platform,
            AdObject.level,
            AdObject.ref,
            AdObject.name,
            AdAction.kind,
            AdAction.state,
            AdAction.mode,
            AdAction.reason,
            AdAction.status_before,
            AdAction.status_after,
            AdAction.budget_before,
            AdAction.budget_after,
            AdAction.spend_avoided,
            account.currency,
            AdAction.executed_at,
            AdAction.note,
        )
        .join(account, account.id == AdAction.account_id)
        .join(AdObject, AdObject.id == AdAction.ad_object_id)
        .where(AdAction.pool_id == pool_id)
        .order_by(AdAction.id)
    )


def _ad_action_row(row, currency):
    *head, before, after, avoided, own_currency, executed, note = row
    return (*head, to_text(before, own_currency), to_text(after, own_currency),
            to_text(avoided, own_currency), own_currency, executed, note)  # fmt: skip


def _notify(pool_id: int):
    return (
        select(
            NotifySubscription.id,
            NotifySubscription.created_at,
            Installation.shop_domain,
            NotifySubscription.variant_id,
            NotifySubscription.contact,
            NotifySubscription.channel,
            NotifySubscription.locale,
            NotifySubscription.consent,
            NotifySubscription.consent_text,
            NotifySubscription.status,
            NotifySubscription.sent_at,
        )
        .join(Installation, Installation.id == NotifySubscription.installation_id)
        .where(NotifySubscription.installation_id.in_(_store_ids(pool_id)))
        .order_by(NotifySubscription.id)
    )


TABLES: dict[str, Table] = {
    "skus": Table(
        ["id", "sku", "barcode", "name", "on_hand", "committed", "safety_buffer", "available",
         "is_bundle", "supplier", "reorder_planned", "price", "unit_cost", "currency",
         "updated_at"],
        _skus, _sku_row,
    ),
    "listings": Table(
        ["id", "store", "external_id", "product_ref", "sku", "barcode", "title", "status",
         "sku_id", "channel_quantity", "price", "currency", "url", "last_pushed_at"],
        _listings, _listing_row,
    ),
    "movements": Table(
        ["id", "created_at", "sku_id", "sku", "kind", "on_hand_delta", "committed_delta",
         "on_hand_after", "store", "order_ref", "external_ref", "note"],
        _movements,
    ),
    "restocks": Table(
        ["id", "sku", "quantity", "expected_on", "status", "supplier", "reference",
         "created_at", "received_at"],
        _restocks,
    ),
    "suppliers": Table(
        ["id", "name", "email", "lead_time_days", "lead_time_spread_days", "created_at"],
        _suppliers,
    ),
    "activity": Table(["id", "created_at", "store", "kind", "message"], _activity),
    "ad_links": Table(
        ["id", "platform", "account", "level", "object_ref", "object_name", "sku",
         "created_at"],
        _ad_links,
    ),
    "ad_actions": Table(
        ["id", "created_at", "platform", "level", "object_ref", "object_name", "kind", "state",
         "mode", "reason", "status_before", "status_after", "budget_before", "budget_after",
         "spend_avoided", "currency", "executed_at", "note"],
        _ad_actions, _ad_action_row,
    ),
    "notify_signups": Table(
        ["id", "created_at", "store", "variant_id", "contact", "channel", "locale", "consent",
         "consent_text", "status", "sent_at"],
        _notify,
    ),
}  # fmt: skip


def stream(session, pool_id: int, name: str) -> Iterator[str]:
    """The CSV of table ``name`` for the pool, a chunk at a time."""
    table = TABLES[name]
    pool = session.get(StockPool, pool_id)
    currency = pool.setting("currency", None) if pool else None
    result = session.execute(table.query(pool_id).execution_options(yield_per=STREAM_BATCH))
    rows = (table.shape(tuple(row), currency) for row in result)
    yield from csv_io.write(table.columns, rows)
