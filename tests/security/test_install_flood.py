"""Anonymous install starts write nothing unbounded. Found: every anonymous install start wrote
an ``install_state`` row (600 in 2.7 s), never purged."""

from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from models import InstallState


def _states(app) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(InstallState))


def test_shopify_install_starts_are_bounded_per_client_and_purged(make_app):
    app = make_app(INSTALL_RATE_LIMIT=5)
    client = app.test_client()
    answers = [
        client.get("/auth/shopify/install", query_string={"shop": f"s{i}.myshopify.com"})
        for i in range(8)
    ]
    assert [a.status_code for a in answers] == [302] * 5 + [429] * 3
    assert all("Location" not in a.headers for a in answers[5:])
    assert _states(app) == 5
    with app.app_context():
        for state in db.session.scalars(select(InstallState)):
            state.created_at = state.created_at.replace(year=state.created_at.year - 1)
        db.session.commit()
    app.config["INSTALL_RATE_LIMIT"] = 0
    assert (
        client.get("/auth/shopify/install", query_string={"shop": "x.myshopify.com"}).status_code
        == 302
    )
    assert _states(app) == 1  # the expired five were deleted by the next start
