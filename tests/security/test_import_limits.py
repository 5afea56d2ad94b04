"""CSV imports are bounded per request: at most 2,000 lines and 512 KiB. Past either, the
request is refused whole with a 413 that says how to split the file, and nothing is written
(20,000 restock lines once held a web worker for 11 s)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from models import Restock, Sku
from sync.data import csv_io
from tests.security.conftest import panel_auth, table_counts

ROWS, KIB = 2_000, 1024


def _post(client, headers, path: str, body: bytes):
    return client.post(
        path,
        headers=headers,
        data={"file": (io.BytesIO(body), "import.csv")},
        content_type="multipart/form-data",
    )


def _restocks(tenant, rows: int) -> bytes:
    lines = "".join(f"{tenant.ids['sku']},{n + 1},2031-01-01,,PO-{n:05d}\n" for n in range(rows))
    return ("sku,quantity,expected_on,supplier,reference\n" + lines).encode()


def _costs(rows: int) -> bytes:
    return ("sku,unit_cost\n" + "".join(f"BULK-{n:05d},1.25\n" for n in range(rows))).encode()


def _count_restocks(session, tenant) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(Restock).where(Restock.pool_id == tenant.pool_id)
    )


def _costed(session, tenant) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count())
        .select_from(Sku)
        .where(Sku.pool_id == tenant.pool_id, Sku.unit_cost_minor.is_not(None))
    )


def _refused(response, reason: str) -> None:
    assert response.status_code == 413, response.get_json()
    body = response.get_json()
    assert body["error"].startswith("nothing was imported") and reason in body["error"]
    assert body["max_rows"] == ROWS and body["max_bytes"] == 512 * KIB


def test_the_limits_are_the_same_for_every_import():
    assert (csv_io.MAX_ROWS, csv_io.MAX_BYTES) == (ROWS, 512 * KIB)


def test_restock_import_takes_2000_lines_and_refuses_2001(app, client, db_session, tenants):
    a, _ = tenants
    auth = panel_auth(app, a)
    before, counts = _count_restocks(db_session, a), table_counts()
    over = _post(client, auth, "/admin/api/restocks/import", _restocks(a, ROWS + 1))
    _refused(over, "more than 2000 lines")
    assert _count_restocks(db_session, a) == before and table_counts() == counts
    ok = _post(client, auth, "/admin/api/restocks/import", _restocks(a, ROWS))
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json() == {"created": ROWS, "updated": 0}
    assert _count_restocks(db_session, a) == before + ROWS


def test_restock_import_refuses_a_file_over_512_kib(app, client, db_session, tenants):
    a, _ = tenants
    auth = panel_auth(app, a)
    body = _restocks(a, 10) + b"#" * (512 * KIB)  # few lines, too many bytes
    counts = table_counts()
    _refused(_post(client, auth, "/admin/api/restocks/import", body), "larger than 512 KB")
    # A plain CSV body is bounded the same way.
    plain = client.post(
        "/admin/api/restocks/import", headers=auth, data=body, content_type="text/csv"
    )
    _refused(plain, "larger than 512 KB")
    assert table_counts() == counts


@pytest.fixture
def bulk_skus(db_session, tenants):
    a, _ = tenants
    db_session.add_all(
        Sku(pool_id=a.pool_id, key=f"bulk-{n:05d}", sku=f"BULK-{n:05d}") for n in range(ROWS + 1)
    )
    db_session.commit()
    return a


def test_cost_import_takes_2000_lines_and_refuses_2001(app, client, db_session, bulk_skus):
    a = bulk_skus
    auth = panel_auth(app, a)
    counts = table_counts()
    _refused(_post(client, auth, "/admin/api/import/costs", _costs(ROWS + 1)), "2000 lines")
    assert _costed(db_session, a) == 0 and table_counts() == counts
    ok = _post(client, auth, "/admin/api/import/costs", _costs(ROWS))
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["updated"] == ROWS
    assert _costed(db_session, a) == ROWS


def test_cost_import_refuses_a_file_over_512_kib(app, client, db_session, bulk_skus):
    a = bulk_skus
    body = _costs(3) + b"#" * (512 * KIB)
    response = _post(client, panel_auth(app, a), "/admin/api/import/costs", body)
    _refused(response, "larger than 512 KB")
    assert _costed(db_session, a) == 0


def test_a_cell_past_the_csv_field_limit_is_a_bad_file_not_a_crash(app, client, tenants):
    a, _ = tenants
    body = b"sku,quantity,expected_on\n" + b'"' + b"x" * (200 * KIB) + b'",1,2031-01-01\n'
    counts = table_counts()
    response = _post(client, panel_auth(app, a), "/admin/api/restocks/import", body)
    assert response.status_code == 400 and "field larger than field limit" in str(
        response.get_json()["errors"]
    )
    assert table_counts() == counts
