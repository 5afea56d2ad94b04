"""The admin API: every call scoped to the store its token proves; bad input refused whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import (
    BundleComponent,
    Installation,
    JobRun,
    Listing,
    Movement,
    Sku,
    StockPool,
)


def _store(session, domain: str, platform: str = "shopify") -> Installation:
    pool = StockPool(name=domain, settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform=platform,
        shop_domain=domain,
        status="active",
        pool_id=pool.id,
        settings={"location_ref": "gid://shopify/Location/1"},
    )
    inst.credentials = {"access_token": "shpat_" + "x" * 32}
    session.add(inst)
    session.flush()
    return inst


def _listing(session, inst, sku, status=Listing.UNMATCHED, quantity=4, sku_id=None) -> Listing:
    row = Listing(
        installation_id=inst.id,
        pool_id=inst.pool_id,
        external_id=f"v-{sku}-{inst.id}",
        level_ref=f"i-{sku}-{inst.id}",
        sku=sku,
        title=f"Product {sku}",
        status=status,
        channel_quantity=quantity,
        sku_id=sku_id,
        details={},
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def two_stores(app, db_session):
    a = _store(db_session, "alpha.myshopify.com")
    b = _store(db_session, "beta.myshopify.com")
    db_session.commit()
    from views.admin_api import panel_token

    with app.test_request_context():
        return a, b, panel_token(a.id), panel_token(b.id)


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_no_token_forged_token_and_other_stores_objects_are_refused(client, db_session, two_stores):
    a, b, token_a, token_b = two_stores
    run_b = JobRun(installation_id=b.id, kind="import", status="done", details={})
    listing_b = _listing(db_session, b, "B-1")
    db_session.add(run_b)
    db_session.commit()
    assert client.get(f"/admin/api/jobs/{run_b.id}").status_code == 401
    assert (
        client.get(f"/admin/api/jobs/{run_b.id}", headers=_auth(token_a[:-4] + "AAAA")).status_code
        == 401
    )
    # Shop A's token on shop B's job and listing: not found, nothing changed.
    assert client.get(f"/admin/api/jobs/{run_b.id}", headers=_auth(token_a)).status_code == 404
    resp = client.post(
        f"/admin/api/listings/{listing_b.id}/resolve",
        json={"action": "ignore"},
        headers=_auth(token_a),
    )
    assert resp.status_code == 404
    db_session.expire_all()
    assert db_session.get(Listing, listing_b.id).status == Listing.UNMATCHED
    assert (
        client.get(f"/admin/api/jobs/{run_b.id}", headers=_auth(token_b)).json["kind"] == "import"
    )


def test_listings_are_those_of_the_token_store_only(client, db_session, two_stores):
    a, b, token_a, _ = two_stores
    _listing(db_session, a, "A-1")
    _listing(db_session, b, "B-1")
    db_session.commit()
    body = client.get("/admin/api/listings?status=unmatched", headers=_auth(token_a)).json
    assert [row["sku"] for row in body["listings"]] == ["A-1"]
    assert client.get("/admin/api/listings?status=bogus", headers=_auth(token_a)).status_code == 400
    assert client.get("/admin/api/listings?page=x", headers=_auth(token_a)).status_code == 400


def test_resolve_create_links_and_seeds_the_sku(app, client, db_session, two_stores):
    a, _, token_a, _ = two_stores
    row = _listing(db_session, a, None, quantity=6)
    db_session.commit()
    resp = client.post(
        f"/admin/api/listings/{row.id}/resolve",
        json={"action": "create", "sku": " MUG-9 "},
        headers=_auth(token_a),
    )
    assert resp.status_code == 200 and resp.json["status"] == "linked"
    app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    sku = db_session.scalar(select(Sku).where(Sku.pool_id == a.pool_id))
    assert (sku.key, sku.on_hand) == ("mug-9", 6)
    assert db_session.scalar(select(Movement.kind)) == Movement.INITIAL


@pytest.mark.parametrize(
    "body, status",
    [
        ({"action": "explode"}, 400),
        ({"action": "link"}, 400),
        ({"action": "link", "sku": ""}, 400),
        ({"action": "link", "sku": "x" * 300}, 400),
        ({"action": "link", "sku": "NOPE"}, 404),
        ([1, 2], 400),
    ],
)
def test_resolve_refuses_bad_input_and_changes_nothing(
    client, db_session, two_stores, body, status
):
    a, _, token_a, _ = two_stores
    row = _listing(db_session, a, "A-2")
    db_session.commit()
    resp = client.post(f"/admin/api/listings/{row.id}/resolve", json=body, headers=_auth(token_a))
    assert resp.status_code == status
    db_session.expire_all()
    assert db_session.get(Listing, row.id).status == Listing.UNMATCHED
    assert db_session.scalar(select(func.count()).select_from(Sku)) == 0


def test_bundle_definitions_are_validated_before_anything_is_written(
    client, db_session, two_stores
):
    a, _, token_a, _ = two_stores
    for key in ("tee", "pack", "mug"):
        db_session.add(
            Sku(
                pool_id=a.pool_id,
                key=key,
                sku=key.upper(),
                on_hand=5,
                committed=0,
                safety_buffer=0,
                is_bundle=False,
            )
        )
    db_session.commit()
    bad = [
        {"sku": "PACK", "components": []},
        {"sku": "PACK", "components": [{"sku": "TEE", "quantity": 0}]},
        {"sku": "PACK", "components": [{"sku": "TEE", "quantity": "2"}]},
        {"sku": "PACK", "components": [{"sku": "GHOST", "quantity": 1}]},
        {"sku": "PACK", "components": [{"sku": "PACK", "quantity": 1}]},
        {"sku": "PACK", "components": [{"sku": "TEE", "quantity": 1}, "oops"]},
        {"sku": "PACK"},
    ]
    for body in bad:
        assert (
            client.post("/admin/api/bundles", json=body, headers=_auth(token_a)).status_code == 400
        ), body
    assert db_session.scalar(select(func.count()).select_from(BundleComponent)) == 0
    ok = client.post(
        "/admin/api/bundles",
        headers=_auth(token_a),
        json={
            "sku": "PACK",
            "components": [{"sku": "tee", "quantity": 2}, {"sku": "MUG", "quantity": 1}],
        },
    )
    assert ok.status_code == 201
    # A bundle can't go inside another bundle.
    nested = client.post(
        "/admin/api/bundles",
        headers=_auth(token_a),
        json={"sku": "MUG", "components": [{"sku": "PACK", "quantity": 1}]},
    )
    assert nested.status_code == 400
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(BundleComponent)) == 2


def test_settings_are_bounded_and_scoped(client, db_session, two_stores, shopify_sandbox):
    a, b, token_a, _ = two_stores
    for body in (
        {"channel_buffer": -1},
        {"channel_buffer": "3"},
        {"settle_seconds": 999},
        {"channel_buffer": True},
    ):
        assert (
            client.put("/admin/api/settings", json=body, headers=_auth(token_a)).status_code == 400
        )
    db_session.expire_all()
    assert "channel_buffer" not in (db_session.get(Installation, a.id).settings or {})
    assert "channel_buffer" not in (db_session.get(Installation, b.id).settings or {})


def test_panel_page_carries_a_token_for_its_own_store(app, client, db_session):
    import time

    import shopify

    from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET

    inst = _store(db_session, "panel.myshopify.com")
    db_session.commit()
    params = {"shop": inst.shop_domain, "timestamp": str(int(time.time()))}
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    page = client.get("/admin/shopify", query_string=params)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = html.split('name="stockguard-token" content="')[1].split('"')[0]
    assert client.get("/admin/api/jobs", headers=_auth(token)).status_code == 200


def _session_token(shop: str, *, aud=None, exp_in=60, secret=None):
    import time

    import jwt

    from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET

    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud or SHOPIFY_API_KEY,
        "sub": "42",
        "exp": now + exp_in,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": "x",
        "sid": "y",
    }
    return jwt.encode(claims, secret or SHOPIFY_API_SECRET, algorithm="HS256")


def test_shopify_session_tokens_prove_their_own_shop_only(client, db_session, two_stores):
    a, b, _, _ = two_stores
    run_b = JobRun(installation_id=b.id, kind="import", status="done", details={})
    db_session.add(run_b)
    db_session.commit()
    good_a = _session_token(a.shop_domain)
    assert client.get("/admin/api/jobs", headers=_auth(good_a)).status_code == 200
    assert client.get(f"/admin/api/jobs/{run_b.id}", headers=_auth(good_a)).status_code == 404
    for bad in (
        _session_token(a.shop_domain, exp_in=-60),  # expired
        _session_token(a.shop_domain, aud="another-app"),  # wrong audience
        _session_token(a.shop_domain, secret="not-our-secret-" + "z" * 32),  # forged
    ):
        assert client.get("/admin/api/jobs", headers=_auth(bad)).status_code == 401
