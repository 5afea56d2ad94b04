"""The panel's reports and the merchant's data: ``/admin/api/reports``, CSV export of every
table (``/admin/api/export/<table>.csv``) and CSV import of unit costs.

Every query is scoped to the pool of the installation the request proves (``admin_required``).
Exports are streamed as UTF-8 with a BOM (Excel reads accents right; see sync.data.csv_io) and
sent as attachments; the panel fetches them with its Bearer token and saves the Blob, since a
token never goes in a link.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, g, jsonify, request, stream_with_context

from extensions import db
from models import record_activity
from sync import reports
from sync.data import costs, exports
from sync.data.csv_io import CsvError, CsvTooLarge
from views.admin_api import ApiError, admin_required

bp = Blueprint("admin_reports", __name__, url_prefix="/admin/api")


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.errorhandler(reports.ReportError)
def _report_error(e: reports.ReportError):
    return jsonify(error=str(e)), 400


@bp.errorhandler(CsvError)
def _csv_error(e: CsvError):
    db.session.rollback()
    if isinstance(e, CsvTooLarge):
        return jsonify(e.body()), e.status
    return jsonify(error="nothing was imported: " + str(e), errors=e.errors), e.status


def _params() -> tuple[int, int]:
    return (
        reports.period_days(request.args.get("period")),
        reports.cover_days(request.args.get("cover_days")),
    )


@bp.get("/reports")
@admin_required
def all_reports():
    days, cover = _params()
    return jsonify(reports.all_reports(db.session, g.installation.pool_id, days, cover))


# One route per report and per table (no ``<name>`` in the URL): each is a fixed address,
# walked as such by the tenant-isolation tests; any other name is the API's plain 404.
REPORTS = {
    "stock-value": lambda s, pool, days, cover: reports.stock_value(s, pool),
    "cash-tied-up": lambda s, pool, days, cover: reports.cash_tied_up(s, pool, days, cover),
    "turnover": lambda s, pool, days, cover: reports.turnover(s, pool, days),
    "slow-movers": lambda s, pool, days, cover: reports.slow_movers(s, pool, days, cover),
    "best-sellers": lambda s, pool, days, cover: reports.best_sellers(s, pool, days),
}


def _report_view(name: str):
    def view():
        days, cover = _params()
        pool_id = g.installation.pool_id
        data = REPORTS[name](db.session, pool_id, days, cover)
        return jsonify({**reports.money_context(db.session, pool_id), **data})

    return view


def _export_view(name: str):
    def view():
        stamp = dt.date.today().isoformat()
        body = stream_with_context(exports.stream(db.session, g.installation.pool_id, name))
        return Response(
            body,
            mimetype="text/csv",
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="stockguard-{name}-{stamp}.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return view


for _name in REPORTS:
    bp.add_url_rule(
        f"/reports/{_name}",
        f"report_{_name.replace('-', '_')}",
        admin_required(_report_view(_name)),
        methods=["GET"],
    )
for _name in exports.TABLES:
    bp.add_url_rule(
        f"/export/{_name}.csv",
        f"export_{_name}",
        admin_required(_export_view(_name)),
        methods=["GET"],
    )


@bp.get("/export")
@admin_required
def export_index():
    return jsonify(
        tables=[{"name": name, "url": f"/admin/api/export/{name}.csv"} for name in exports.TABLES]
    )


@bp.post("/import/costs")
@admin_required
def import_costs():
    upload = request.files.get("file")
    if upload:
        raw = upload.read(costs.MAX_BYTES + 1)
    elif request.mimetype in ("text/csv", "text/plain"):
        raw = request.get_data()
    else:  # JSON or a form without the file: not a cost sheet
        raw = b""
    if not raw:
        raise ApiError(400, "send a CSV file (columns: sku, unit_cost)")
    result = costs.import_csv(db.session, g.installation.pool_id, raw)
    record_activity(
        db.session, g.installation, "costs", f"Unit costs imported: {result['updated']} SKUs"
    )
    db.session.commit()
    return jsonify(result)
