"""``/admin/api/products`` and ``/admin/api/products/<id>``: filters, search (LIKE metacharacters
and quotes taken literally), pages and their bounds, every bad parameter a 400 naming it, and
another pool's products invisible (empty list, 404)."""

from __future__ import annotations

import datetime as dt

import pytest

from models import (
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Availability,
    Forecast,
    Listing,
    ProductPolicy,
    Restock,
    Sku,
    Supplier,
    utcnow,
)
from models.ledger import Movement
from tests.reports.conftest import add_sku, make_store, move

# code: (name, on_hand, committed, cost, forecast (days_of_cover, lead, reorder_point, abc, rank))
CATALOG = {
    "A-RED": ("Red shirt", 10, 0, 1000, (5.0, 14.0, 3, "A", 1)),  # runs out within lead time
    "B-BLUE": ("Blue 100% cotton", 50, 0, 200, (100.0, 14.0, 10, "B", 2)),
    "C_GREEN": ('Green O\'Neill "classic"', 0, 0, None, (0.0, 14.0, 5, "A", 3)),  # sold out
    "D-ONE": ("Single", 5, 0, 100, (None, 14.0, 8, "C", 4)),  # at or under its reorder point
    "E-NOFC": ("Not forecast yet", 0, 0, None, None),  # sold out, never forecast
    "F%OFF": ("Fifty off", 3, 3, 500, None),  # everything committed: sold out
}


def build_catalog(session):
    """The known catalog in one store of a pool with two stores, and another pool."""
    main = make_store(session, "main.myshopify.com")
    twin = make_store(session, "twin.myshopify.com", pool_id=main.pool_id)
    for code, (name, on_hand, committed, cost, fc) in CATALOG.items():
        sku_id = add_sku(session, main, code, name=name, cost=cost, price=2000)
        if on_hand:
            move(session, main, code, Movement.INITIAL, on_hand, 30, f"initial:{code}")
        if committed:
            session.get(Sku, sku_id).committed = committed
        if fc:
            cover, lead, reorder, abc, rank = fc
            session.add(
                Forecast(
                    sku_id=sku_id,
                    pool_id=main.pool_id,
                    velocity=2.0,
                    days_of_cover=cover,
                    stockout_on=utcnow().date() + dt.timedelta(days=int(cover))
                    if cover is not None
                    else None,
                    lead_time_days=lead,
                    reorder_point=reorder,
                    order_quantity=20,
                    abc=abc,
                    rank=rank,
                )
            )
    twin.skus = dict(main.skus)
    for store, codes in ((main, ("A-RED", "B-BLUE", "C_GREEN")), (twin, ("A-RED",))):
        for code in codes:
            session.add(
                Listing(
                    installation_id=store.installation_id,
                    pool_id=main.pool_id,
                    sku_id=main.skus[code],
                    external_id=f"gid://shopify/ProductVariant/{store.installation_id}{len(code)}"
                    + code,
                    product_ref=f"gid://shopify/Product/{code}",
                    level_ref=f"level-{code}",
                    sku=code,
                    title=f"{code} on {store.installation_id}",
                    status=Listing.LINKED,
                    channel_quantity=CATALOG[code][1],
                )
            )
    # A listing not linked (unmatched) does not count as a channel of D-ONE.
    session.add(
        Listing(
            installation_id=main.installation_id,
            pool_id=main.pool_id,
            sku_id=None,
            external_id="gid://shopify/ProductVariant/999",
            level_ref="level-x",
            sku="D-ONE ",
            status=Listing.UNMATCHED,
        )
    )
    other = make_store(session, "other.myshopify.com", currency="USD")
    add_sku(session, other, "A-RED", name="Red shirt elsewhere", cost=1)
    move(session, other, "A-RED", Movement.INITIAL, 1000, 30, "initial:other:A-RED")
    session.commit()
    return main, other


@pytest.fixture
def catalog(app, db_session):
    return build_catalog(db_session)


def _get(client, store, query=""):
    return client.get("/admin/api/products" + query, headers=store.auth)


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [p["sku"] for p in response.get_json()["products"]]


def test_all_products_best_sellers_first_with_their_figures(client, catalog):
    main, _ = catalog
    response = _get(client, main)
    data = response.get_json()
    assert _codes(response) == ["A-RED", "B-BLUE", "C_GREEN", "D-ONE", "E-NOFC", "F%OFF"]
    assert (data["total"], data["page"], data["per_page"], data["pages"]) == (6, 1, 50, 1)
    rows = {p["sku"]: p for p in data["products"]}
    red = rows["A-RED"]
    assert (red["available"], red["on_hand"], red["channels"], red["abc"]) == (10, 10, 2, "A")
    assert red["days_of_cover"] == 5.0
    assert red["stockout_on"] == (utcnow().date() + dt.timedelta(days=5)).isoformat()
    assert red["flags"] == {"sold_out": False, "at_risk": True, "unlinked": False}
    assert rows["F%OFF"]["available"] == 0 and rows["F%OFF"]["on_hand"] == 3
    assert rows["F%OFF"]["flags"] == {"sold_out": True, "at_risk": False, "unlinked": True}
    assert rows["E-NOFC"]["days_of_cover"] is None and rows["E-NOFC"]["abc"] is None
    assert rows["D-ONE"]["channels"] == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("all", ["A-RED", "B-BLUE", "C_GREEN", "D-ONE", "E-NOFC", "F%OFF"]),
        ("at_risk", ["A-RED", "D-ONE"]),
        ("sold_out", ["C_GREEN", "E-NOFC", "F%OFF"]),
        ("unlinked", ["D-ONE", "E-NOFC", "F%OFF"]),
    ],
)
def test_filters(client, catalog, name, expected):
    main, _ = catalog
    response = _get(client, main, f"?filter={name}")
    assert _codes(response) == expected
    assert response.get_json()["total"] == len(expected)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("red", ["A-RED"]),  # code and name, any case
        ("SHIRT", ["A-RED"]),
        ("%", ["B-BLUE", "F%OFF"]),  # a literal percent sign, in a name or a code
        ("_", ["C_GREEN"]),  # a literal underscore, not "any one character"
        ("c_g", ["C_GREEN"]),
        ("o'neill", ["C_GREEN"]),
        ('"classic"', ["C_GREEN"]),
        ("\\", []),
        ("'; drop table sku; --", []),
        ("  blue  ", ["B-BLUE"]),  # trimmed
        ("nothing like it", []),
    ],
)
def test_search(client, catalog, q, expected):
    main, _ = catalog
    response = client.get("/admin/api/products", query_string={"q": q}, headers=main.auth)
    assert _codes(response) == expected
    assert response.get_json()["total"] == len(expected)


def test_search_combines_with_a_filter(client, catalog):
    main, _ = catalog
    response = client.get(
        "/admin/api/products", query_string={"q": "-", "filter": "sold_out"}, headers=main.auth
    )
    assert _codes(response) == ["E-NOFC"]


def test_pages_cover_every_row_once_and_past_the_end_is_empty(client, catalog):
    main, _ = catalog
    seen = []
    for page in (1, 2, 3):
        data = _get(client, main, f"?per_page=2&page={page}").get_json()
        assert (data["total"], data["pages"], data["page"]) == (6, 3, page)
        seen += [p["sku"] for p in data["products"]]
    assert seen == ["A-RED", "B-BLUE", "C_GREEN", "D-ONE", "E-NOFC", "F%OFF"]
    past = _get(client, main, "?per_page=2&page=4")
    assert _codes(past) == [] and past.get_json()["total"] == 6
    assert len(_get(client, main, "?per_page=100").get_json()["products"]) == 6
    assert _get(client, main, "?per_page=1").get_json()["pages"] == 6


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?per_page=0", "per_page"),
        ("?per_page=101", "per_page"),
        ("?per_page=ten", "per_page"),
        ("?per_page=1.5", "per_page"),
        ("?per_page=-1", "per_page"),
        ("?page=0", "page"),
        ("?page=-3", "page"),
        ("?page=two", "page"),
        ("?page=99999999999999999999", "page"),
        ("?page=+2", "page"),
        ("?page=1_0", "page"),
        ("?page=%202", "page"),
        ("?page=٣", "page"),  # an Arabic-Indic digit
        ("?filter=everything", "filter"),
        ("?filter=AT_RISK", "filter"),
        ("?q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, catalog, query, named):
    main, _ = catalog
    response = _get(client, main, query)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(named + " ")


def test_nul_in_the_search_is_400(client, catalog):
    main, _ = catalog
    response = client.get("/admin/api/products", query_string={"q": "a\0b"}, headers=main.auth)
    assert response.status_code == 400


def test_no_token_no_products(client, catalog):
    assert client.get("/admin/api/products").status_code == 401
    main, _ = catalog
    assert client.get(f"/admin/api/products/{main.skus['A-RED']}").status_code == 401
    forged = {"Authorization": "Bearer " + main.token[:-2] + "xx"}
    assert client.get("/admin/api/products", headers=forged).status_code == 401


def test_another_pool_sees_only_its_own(client, catalog):
    main, other = catalog
    response = _get(client, other, "?q=red")
    assert _codes(response) == ["A-RED"]
    assert response.get_json()["products"][0]["on_hand"] == 1000
    assert response.get_json()["products"][0]["name"] == "Red shirt elsewhere"
    assert _codes(_get(client, other, "?filter=sold_out")) == []
    for sku_id in main.skus.values():
        r = client.get(f"/admin/api/products/{sku_id}", headers=other.auth)
        assert r.status_code == 404
        assert "shirt" not in r.get_data(as_text=True)
    mine = client.get(f"/admin/api/products/{other.skus['A-RED']}", headers=other.auth)
    assert mine.status_code == 200 and mine.get_json()["on_hand"] == 1000


def test_unknown_product_ids_are_404(client, catalog):
    main, _ = catalog
    for sku_id in (0, 987654, 2**31, 10**30):
        assert client.get(f"/admin/api/products/{sku_id}", headers=main.auth).status_code == 404


# --------------------------------------------------------------------------- one product


@pytest.fixture
def detailed(app, db_session, catalog):
    """A-RED with a sales history, a real forecast run, restocks, ads and shopper visibility."""
    from sync import forecast

    s = db_session
    main, other = catalog
    code, sku_id = "A-RED", main.skus["A-RED"]
    # Two units a day for four weeks, today included (half way through the part of each day that
    # has passed today, so each sale falls on its own UTC day whatever the hour): 10 + 60 - 56.
    now = utcnow()
    elapsed = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    for day in range(28):
        ago = day + elapsed / 2 / 86400
        move(s, main, code, Movement.SALE, -2, ago, f"main:o{day}:l1", f"o{day}")
    move(s, main, code, Movement.RECEIPT, 60, 29, "main:receipt:60")
    supplier = Supplier(pool_id=main.pool_id, name="Tissus Lyon", lead_time_days=10)
    s.add(supplier)
    s.flush()
    today = utcnow().date()
    s.add_all(
        [
            Restock(pool_id=main.pool_id, sku_id=sku_id, supplier_id=supplier.id, quantity=40,
                    expected_on=today + dt.timedelta(days=6), reference="PO-7"),
            Restock(pool_id=main.pool_id, sku_id=sku_id, quantity=5, reference="PO-3",
                    expected_on=today - dt.timedelta(days=2)),
            Restock(pool_id=main.pool_id, sku_id=sku_id, quantity=9, reference="PO-1",
                    expected_on=today - dt.timedelta(days=20), status=Restock.RECEIVED),
        ]
    )  # fmt: skip
    account = AdAccount(pool_id=main.pool_id, platform="meta", account_ref="act_1", currency="EUR")
    s.add(account)
    s.flush()
    paused = AdObject(
        pool_id=main.pool_id,
        account_id=account.id,
        level="campaign",
        ref="c1",
        name="Red <b>summer</b>",
        status="paused",
        paused_by_us=True,
    )
    running = AdObject(
        pool_id=main.pool_id,
        account_id=account.id,
        level="ad",
        ref="a2",
        name="Blue only",
        status="active",
    )
    s.add_all([paused, running])
    s.flush()
    s.add_all([
        AdLink(pool_id=main.pool_id, ad_object_id=paused.id, sku_id=sku_id),
        AdLink(pool_id=main.pool_id, ad_object_id=running.id, sku_id=main.skus["B-BLUE"]),
        AdAction(pool_id=main.pool_id, account_id=account.id, ad_object_id=paused.id,
                 kind=AdAction.PAUSE, state=AdAction.DONE, mode="automatic", reason="low stock",
                 spend_avoided=1234),
    ])  # fmt: skip
    listing = s.query(Listing).filter_by(installation_id=main.installation_id, sku=code).one()
    s.add(Availability(installation_id=main.installation_id, listing_id=listing.id,
                       variant_id="11", product_id="1", state=Availability.LOW_STOCK,
                       available=12, version=1))  # fmt: skip
    s.add(ProductPolicy(installation_id=main.installation_id, product_ref=listing.product_ref,
                        mode=ProductPolicy.BADGE))  # fmt: skip
    s.flush()
    assert forecast.refresh(s, main.pool_id) == len(CATALOG)
    s.commit()
    return main, other


def test_product_detail(client, detailed):
    main, _ = detailed
    response = client.get(f"/admin/api/products/{main.skus['A-RED']}", headers=main.auth)
    assert response.status_code == 200
    data = response.get_json()
    assert (data["sku"], data["on_hand"], data["available"]) == ("A-RED", 14, 14)
    assert (data["currency"], data["exponent"]) == ("EUR", 2)

    stores = sorted((x["store"], x["quantity"], x["status"]) for x in data["listings"])
    assert stores == [
        ("main.myshopify.com", 10, "linked"),
        ("twin.myshopify.com", 10, "linked"),
    ]
    shown = next(x for x in data["listings"] if x["store"] == "main.myshopify.com")
    assert shown["visibility"]["state"] == "low_stock"
    assert shown["visibility"]["mode"] == "badge" and shown["visibility"]["hidden_by_us"] is False

    assert [(r["reference"], r["quantity"], r["overdue"]) for r in data["restocks"]] == [
        ("PO-3", 5, True),
        ("PO-7", 40, False),
    ]
    assert data["restocks"][1]["supplier"] == "Tissus Lyon"
    assert data["ads"] == [
        {
            "id": data["ads"][0]["id"],
            "platform": "meta",
            "level": "campaign",
            "name": "Red <b>summer</b>",
            "status": "paused",
            "paused_by_stockguard": True,
            "gone": False,
        }
    ]

    # 90 days of end-of-day stock walked back from today's through the ledger.
    history = data["history"]
    today = utcnow().date()
    assert len(history) == 90
    assert history[-1] == {"date": today.isoformat(), "on_hand": 14, "sold": 2}
    assert history[0]["date"] == (today - dt.timedelta(days=89)).isoformat()
    assert history[0]["on_hand"] == 0  # before the first stock arrived
    by_day = {h["date"]: h["on_hand"] for h in history}
    assert by_day[(today - dt.timedelta(days=29)).isoformat()] == 70  # 10 + 60 received
    assert sum(h["sold"] for h in history) == 56

    # The forecast line: 30 days from today's stock, running out at the forecast's date.
    fc = data["forecast"]
    assert fc["velocity"] == pytest.approx(2.0, rel=0.35)
    assert fc["lead_time_days"] == 14.0  # no supplier on the SKU: the pool's default
    line = fc["line"]
    assert len(line) == 30 and line[0] == {"date": today.isoformat(), "on_hand": 14}
    assert all(a["on_hand"] >= b["on_hand"] for a, b in zip(line, line[1:], strict=False))
    assert line[-1]["on_hand"] == 0
    assert fc["stockout_on"] is not None
    out = dt.date.fromisoformat(fc["stockout_on"])
    assert today < out <= today + dt.timedelta(days=14)


def test_product_without_forecast_or_history(client, catalog):
    main, _ = catalog
    data = client.get(f"/admin/api/products/{main.skus['E-NOFC']}", headers=main.auth).get_json()
    assert data["forecast"] is None
    assert data["listings"] == [] and data["restocks"] == [] and data["ads"] == []
    assert {h["on_hand"] for h in data["history"]} == {0}


def test_a_bundle_is_as_available_as_its_components_allow(client, catalog, db_session):
    from sync.bundles import define_bundle

    main, _ = catalog
    add_sku(db_session, main, "KIT-RB", name="Red and blue kit")
    bundle = define_bundle(db_session, main.pool_id, "KIT-RB", [("A-RED", 3), ("B-BLUE", 1)])
    bundle.safety_buffer = 1
    db_session.commit()
    response = client.get("/admin/api/products", query_string={"q": "kit"}, headers=main.auth)
    (row,) = response.get_json()["products"]
    assert (row["available"], row["bundle"], row["flags"]["sold_out"]) == (2, True, False)
    detail = client.get(f"/admin/api/products/{bundle.id}", headers=main.auth).get_json()
    assert detail["available"] == 2  # min(10 // 3, 50 // 1) - 1, as sync.ledger says
    sold_out = client.get("/admin/api/products?filter=sold_out&q=kit", headers=main.auth)
    assert sold_out.get_json()["total"] == 0
