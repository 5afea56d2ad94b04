"""Every report on a ledger with known answers (see conftest.shop), through the JSON API."""

from __future__ import annotations

import pytest

from models import Forecast


def _get(client, store, path, **params):
    resp = client.get(f"/admin/api/{path}", headers=store.auth, query_string=params)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_stock_value_at_cost_lists_skus_without_a_cost(client, shop):
    main, _ = shop
    data = _get(client, main, "reports/stock-value")
    assert data["currency"] == "EUR" and data["exponent"] == 2
    # A: 75 × 10.00 + B: 50 × 2.00; C holds 36 units with no cost; D is sold out.
    assert data["value_minor"] == 75 * 1000 + 50 * 200
    assert (data["units"], data["skus"]) == (125, 2)
    assert (data["units_without_cost"], data["skus_without_cost"]) == (36, 1)
    assert [(r["sku"], r["on_hand"]) for r in data["without_cost"]] == [("C", 36)]


def test_turnover_and_days_of_inventory_over_30_days(client, shop):
    main, _ = shop
    data = _get(client, main, "reports/turnover", period=30)
    # Sold (sales − cancelled): A 25, C 4. COGS at cost: A 25 × 10.00 (C has no cost).
    assert data["basis"] == "cost"
    assert data["cogs_minor"] == 25_000
    assert data["units_sold"] == 29
    # Average stock = (start + now) / 2: A (100 + 75) / 2 × 10.00, B (50 + 50) / 2 × 2.00.
    assert data["average_stock_value_minor"] == 97_500
    assert data["average_units"] == (175 + 100 + 76) / 2
    assert data["turnover"] == pytest.approx(25_000 / 97_500, abs=1e-4)
    assert data["turnover_annual"] == pytest.approx(25_000 / 97_500 * 365 / 30, abs=1e-3)
    assert data["days_of_inventory"] == pytest.approx(30 / (25_000 / 97_500), abs=0.1)


def test_turnover_is_in_units_when_no_sku_has_a_cost(client, app, db_session):
    from models import Movement
    from tests.reports.conftest import add_sku, make_store, move

    store = make_store(db_session, "units.myshopify.com")
    add_sku(db_session, store, "U")
    move(db_session, store, "U", Movement.INITIAL, 20, 50, "initial:u")
    move(db_session, store, "U", Movement.SALE, -10, 3, "u:o1:l1", "o1")
    db_session.commit()
    data = _get(client, store, "reports/turnover", period=7)
    # 10 sold over a stock that went 20 → 10: average 15.
    assert data["basis"] == "units" and data["cogs_minor"] == 0
    assert data["turnover"] == pytest.approx(10 / 15, abs=1e-4)
    assert data["days_of_inventory"] == pytest.approx(7 / (10 / 15), abs=0.1)


def test_slow_movers_biggest_cash_first(client, shop):
    main, _ = shop
    data = _get(client, main, "reports/slow-movers", period=30, cover_days=180)
    # B never sold; C sold 4 in 30 days for 36 held: 270 days of cover > 180. A sells fast.
    assert [i["sku"] for i in data["items"]] == ["B", "C"]
    b, c = data["items"]
    assert (b["cash_minor"], b["sold"], b["days_of_cover"]) == (10_000, 0, None)
    assert (c["cash_minor"], c["sold"], c["days_of_cover"]) == (None, 4, 270.0)
    assert (data["count"], data["cash_minor"], data["units"]) == (2, 10_000, 86)
    # A longer cover threshold leaves only what never sells.
    longer = _get(client, main, "reports/slow-movers", period=30, cover_days=300)
    assert [i["sku"] for i in longer["items"]] == ["B"]


def test_cash_tied_up_by_abc_class_and_slow_movers(client, shop, db_session):
    main, _ = shop
    db_session.add_all(
        [
            Forecast(sku_id=main.skus["A"], pool_id=main.pool_id, abc="A"),
            Forecast(sku_id=main.skus["B"], pool_id=main.pool_id, abc="C"),
        ]
    )
    db_session.commit()
    data = _get(client, main, "reports/cash-tied-up", period=30)
    assert data["cash_minor"] == 85_000
    by_class = {c["abc"]: c for c in data["by_class"]}
    assert set(by_class) == {"A", "C", "-"}
    assert (by_class["A"]["cash_minor"], by_class["A"]["units"]) == (75_000, 75)
    assert (by_class["C"]["cash_minor"], by_class["C"]["units"]) == (10_000, 50)
    # C has no forecast yet and no cost: its units are counted, not valued.
    assert by_class["-"]["cash_minor"] == 0 and by_class["-"]["units_without_cost"] == 36
    assert (data["slow_cash_minor"], data["slow_units"]) == (10_000, 86)


def test_best_sellers_by_revenue_over_the_period(client, shop):
    main, _ = shop
    month = _get(client, main, "reports/best-sellers", period=30)
    assert [(i["sku"], i["units"], i["revenue_minor"]) for i in month["items"]] == [
        ("A", 25, 25 * 2500),
        ("C", 4, 4 * 800),
    ]
    assert (month["revenue_minor"], month["units"]) == (65_700, 29)
    week = _get(client, main, "reports/best-sellers", period=7)
    # 7 days: A's sale 5 days ago (−10) and its cancellation (+5); C's 4.
    assert [(i["sku"], i["units"]) for i in week["items"]] == [("A", 5), ("C", 4)]
    quarter = _get(client, main, "reports/best-sellers", period=90)
    # D sold 10 but has no price: after the priced ones, ranked by units.
    assert [(i["sku"], i["units"], i["revenue_minor"]) for i in quarter["items"]][-1] == (
        "D",
        10,
        None,
    )


def test_all_reports_in_one_call_are_scoped_to_the_pool(client, shop):
    main, other = shop
    mine = _get(client, main, "reports", period=30)
    theirs = _get(client, other, "reports", period=30)
    assert mine["stock_value"]["value_minor"] == 85_000
    assert mine["best_sellers"]["units"] == 29
    assert theirs["currency"] == "USD"
    assert theirs["stock_value"]["value_minor"] == 300 * 99_900
    assert [(i["sku"], i["units"]) for i in theirs["best_sellers"]["items"]] == [("A", 700)]


@pytest.mark.parametrize(
    "params",
    [{"period": 14}, {"period": "thirty"}, {"period": -7}, {"cover_days": 0},
     {"cover_days": "x"}],
)  # fmt: skip
def test_bad_parameters_are_refused(client, shop, params):
    main, _ = shop
    resp = client.get("/admin/api/reports", headers=main.auth, query_string=params)
    assert resp.status_code == 400
    assert "period" in resp.get_json()["error"] or "cover_days" in resp.get_json()["error"]


def test_unknown_report_and_missing_token(client, shop):
    main, _ = shop
    assert client.get("/admin/api/reports/profit", headers=main.auth).status_code == 404
    assert client.get("/admin/api/reports").status_code == 401
    assert client.get("/admin/api/export/skus.csv").status_code == 401
    bad = {"Authorization": "Bearer " + main.token[:-2] + "xx"}
    assert client.get("/admin/api/reports", headers=bad).status_code == 401
