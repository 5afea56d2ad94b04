"""The ledger's idempotency key: one movement per external reference, however long it is."""

from __future__ import annotations

from sqlalchemy import select

from models import Movement, Sku
from sync import ledger
from tests.forecast.harness import make_pool


def test_long_references_sharing_their_start_are_two_movements(app, db_session):
    """``external_ref`` holds 255 characters. Cutting longer references would make two orders
    whose references share their first 255 characters one, and the second sale would be lost;
    each reference recorded again is still a duplicate."""
    _, _, ids = make_pool(db_session, {"LONG-1": 10})
    first, second = (
        "woocommerce:1:order:" + "7" * 300 + ":a",
        "woocommerce:1:order:" + "7" * 300 + ":b",
    )
    for ref in (first, second, first, second):
        sku = ledger.lock_skus(db_session, [ids["LONG-1"]])[ids["LONG-1"]]
        ledger.record(db_session, sku, Movement.SALE, -1, ref)
        db_session.commit()
    refs = db_session.scalars(select(Movement.external_ref)).all()
    assert len(refs) == 2 and all(len(r) <= 255 for r in refs)
    assert db_session.get(Sku, ids["LONG-1"]).on_hand == 8
