"""Fuzzing the public storefront API (contract: docs/storefront.md) on a real installed store.

Arbitrary query strings, bodies and tokens: never a 5xx, never a row written for a request the
contract refuses, and requests the contract accepts answer as it says. A failure prints the
request (Hypothesis ``note``) and a ``@reproduce_failure`` blob.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from extensions import db
from models import NotifySubscription
from tests.fuzz.conftest import row_counts
from tests.fuzz.mutate import ANY_TEXT, VALUE
from tests.storefront_api.conftest import SHOP

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 120)),
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
DIGITS = re.compile(r"[0-9]{1,20}")
NASTY = [
    "1;DROP TABLE sku",
    "1' OR '1'='1",
    "1 UNION SELECT * FROM installation",
    "%00",
    "\u0000",
    "<script>alert(1)</script>",
    "١٢٣",  # Arabic-Indic digits: digits to Unicode, not to the contract
    "１２",  # full-width digits
    "9" * 21,
    "-1",
    "1e3",
    "0x10",
    "😀",
    "\ud800",  # a lone surrogate: JSON can carry it, UTF-8 (and so a URL) can't
]
IN_URLS = [n for n in NASTY if n != "\ud800"]


def shops():
    return st.one_of(
        st.sampled_from(
            [
                SHOP,
                SHOP.upper(),
                f"https://{SHOP}/",
                f" {SHOP} ",
                "nope.myshopify.com",
                "",
                "x" * 300,
            ]
        ),
        st.sampled_from(IN_URLS),
        st.text(max_size=40),
    )


def id_lists(known: list[str]):
    one = st.one_of(
        st.sampled_from(known),
        st.integers(0, 10**25).map(str),
        st.sampled_from(IN_URLS),
        st.text(max_size=8),
    )
    return st.tuples(
        st.lists(one, max_size=60), st.sampled_from([",", ", ", ",,", ";", " , "])
    ).map(lambda drawn: drawn[1].join(drawn[0]))


def _shop_ok(value) -> bool:
    # The contract: the permanent domain, scheme, case and a trailing slash aside.
    shop = (value or "").strip().lower().removeprefix("https://").removeprefix("http://")
    return shop.rstrip("/") == SHOP


def _ids(raw: str) -> list[str] | None:
    """The ids of one parameter as the contract reads them; None if it refuses them."""
    if len(raw) > 50 * 22:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(DIGITS.fullmatch(p) for p in parts):
        return None
    return list(dict.fromkeys(parts))


def test_availability_answers_any_query_string_without_a_5xx_or_a_write(badge_shop):
    store, client = badge_shop, badge_shop.client
    variants = [store.vid(sku) for sku in store.variants]
    products = {store.pid(key): key for key in store.products}
    of_product = {
        store.pid(key): {str(v["legacy_id"]) for v in p["variants"]}
        for key, p in store.products.items()
    }
    before = row_counts(store.app)
    keys = st.sampled_from(["shop", "variants", "products", "callback", "shop[]", "Shop"])
    values = {
        "shop": shops(),
        "variants": id_lists(variants),
        "products": id_lists(list(products)),
    }
    pair = keys.flatmap(lambda k: st.tuples(st.just(k), values.get(k, st.text(max_size=20))))
    # Half the time a query the contract accepts, give or take what is added to it.
    wanted = st.lists(st.sampled_from(variants + list(products)), min_size=1, max_size=8)
    good = wanted.map(
        lambda ids: [
            ("shop", SHOP),
            ("variants", ",".join(i for i in ids if i in variants)),
            ("products", ",".join(i for i in ids if i in products)),
        ]
    )
    queries = st.one_of(
        st.lists(pair, max_size=6),
        st.tuples(good, st.lists(pair, max_size=2)).map(lambda q: q[0] + q[1]),
    )
    answered = Counter()

    @FUZZ
    @given(query=queries)
    def run(query):
        note(f"query={query!r}")
        response = client.get("/storefront/v1/availability", query_string=query)
        note(f"answer: {response.status_code} {response.get_data()[:300]!r}")
        assert response.status_code < 500
        body = response.get_json()
        first = {}
        for key, value in query:
            first.setdefault(key, value)
        asked_v, asked_p = _ids(first.get("variants", "")), _ids(first.get("products", ""))
        valid = (
            _shop_ok(first.get("shop"))
            and asked_v is not None
            and asked_p is not None
            and 0 < len(asked_v) + len(asked_p) <= 50
        )
        answered[response.status_code] += 1
        if not valid:
            assert response.status_code in (400, 404), response.status_code
            assert body["error"] and response.headers["Cache-Control"] == "no-store"
            return
        assert response.status_code == 200, body
        assert body["shop"] == SHOP
        # Exactly the store's own variants that were asked for, directly or by product.
        wanted = set(asked_v) | {v for p in asked_p for v in of_product.get(p, ())}
        assert set(body["variants"]) == wanted & set(variants)
        assert set(body["products"]) == set(asked_p) & set(products)

    run()
    print("availability answers", dict(answered))
    assert answered[200] and answered[400], "both sides of the contract were exercised"
    assert row_counts(store.app) == before


def _subscriptions(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(NotifySubscription.contact, NotifySubscription.listing_id)
        ).all()
        db.session.remove()
    return rows


CONTACTS = ["ada@example.com", "+33612345678", "Grace.Hopper@Example.COM", "0044 20 7946 0958"]


def test_notify_signs_up_only_what_the_contract_accepts(badge_shop):
    store, client = badge_shop, badge_shop.client
    variants = [store.vid(sku) for sku in store.variants]
    fields = {
        "shop": st.one_of(st.just(SHOP), shops()),
        "variant": st.one_of(
            st.sampled_from(variants), st.sampled_from(variants).map(int), st.sampled_from(NASTY)
        ),
        # Random text without "@" or digits can't be an address or a phone number.
        "contact": st.one_of(
            st.sampled_from(CONTACTS),
            st.sampled_from(NASTY),
            st.text(st.characters(exclude_characters="@0123456789")),
        ),
        "consent": st.one_of(st.just(True), st.sampled_from([False, "true", 1, None])),
        "locale": st.sampled_from(["fr", "ar", "xx", "\u0000", "en-GB"]),
        "consent_text": st.one_of(ANY_TEXT, st.text(max_size=600), st.sampled_from(NASTY)),
    }
    valid = {"shop": SHOP, "variant": variants[0], "contact": CONTACTS[0], "consent": True}
    objects = st.one_of(
        st.fixed_dictionaries({}, optional={**fields, "extra": VALUE}),
        st.fixed_dictionaries({k: v for k, v in fields.items() if k != "consent_text"}),
        # A sign-up the contract accepts with one field changed (or one added).
        st.sampled_from(sorted(fields)).flatmap(
            lambda k: fields[k].map(lambda v, k=k: {**valid, k: v})
        ),
    )
    answered = Counter()
    raw = st.one_of(
        objects.map(lambda o: ("application/json", json.dumps(o).encode())),
        VALUE.map(lambda v: ("application/json", json.dumps(v).encode())),
        objects.map(lambda o: ("application/x-www-form-urlencoded", _form(o))),
        st.binary(max_size=200).map(lambda b: ("application/json", b)),
        st.just(("application/json", b'{"shop": "' + b"x" * 5000 + b'"}')),
        st.just(("application/json", b"[" * 5000 + b"]" * 5000)),
    )

    lone_surrogate = json.dumps({**valid, "consent_text": "I agree \ud800"}).encode()

    @FUZZ
    @given(request=raw)
    @example(request=("application/json", lone_surrogate))  # was a 500 (PostgreSQL: not UTF-8)
    def run(request):
        content_type, body = request
        note(f"{content_type} {body[:500]!r}")
        before = row_counts(store.app)
        response = client.post("/storefront/v1/notify", data=body, content_type=content_type)
        note(f"answer: {response.status_code} {response.get_data()[:300]!r}")
        assert response.status_code < 500
        answered[response.status_code] += 1
        try:
            sent = json.loads(body) if content_type == "application/json" else None
        except (ValueError, RecursionError):
            sent = None
        if _signup_ok(sent, variants):
            assert response.status_code == 201, response.get_json()
            assert response.get_json() == {"status": "subscribed"}
            assert len(_subscriptions(store.app)) == 1
            with store.app.app_context():
                db.session.execute(delete(NotifySubscription))
                db.session.commit()
                db.session.remove()
        else:
            assert response.status_code in (400, 404, 413), response.status_code
            assert response.get_json()["error"]
            assert row_counts(store.app) == before, "a refused sign-up left a row"

    run()
    print("notify answers", dict(answered))
    assert answered[201] and answered[400], "both sides of the contract were exercised"


def _form(fields: dict) -> bytes:
    from urllib.parse import urlencode

    return urlencode(
        {k: str(v) for k, v in fields.items()}, encoding="utf-8", errors="replace"
    ).encode()


def _signup_ok(sent, variants) -> bool:
    """The contract's accepted sign-up: our shop, one of its variants, a contact, consent."""
    if not isinstance(sent, dict) or not isinstance(sent.get("shop"), str):
        return False
    if "\\u0000" in json.dumps(sent):  # NUL: no field has a use for it (inputs.py)
        return False
    variant = sent.get("variant")
    return (
        _shop_ok(sent["shop"])
        and type(variant) in (int, str)
        and str(variant) in variants
        and sent.get("contact") in CONTACTS
        and sent.get("consent") is True
    )


def test_unsubscribe_with_any_token_is_404_and_changes_nothing(badge_shop):
    from sync import notify

    store, client = badge_shop, badge_shop.client
    signup = {"shop": SHOP, "variant": store.vid("TEE-L"), "contact": CONTACTS[0], "consent": True}
    assert client.post("/storefront/v1/notify", json=signup).status_code == 201
    with store.app.app_context():
        subscription = db.session.scalars(select(NotifySubscription)).one()
        token = notify.unsubscribe_token(subscription)
        db.session.remove()
    before = row_counts(store.app)
    forged = st.one_of(
        st.text(max_size=300),
        st.sampled_from(IN_URLS),
        st.integers(0, len(token) - 1).map(lambda i: token[:i]),  # cut short
        st.integers(0, len(token) - 1).map(
            lambda i: token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        ),
        st.text(min_size=1, max_size=5).map(lambda t: token + t),
        st.just(token.split(".")[0] + ".AAAA"),
    )

    @FUZZ
    @given(candidate=forged, method=st.sampled_from(["get", "post"]))
    def run(candidate, method):
        note(f"{method} {candidate!r}")
        with store.app.app_context():
            # Base64's last character has spare bits: a few edits still spell the same token.
            same = notify.from_token(db.session, candidate) is not None
            db.session.remove()
        if same:
            return
        response = getattr(client, method)(
            f"/storefront/v1/unsubscribe/{quote(candidate, safe='')}"
        )
        assert response.status_code < 500
        assert response.status_code in (404, 405), response.status_code
        assert row_counts(store.app) == before
        with store.app.app_context():
            assert db.session.get(NotifySubscription, subscription.id).status == "waiting"
            db.session.remove()

    run()
    # The real token still works: GET shows the page, POST ends the sign-up.
    page = client.get(f"/storefront/v1/unsubscribe/{token}")
    assert page.status_code == 200 and "Linen Tee" in page.get_data(as_text=True)
    assert client.post(f"/storefront/v1/unsubscribe/{token}").status_code == 200
    with store.app.app_context():
        assert db.session.get(NotifySubscription, subscription.id).status == "unsubscribed"
        db.session.remove()
