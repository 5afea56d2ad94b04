"""What every fuzzed delivery must show, whatever its payload (both platforms)."""

from __future__ import annotations

from hypothesis import note
from sqlalchemy import text

from extensions import db
from models import WebhookDelivery
from tests.fuzz.conftest import World, assert_ledger_consistent, deliveries, sweepable

# Where a delivery must end: done, nothing to do, or refused as unusable, each for good.
DONE = (WebhookDelivery.PROCESSED, WebhookDelivery.SKIPPED, WebhookDelivery.REJECTED)


def deliver(world: World, post, body: bytes) -> WebhookDelivery | None:
    """POST ``body`` (validly signed, by ``post``) twice, let the jobs run, and check the
    endpoint, the inbox and the ledger. Returns the delivery row, if one was recorded."""
    before = assert_ledger_consistent(world.app)
    first = post(body)
    note(f"answer: {first.status_code} {first.get_data()[:300]!r}")
    assert first.status_code < 500, "a 5xx tells the platform to retry a payload forever"
    assert first.status_code in (200, 400), first.status_code
    again = post(body)  # the platform's retry of the same delivery
    assert again.status_code == first.status_code
    mine = [d for d in deliveries(world.app) if d.body == body]
    answer = first.get_json() or {}
    if first.status_code == 400 or "note" in answer:
        assert mine == [], "a refused or acknowledged-only delivery leaves no row"
        world.idle()
        assert assert_ledger_consistent(world.app) == before
        return None
    assert len(mine) == 1, f"recorded {len(mine)} times"
    assert again.get_json().get("duplicate") is True

    world.idle()
    [row] = [d for d in deliveries(world.app) if d.id == mine[0].id]
    note(f"delivery: {row.status} after {row.attempts} attempts: {row.last_error}")
    assert row.status in DONE, f"left {row.status}: {row.last_error}"
    if row.status != WebhookDelivery.PROCESSED:
        assert row.last_error, "a delivery that did nothing says why"
    # A payload that can't be used is settled, not put back in line every minute forever.
    assert row.id not in sweepable(world.app)
    after = assert_ledger_consistent(world.app)
    if row.status != WebhookDelivery.PROCESSED:
        assert after == before, "a delivery that failed moved stock (partial write)"
    return row


def last_movement(app) -> int:
    with app.app_context():
        value = db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM movement")).scalar()
        db.session.remove()
    return value


def order_units(app, since: int) -> int:
    """Units moved by orders and restocks after movement ``since`` (not the settles that
    fold what the sandbox stores, which never saw these made-up orders, still show)."""
    with app.app_context():
        value = db.session.execute(
            text(
                "SELECT COALESCE(SUM(on_hand_delta), 0) FROM movement"
                " WHERE id > :since AND kind IN ('sale', 'restock', 'bundle')"
            ),
            {"since": since},
        ).scalar()
        db.session.remove()
    return value
