"""Tenant isolation: store A's credentials on store B's data, on every admin API route.

The routes come from the app's own URL map, so an endpoint added later is attacked too: with
B's ids in its URL it must answer 400/403/404, and whatever it answers must hold none of B's
data and leave every row B owns as it was. Bad, expired and foreign tokens get 401 everywhere.
"""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.routing import AnyConverter

from extensions import db
from models import Installation
from tests.security.conftest import bearer, owned_rows, panel_auth, session_token

REFUSED = {400, 403, 404}
OK = {200, 201, 202}


def _csv(text: str) -> dict:
    return {"data": text.encode(), "content_type": "text/csv"}


# What store A sends to each route, naming B's objects wherever the route takes one, and the
# answers allowed. A route missing here is still attacked: B's ids in its URL, an empty body.
ATTACKS = {
    ("admin_api.resolve_listing", "POST"): [
        lambda a, b: ({"json": {"action": "ignore"}}, REFUSED),
        lambda a, b: ({"json": {"action": "link", "sku": b.ids["sku"]}}, REFUSED),
    ],
    ("admin_api.put_settings", "PUT"): [
        lambda a, b: ({"json": {"location_ref": b.ids["location_ref"]}}, REFUSED),
    ],
    ("admin_api.bundles", "POST"): [
        lambda a, b: (
            {
                "json": {
                    "sku": b.ids["sku"],
                    "components": [{"sku": b.ids["other_sku"], "quantity": 1}],
                }
            },
            REFUSED,
        ),
        lambda a, b: (
            {
                "json": {
                    "sku": a.ids["sku"],
                    "components": [{"sku": b.ids["other_sku"], "quantity": 1}],
                }
            },
            REFUSED,
        ),
    ],
    ("admin_api.start_import", "POST"): [lambda a, b: ({}, OK)],
    ("admin_api.start_reconcile", "POST"): [lambda a, b: ({}, OK)],
    # Inviting a store changes nothing of anyone's: its admin must accept (the store named
    # is echoed back, so not b's here: the walk checks that no answer names b).
    ("admin_pool.link", "POST"): [
        lambda a, b: ({"json": {"platform": "shopify", "store": "elsewhere.myshopify.com"}}, OK)
    ],
    ("admin_pool.answer_invitation", "POST"): [lambda a, b: ({"json": {"accept": True}}, {409})],
    ("admin_ads.connect_account", "POST"): [
        lambda a, b: (
            {"json": {"platform": "meta", "ad_account_id": b.ids["account_id"]}},
            REFUSED,
        ),
    ],
    ("admin_ads.update_account", "PATCH"): [
        lambda a, b: ({"json": {"mode": "automatic"}}, REFUSED)
    ],
    ("admin_ads.create_links", "POST"): [
        lambda a, b: (
            {"json": {"object_id": b.ids["object_id"], "sku_ids": [a.ids["sku_id"]]}},
            REFUSED,
        ),
        lambda a, b: (
            {"json": {"object_id": a.ids["object_id"], "sku_ids": [b.ids["other_sku_id"]]}},
            REFUSED,
        ),
        lambda a, b: (
            {"json": {"object_id": a.ids["object_id"], "skus": [b.ids["other_sku"]]}},
            REFUSED,
        ),
    ],
    ("admin_ads.put_object_policy", "PUT"): [lambda a, b: ({"json": {"pause_at": 1}}, REFUSED)],
    ("admin_ads.put_policy", "PUT"): [lambda a, b: ({"json": {"pause_at": 1, "resume_at": 8}}, OK)],
    ("admin_ads.list_objects", "GET"): [
        lambda a, b: ({"query_string": {"account": b.ids["account_id"]}}, OK),
        lambda a, b: ({"query_string": {"q": "Ad set"}}, OK),
    ],
    ("admin_ads.list_actions", "GET"): [
        lambda a, b: ({"query_string": {"object": b.ids["object_id"]}}, OK),
    ],
    ("admin_storefront.get_visibility", "GET"): [
        lambda a, b: ({"query_string": {"product": b.ids["product"]}}, REFUSED),
    ],
    ("admin_storefront.put_visibility", "PUT"): [
        lambda a, b: ({"json": {"product": b.ids["product"], "mode": "hide"}}, REFUSED),
    ],
    ("admin_storefront.save_supplier", "POST"): [
        # A may name a supplier as B did: that is A's own supplier, B's is untouched.
        lambda a, b: ({"json": {"name": b.ids["supplier"], "lead_time_days": 1}}, OK),
    ],
    ("admin_storefront.sku_plan", "PUT"): [
        lambda a, b: ({"json": {"reorder_planned": True}}, REFUSED),
        lambda a, b: (
            {"json": {"supplier_id": b.ids["supplier_id"]}, "url": {"sku": a.ids["sku"]}},
            REFUSED,
        ),
    ],
    ("admin_storefront.list_restocks", "GET"): [
        lambda a, b: ({"query_string": {"status": "all"}}, OK)
    ],
    ("admin_storefront.add_restock", "POST"): [
        lambda a, b: (
            {"json": {"sku": b.ids["sku"], "quantity": 3, "expected_on": "2031-01-02"}},
            REFUSED,
        ),
        lambda a, b: (
            {
                "json": {
                    "sku": a.ids["sku"],
                    "quantity": 3,
                    "expected_on": "2031-01-02",
                    "supplier": b.ids["supplier"],
                }
            },
            REFUSED,
        ),
    ],
    ("admin_storefront.import_restocks", "POST"): [
        lambda a, b: (_csv(f"sku,quantity,expected_on\n{b.ids['sku']},4,2031-01-02\n"), REFUSED),
        # The same reference as B's restock: A's import must not update B's row.
        lambda a, b: (
            _csv(
                "sku,quantity,expected_on,supplier,reference\n"
                f"{a.ids['sku']},4,2031-01-02,,PO-{b.tag}\n"
            ),
            OK,
        ),
    ],
    ("admin_storefront.receive_restock", "POST"): [
        lambda a, b: ({"json": {"quantity": 5}}, REFUSED)
    ],
}


def _auths(app, a):
    return {
        "panel": panel_auth(app, a),
        "session": bearer(session_token(a.shop)),
    }


def _admin_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.rule.startswith("/admin/api")),
        key=lambda r: r.rule,
    )


def _url_values(rule, b, override: dict) -> list[dict]:
    """B's ids for each URL parameter (every choice of an ``any(...)`` parameter)."""
    values = [{}]
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices = converter.items
        elif name in override:
            choices = [override[name]]
        elif name in b.ids:
            choices = [b.ids[name]]
        else:
            raise AssertionError(f"{rule.rule}: the abuse suite has no id for <{name}>; add one")
        values = [{**v, name: c} for v in values for c in choices]
    return values


def _calls(app, a, b):
    """(description, method, path, request kwargs, allowed statuses) for every admin route."""
    adapter = app.url_map.bind("stockguard.test")
    for rule in _admin_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            attacks = ATTACKS.get((rule.endpoint, method))
            if attacks is None:
                default = REFUSED if rule.arguments else set(range(200, 500))
                attacks = [
                    lambda a, b, d=default, m=method: ({} if m == "GET" else {"json": {}}, d)
                ]
            for attack in attacks:
                kwargs, allowed = attack(a, b)
                kwargs = dict(kwargs)
                override = kwargs.pop("url", {})
                for values in _url_values(rule, b, override):
                    path = adapter.build(rule.endpoint, values, method=method)
                    allowed = REFUSED if set(values) - set(override) - {"verdict"} else allowed
                    yield f"{method} {path} {kwargs}", method, path, kwargs, allowed


@pytest.mark.parametrize("credential", ["panel", "session"])
def test_a_stores_credentials_never_reach_another_stores_data(
    app, client, live_tenants, credential
):
    a, b = live_tenants
    existing = {
        (r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
    }
    assert set(ATTACKS) <= existing, set(ATTACKS) - existing  # the table names real routes
    assert len(_admin_rules(app)) >= 35  # and the walk does not go empty
    # From another site's page too: no answer may be made readable to it (CORS).
    headers = {**_auths(app, a)[credential], "Origin": "https://evil.example"}
    calls = list(_calls(app, a, b))
    assert len(calls) >= 45
    for what, method, path, kwargs, allowed in calls:
        before = owned_rows(b)
        response = getattr(client, method.lower())(path, headers=headers, **kwargs)
        text = response.get_data(as_text=True)
        assert response.status_code in allowed, (what, response.status_code, text[:300])
        assert b.private not in text and b.shop not in text, (what, text[:300])
        assert "Access-Control-Allow-Origin" not in response.headers, what
        assert owned_rows(b) == before, what
    assert app.extensions["jobs"].wait_idle(20)
    # The jobs A's calls started (import, reconcile, evaluations) changed nothing of B either.
    assert owned_rows(b) == before


def test_the_panel_page_shows_only_the_store_the_request_proves(app, client, tenants):
    a, b = tenants
    page = client.get("/admin/shopify", query_string={"id_token": session_token(a.shop)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and a.private in html
    assert b.private not in html and b.shop not in html
    token = html.split('name="stockguard-token" content="')[1].split('"')[0]
    assert (
        client.get("/admin/api/jobs", headers=bearer(token)).get_json()["jobs"][0]["id"]
        == (a.ids["run_id"])
    )


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 13 * 3600  # panel tokens live 12 hours


def _bad_tokens(app, a, b) -> dict[str, str]:
    from connectors.woocommerce.auth import _serializer as woo_serializer
    from sync.pools import link_token

    key = app.config["SECRET_KEY"]
    with app.test_request_context():
        return {
            "expired session token": session_token(a.shop, exp=int(time.time()) - 60),
            "session token not valid yet": session_token(a.shop, nbf=int(time.time()) + 600),
            "session token for another app": session_token(a.shop, aud="another-app"),
            "session token signed by another app": session_token(a.shop, secret="z" * 40),
            "session token signed with the API key": session_token(
                a.shop, secret=app.config["SHOPIFY_API_KEY"]
            ),
            "session token without exp": session_token(a.shop, exp=None),
            "session token issued by one shop for another": session_token(
                a.shop, dest=f"https://{b.shop}"
            ),
            "session token for a shop that is not Shopify": session_token("evil.com"),
            "unsigned session token": session_token(a.shop, secret="", algorithm="none"),
            "expired panel token": URLSafeTimedSerializer(
                key, salt="panel", signer=_OldSigner
            ).dumps({"installation": a.installation_id}),
            "panel token of another deployment": URLSafeTimedSerializer(
                "another-secret-key", salt="panel"
            ).dumps({"installation": b.installation_id}),
            "launch link token as a panel token": woo_serializer("wc-launch").dumps(
                {"installation": b.installation_id}
            ),
            "pool link token as a panel token": link_token(b.pool_id, "shopify", b.shop),
            "panel token of no store": URLSafeTimedSerializer(key, salt="panel").dumps(
                {"installation": 999_999}
            ),
            "garbage": "x" * 5000,
        }


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the API key
def test_bad_expired_and_foreign_tokens_are_401_on_every_route_and_uninstalled_403(
    app, client, tenants
):
    a, b = tenants
    calls = [(m, p, k) for _, m, p, k, _ in _calls(app, a, b)]
    before = owned_rows(a), owned_rows(b)
    for name, token in _bad_tokens(app, a, b).items():
        for method, path, kwargs in calls:
            response = getattr(client, method.lower())(path, headers=bearer(token), **kwargs)
            assert response.status_code == 401, (name, method, path, response.get_json())
    assert (owned_rows(a), owned_rows(b)) == before
    # A store that uninstalled: its token, still valid, opens nothing (403).
    headers = panel_auth(app, a)
    with app.app_context():
        db.session.get(Installation, a.installation_id).status = Installation.UNINSTALLED
        db.session.commit()
    for method, path, kwargs in calls:
        response = getattr(client, method.lower())(path, headers=headers, **kwargs)
        assert response.status_code == 403, (method, path)
    assert owned_rows(b) == before[1]
