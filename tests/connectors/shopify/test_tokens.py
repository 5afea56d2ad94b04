"""Expiring offline tokens against the Shopify sandbox: the install asks for them, they are
refreshed ahead of expiry and after a 401, one refresh at a time, a lost refresh response is
recovered, and non-expiring tokens are migrated (lazily and by the CLI) before 2027."""

from __future__ import annotations

import datetime as dt
import threading

import requests
from sqlalchemy import select

from connectors import registry
from connectors.shopify.tokens import fresh_token
from models import ActivityEntry, Installation
from tests.connectors.shopify.helpers import install

SHOP = "teststore.myshopify.com"
SCOPES = ["read_locations", "read_products", "write_inventory"]
REFRESH = "refresh_token"


def _token_requests(sandbox, grant: str | None = None):
    found = [r for r in sandbox.requests_log if r.path == "/admin/oauth/access_token"]
    return [r for r in found if grant is None or (r.json or {}).get("grant_type") == grant]


def _installed(app, client, sandbox, db_session, *, ttl: int | None = None) -> Installation:
    """Install; ``ttl``: the lifetime of the token the install gets (later ones last 60 min).
    Returns once the catalog import the install started has finished."""
    sandbox.create_shop(SHOP, name="Test Store")
    if ttl is not None:
        sandbox.access_token_ttl = ttl
    assert install(client, SHOP).status_code == 302
    sandbox.access_token_ttl = 3600
    assert app.extensions["jobs"].wait_idle(15)
    db_session.expire_all()
    return Installation.find(db_session, "shopify", SHOP)


def _imported(db_session, installation_id: int) -> str:
    from models import JobRun

    db_session.expire_all()
    run = db_session.scalar(
        select(JobRun).where(JobRun.installation_id == installation_id, JobRun.kind == "import")
    )
    return run.status


def _locations(app, installation_id: int):
    with app.app_context():
        from extensions import db

        inst = db.session.get(Installation, installation_id)
        return registry.storefront("shopify").locations(inst)


def _stored(db_session, installation_id: int) -> dict:
    db_session.expire_all()
    return db_session.get(Installation, installation_id).credentials


def test_install_asks_for_an_expiring_token_and_stores_the_pair_sealed(
    app, client, shopify_sandbox, db_session
):
    inst = _installed(app, client, shopify_sandbox, db_session)
    (exchange,) = _token_requests(shopify_sandbox)
    assert exchange.json["expiring"] == "1" and exchange.json["code"]
    creds = inst.credentials
    assert set(creds) == {"access_token", "expires_at", "refresh_token", "refresh_token_expires_at"}
    left = dt.datetime.fromisoformat(creds["expires_at"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=58) < left <= dt.timedelta(minutes=60)
    assert creds["refresh_token"] not in inst.credentials_sealed
    assert creds["refresh_token"] not in str(inst.settings)
    assert creds["access_token"] in shopify_sandbox.shops[SHOP].access_tokens


def test_token_is_refreshed_before_it_expires(app, client, shopify_sandbox, db_session):
    # The install's token has less left than the 5 minutes StockGuard keeps ahead: the catalog
    # import the install starts refreshes it before its first call.
    inst = _installed(app, client, shopify_sandbox, db_session, ttl=120)
    first = next(iter(shopify_sandbox.tokens.pairs.values()))  # what the install got
    (refresh,) = _token_requests(shopify_sandbox, REFRESH)
    assert _imported(db_session, inst.id) == "done"
    assert [loc.name for loc in _locations(app, inst.id)] == ["Shop location"]
    assert len(_token_requests(shopify_sandbox, REFRESH)) == 1  # 60 minutes left now
    assert refresh.json["refresh_token"] == first.refresh_token
    now = _stored(db_session, inst.id)
    assert now["access_token"] != first.access_token
    assert now["refresh_token"] != first.refresh_token  # rotated
    graphql = [r for r in shopify_sandbox.requests_log if r.path.endswith("/graphql.json")]
    assert graphql[-1].headers["X-Shopify-Access-Token"] == now["access_token"]
    assert graphql[-1].status == 200
    assert first.access_token in shopify_sandbox.shops[SHOP].revoked_tokens


def test_token_refused_with_401_is_refreshed_and_the_call_retried_once(
    app, client, shopify_sandbox, db_session
):
    inst = _installed(app, client, shopify_sandbox, db_session)
    first = inst.credentials["access_token"]
    shopify_sandbox.expire_access_tokens(SHOP)  # Shopify's clock says it expired; ours doesn't
    assert [loc.name for loc in _locations(app, inst.id)] == ["Shop location"]
    calls = [r for r in shopify_sandbox.requests_log if r.path.endswith("/graphql.json")][-2:]
    assert [(c.headers["X-Shopify-Access-Token"] == first, c.status) for c in calls] == [
        (True, 401),
        (False, 200),
    ]
    assert len(_token_requests(shopify_sandbox, REFRESH)) == 1
    assert (
        _stored(db_session, inst.id)["access_token"] == calls[1].headers["X-Shopify-Access-Token"]
    )


def test_two_workers_refreshing_at_once_spend_one_refresh_token(
    app, client, shopify_sandbox, db_session, postgres_url
):
    inst = _installed(app, client, shopify_sandbox, db_session)
    refused = inst.credentials["access_token"]
    shopify_sandbox.expire_access_tokens(SHOP)
    barrier, got, errors = threading.Barrier(4), [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                got.append(fresh_token(inst.id, failed=refused))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(set(got)) == 1 and len(got) == 4
    assert len(_token_requests(shopify_sandbox, REFRESH)) == 1  # the losers used the winner's
    stored = _stored(db_session, inst.id)
    assert stored["access_token"] == got[0]
    assert stored["access_token"] in shopify_sandbox.shops[SHOP].access_tokens
    assert stored["refresh_token"] in shopify_sandbox.tokens.pairs  # the pair Shopify holds


def test_lost_refresh_response_is_recovered_with_the_stored_refresh_token(
    app, client, shopify_sandbox, db_session
):
    # Shopify rotates the pair at the first refresh, then its answer never reaches us: the
    # import job fails (Transient, nothing saved) and its retry spends the stored refresh
    # token again, which Shopify still accepts (recovery window).
    shopify_sandbox.lose_refresh_responses = 1
    inst = _installed(app, client, shopify_sandbox, db_session, ttl=120)
    refreshes = _token_requests(shopify_sandbox, REFRESH)
    assert [r.status for r in refreshes] == [504, 200]
    assert refreshes[0].json["refresh_token"] == refreshes[1].json["refresh_token"]
    assert _imported(db_session, inst.id) == "done"
    now = _stored(db_session, inst.id)
    assert now["access_token"] in shopify_sandbox.shops[SHOP].access_tokens
    assert len(_locations(app, inst.id)) == 1


def _legacy_installation(db_session, sandbox, shop=SHOP) -> Installation:
    """A store installed before expiring tokens: a non-expiring offline token."""
    sandbox.create_shop(shop, name="Old Store")
    inst = Installation(platform="shopify", shop_domain=shop, name="Old Store", status="active")
    inst.credentials = {"access_token": sandbox.issue_token(shop, SCOPES)}
    inst.scopes = ",".join(SCOPES)
    db_session.add(inst)
    db_session.commit()
    return inst


def test_non_expiring_token_is_migrated_on_first_use_and_refused_after_2027(
    app, shopify_sandbox, db_session
):
    inst = _legacy_installation(db_session, shopify_sandbox)
    old = inst.credentials["access_token"]
    shopify_sandbox.now = lambda: dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC)
    # Shopify now refuses the old token outright...
    resp = requests.post(
        f"https://{SHOP}/admin/api/2026-04/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": old},
        timeout=10,
    )
    assert resp.status_code == 401 and "Invalid API key or access token" in resp.text
    # ...so StockGuard exchanges it (no merchant involved) before its first call.
    assert len(_locations(app, inst.id)) == 1
    (migration,) = _token_requests(
        shopify_sandbox, "urn:ietf:params:oauth:grant-type:token-exchange"
    )
    assert migration.json["subject_token"] == old
    assert migration.json["subject_token_type"] == (
        "urn:shopify:params:oauth:token-type:offline-access-token"
    )
    assert migration.json["expiring"] == "1"
    creds = _stored(db_session, inst.id)
    assert creds["refresh_token"] and creds["access_token"] != old
    assert old in shopify_sandbox.shops[SHOP].revoked_tokens
    entry = db_session.scalar(select(ActivityEntry).where(ActivityEntry.kind == "access"))
    assert "expiring tokens" in entry.message


def test_cli_migrates_every_non_expiring_token(app, shopify_sandbox, db_session):
    legacy = _legacy_installation(db_session, shopify_sandbox)
    other = _legacy_installation(db_session, shopify_sandbox, "second.myshopify.com")
    result = app.test_cli_runner().invoke(args=["shopify", "migrate-tokens"])
    assert result.exit_code == 0, result.output
    assert "migrated: 2" in result.output
    for inst in (legacy, other):
        assert _stored(db_session, inst.id).get("refresh_token")
    again = app.test_cli_runner().invoke(args=["shopify", "migrate-tokens"])
    assert "migrated: 0" in again.output and "already_expiring: 2" in again.output
