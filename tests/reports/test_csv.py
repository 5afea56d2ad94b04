"""CSV export of every table (round-trip, scoping, formula guard, no secrets) and the cost
import (all or nothing, every bad line named)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from models import (
    ActivityEntry,
    Listing,
    Movement,
    NotifySubscription,
    Restock,
    Sku,
    Supplier,
)
from sync.data import costs
from sync.data.exports import TABLES
from tests.reports.conftest import add_sku, make_store, move


def _download(client, store, table):
    resp = client.get(f"/admin/api/export/{table}.csv", headers=store.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="stockguard-{table}-')
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def owned(shop, db_session):
    """One row in every table of the main pool (and of the other pool)."""
    main, other = shop
    s = db_session
    for store, tag in ((main, "main"), (other, "other")):
        supplier = Supplier(pool_id=store.pool_id, name=f"Supplier {tag}", lead_time_days=9)
        s.add(supplier)
        s.flush()
        listing = Listing(
            installation_id=store.installation_id, pool_id=store.pool_id,
            external_id=f"gid://shopify/ProductVariant/{tag}", level_ref=f"item-{tag}",
            sku="A", title=f"Tee {tag}", status=Listing.LINKED, sku_id=store.skus["A"],
            price_minor=2500, currency="EUR", details={},
        )  # fmt: skip
        s.add(listing)
        s.flush()
        s.add(
            Restock(pool_id=store.pool_id, sku_id=store.skus["A"], supplier_id=supplier.id,
                    quantity=12, expected_on=__import__("datetime").date(2027, 1, 5),
                    reference=f"PO-{tag}")
        )  # fmt: skip
        s.add(
            NotifySubscription(
                installation_id=store.installation_id, listing_id=listing.id, variant_id="42",
                contact=f"shopper@{tag}.example", channel="email", locale="fr", consent=True,
            )
        )  # fmt: skip
        s.add(ActivityEntry(installation_id=store.installation_id, kind="test",
                            message=f"=HYPERLINK(\"http://evil.example\",\"{tag}\")"))  # fmt: skip
    s.get(Sku, main.skus["B"]).name = '-2+3 Mug, "café"\n2nd line'
    s.commit()
    return main, other


def test_every_table_exports_its_rows_and_round_trips(client, owned, db_session):
    main, _ = owned
    skus = {r["sku"]: r for r in _download(client, main, "skus")}
    assert set(skus) == {"A", "B", "C", "D"}
    assert skus["A"]["on_hand"] == "75" and skus["A"]["available"] == "75"
    assert (skus["A"]["unit_cost"], skus["A"]["price"], skus["A"]["currency"]) == (
        "10.00", "25.00", "EUR",
    )  # fmt: skip
    assert skus["C"]["unit_cost"] == ""
    # A name a spreadsheet would compute is quoted as text, and comes back whole otherwise.
    assert skus["B"]["name"] == '\'-2+3 Mug, "café"\n2nd line'

    movements = _download(client, main, "movements")
    ours = db_session.scalars(
        select(Movement).where(Movement.pool_id == main.pool_id).order_by(Movement.id)
    ).all()
    assert [int(r["id"]) for r in movements] == [m.id for m in ours]
    # Negative numbers stay numbers (the guard is for text only).
    assert [int(r["on_hand_delta"]) for r in movements] == [m.on_hand_delta for m in ours]
    assert {r["store"] for r in movements} == {"main.myshopify.com"}

    [listing] = _download(client, main, "listings")
    assert (listing["title"], listing["price"], listing["currency"]) == ("Tee main", "25.00", "EUR")
    [restock] = _download(client, main, "restocks")
    assert (restock["reference"], restock["supplier"], restock["expected_on"]) == (
        "PO-main", "Supplier main", "2027-01-05",
    )  # fmt: skip
    [supplier] = _download(client, main, "suppliers")
    assert (supplier["name"], supplier["lead_time_days"]) == ("Supplier main", "9")
    [signup] = _download(client, main, "notify_signups")
    assert (signup["contact"], signup["locale"]) == ("shopper@main.example", "fr")
    [activity] = _download(client, main, "activity")
    assert activity["message"] == '\'=HYPERLINK("http://evil.example","main")'
    for table in ("ad_links", "ad_actions"):
        assert _download(client, main, table) == []
    index = client.get("/admin/api/export", headers=main.auth).get_json()
    assert [t["name"] for t in index["tables"]] == list(TABLES)


def test_another_pool_never_appears_and_no_secret_is_exported(client, owned):
    main, other = owned
    for table in TABLES:
        mine = client.get(f"/admin/api/export/{table}.csv", headers=main.auth).get_data(
            as_text=True
        )
        theirs = client.get(f"/admin/api/export/{table}.csv", headers=other.auth).get_data(
            as_text=True
        )
        assert "other" not in mine.replace("other.myshopify", ""), table
        assert "other.myshopify.com" not in mine and "main" not in theirs, table
        for text in (mine, theirs):
            assert "shpat_" not in text and "access_token" not in text, table
    their_skus = _download(client, other, "skus")
    assert [(r["sku"], r["unit_cost"], r["currency"]) for r in their_skus] == [
        ("A", "999.00", "USD")
    ]


def test_unknown_table_is_404(client, shop):
    main, _ = shop
    resp = client.get("/admin/api/export/installation.csv", headers=main.auth)
    assert resp.status_code == 404 and resp.get_json() == {"error": "not found"}


def test_the_ledger_export_streams_many_rows(client, app, db_session):
    store = make_store(db_session, "big.myshopify.com")
    add_sku(db_session, store, "BIG")
    for n in range(1200):
        move(db_session, store, "BIG", Movement.SALE, -1, 1, f"big:o{n}:l1", f"o{n}")
    db_session.commit()
    resp = client.get("/admin/api/export/movements.csv", headers=store.auth)
    assert resp.is_streamed
    rows = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"), newline="")))
    assert len(rows) == 1200 and rows[-1]["on_hand_after"] == "-1200"


# --------------------------------------------------------------------------- cost import


def _import(client, store, body: bytes, name="costs.csv"):
    return client.post(
        "/admin/api/import/costs",
        headers=store.auth,
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def _costs(db_session, store) -> dict:
    db_session.expire_all()
    return {
        row.sku: row.unit_cost_minor
        for row in db_session.scalars(select(Sku).where(Sku.pool_id == store.pool_id))
    }


def test_cost_import_sets_costs_with_either_decimal_mark(client, shop, db_session):
    main, other = shop
    body = "\ufeffSKU;x\n".replace(";x", ",Unit_Cost") + 'a,12.5\n C ,"3,40"\nd,0\n'
    resp = _import(client, main, body.encode())
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"updated": 3, "currency": "EUR"}
    assert _costs(db_session, main) == {"A": 1250, "B": 200, "C": 340, "D": 0}
    assert _costs(db_session, other) == {"A": 99_900}  # same code, other pool: untouched
    # The import is visible in the reports at once: C now has a value.
    value = client.get("/admin/api/reports/stock-value", headers=main.auth).get_json()
    assert value["value_minor"] == 75 * 1250 + 50 * 200 + 36 * 340


def test_exported_skus_import_back_as_costs(client, shop, db_session):
    main, _ = shop
    exported = client.get("/admin/api/export/skus.csv", headers=main.auth).get_data()
    before = _costs(db_session, main)
    lines = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    body = "sku,unit_cost\n" + "".join(
        f"{r['sku']},{r['unit_cost']}\n" for r in lines if r["unit_cost"]
    )
    assert _import(client, main, body.encode()).status_code == 200
    assert _costs(db_session, main) == before


def test_any_bad_line_rejects_the_whole_file_naming_every_line(client, shop, db_session):
    main, _ = shop
    before = _costs(db_session, main)
    body = (
        "sku,unit_cost\n"
        "A,7.00\n"  # fine, but not written: the file is refused whole
        "B,abc\n"  # 3: not a decimal
        "C,-1.00\n"  # 4: negative
        "NOPE,1.00\n"  # 5: unknown SKU
        "a,2.00\n"  # 6: A again
        "D,1.005\n"  # 7: more decimals than EUR has
        ",1.00\n"  # 8: no SKU
        "E,1,234.50\n"  # 9: a thousands separator splits the cell (and E is unknown)
        "D,1 000\n"  # 10
    )
    resp = _import(client, main, body.encode())
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert [e.split(":")[0] for e in errors] == [
        "line 3", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10",
    ]  # fmt: skip
    assert "not a decimal number" in errors[0]
    assert "negative" in errors[1]
    assert "unknown SKU 'NOPE'" in errors[2]
    assert "already on line 2" in errors[3]
    assert "more than 2 decimals" in errors[4]
    assert "sku is empty" in errors[5]
    assert "more cells than columns" in errors[6]
    assert "not a decimal number" in errors[7]
    assert "nothing was imported" in resp.get_json()["error"]
    assert _costs(db_session, main) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"sku,cost\nA,1.00\n", "missing column(s): unit_cost"),
        (b"code,unit_cost\nA,1.00\n", "missing column(s): sku"),
        ("sku,unit_cost\nA,1.00\nCafé,2\n".encode("latin-1"), "not UTF-8"),
        ("sku,unit_cost\nA,1.00\n".encode("utf-16"), "not UTF-8"),
        (b"sku,unit_cost\nA,1\x00.00\n", "NUL"),
        (b"sku,unit_cost\n", "no lines"),
    ],
)
def test_files_that_cannot_be_read_are_refused(client, shop, db_session, body, message):
    main, _ = shop
    before = _costs(db_session, main)
    resp = _import(client, main, body)
    assert resp.status_code == 422, resp.get_json()
    assert message in " ".join(resp.get_json()["errors"])
    assert _costs(db_session, main) == before


def test_a_body_over_the_request_limit_and_an_empty_request(client, shop):
    main, _ = shop
    huge = _import(client, main, b"sku,unit_cost\n" + b"A,1.00\n" * 200_000)
    assert huge.status_code == 413
    empty = client.post("/admin/api/import/costs", headers=main.auth)
    assert empty.status_code == 400 and "sku, unit_cost" in empty.get_json()["error"]
    as_json = client.post("/admin/api/import/costs", headers=main.auth, json={"A": 1})
    assert as_json.status_code == 400
    # A plain CSV body works as well as a multipart upload.
    plain = client.post(
        "/admin/api/import/costs",
        headers=main.auth,
        data=b"sku,unit_cost\nA,3.00\n",
        content_type="text/csv",
    )
    assert plain.status_code == 200 and plain.get_json()["updated"] == 1


def test_too_many_lines_or_bytes_are_413(client, shop, db_session):
    # Past the import limits the request itself is too large (413, was 422 like a bad file):
    # tests/security/test_import_limits.py has the exact bounds.
    main, _ = shop
    before = _costs(db_session, main)
    body = b"sku,unit_cost\n" + b"A,1\n" * (costs.MAX_ROWS + 1)
    assert len(body) < costs.MAX_BYTES
    resp = _import(client, main, body)
    assert resp.status_code == 413
    assert resp.get_json()["errors"] == [f"more than {costs.MAX_ROWS} lines"]
    large = _import(client, main, b"sku,unit_cost\n" + b"A,1.00\n" * (costs.MAX_BYTES // 7 + 1))
    assert large.status_code == 413
    assert "larger than" in " ".join(large.get_json()["errors"])
    assert _costs(db_session, main) == before


def test_costs_of_a_zero_decimal_currency(client, app, db_session):
    store = make_store(db_session, "yen.myshopify.com", currency="JPY")
    add_sku(db_session, store, "Y")
    db_session.commit()
    assert _import(client, store, b"sku,unit_cost\nY,1500\n").status_code == 200
    assert _costs(db_session, store) == {"Y": 1500}
    bad = _import(client, store, b"sku,unit_cost\nY,1500.5\n")
    assert bad.status_code == 422 and "more than 0 decimals" in bad.get_json()["errors"][0]
