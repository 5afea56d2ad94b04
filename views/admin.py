"""The admin panel's entry: the store the request proves, its connection and recent activity."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from connectors import registry
from extensions import db
from models import ActivityEntry, Installation, JobRun, Listing, WebhookDelivery
from views.admin_api import panel_token

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/<platform>")
def panel(platform: str):
    connector = registry.storefront(platform)
    if connector is None:
        abort(404)
    shop = connector.authenticate_admin(request)
    if shop is None:
        return render_template(
            "install_error.html",
            title="Open StockGuard from your store's admin",
            message="This page needs a valid link from your store; it may have expired.",
            retry_url=None,
        ), 401
    installation = Installation.find(db.session, platform, shop)
    if installation is None:
        abort(404)
    activity = db.session.scalars(
        select(ActivityEntry)
        .where(ActivityEntry.installation_id == installation.id)
        .order_by(ActivityEntry.created_at.desc(), ActivityEntry.id.desc())
        .limit(20)
    ).all()
    inbox = dict(
        db.session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.installation_id == installation.id)
            .group_by(WebhookDelivery.status)
        ).all()
    )
    listings = dict(
        db.session.execute(
            select(Listing.status, func.count())
            .where(Listing.installation_id == installation.id)
            .group_by(Listing.status)
        ).all()
    )
    latest = db.session.scalar(
        select(JobRun).where(JobRun.installation_id == installation.id).order_by(JobRun.id.desc())
    )
    return render_template(
        "admin/overview.html",
        installation=installation,
        platform_name=connector.display_name,
        activity=activity,
        inbox=inbox,
        listings=listings,
        latest_job=latest,
        panel_token=panel_token(installation.id),
    )
