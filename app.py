"""StockGuard: ``create_app()`` and the command line. Nothing else lives here.

python app.py                 serve on http://127.0.0.1:5000 (SQLite, in-process jobs)
python app.py worker          an RQ worker (needs REDIS_URL)
python app.py --demo          sandbox stores and ad platforms, and a simulate page at /demo
flask --app app db-upgrade    apply database migrations
flask --app app rotate-keys   re-encrypt stored credentials with the first TOKEN_ENCRYPTION_KEY
"""

from __future__ import annotations

import argparse
import os
import sys

import click
from flask import Flask, jsonify, request

import logs
from config import INSTANCE, load_config
from connectors import registry
from crypto import vault
from extensions import db
from inputs import IdConverter, JSONProvider
from sync import installs
from sync.queue import jobs


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.update(load_config(config))
    # Request JSON nested too deep or carrying NUL, and ids past the database's integers, are
    # refused where they are parsed (400 / 404), never a 500 further in (see inputs.py).
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    logs.configure(app.config["LOG_LEVEL"])
    vault.configure(app.config["TOKEN_ENCRYPTION_KEY"])
    db.init_app(app)
    jobs.init_app(app)
    installs.init_app(app)  # the engine's side of the connectors' install routes
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from views import (
        admin,
        admin_activity,
        admin_ads,
        admin_alert_mode,
        admin_alerts,
        admin_api,
        admin_panel_api,
        admin_pool,
        admin_reports,
        admin_store,
        admin_storefront,
        health,
        integrations,
        page_headers,
        panel_i18n,
        storefront,
        webhooks,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_api.bp)
    app.register_blueprint(admin_activity.bp)
    app.register_blueprint(admin_ads.bp)
    app.register_blueprint(admin_storefront.bp)
    app.register_blueprint(admin_reports.bp)
    app.register_blueprint(admin_store.bp)
    app.register_blueprint(admin_alerts.bp)
    app.register_blueprint(admin_alert_mode.bp)
    app.register_blueprint(admin_panel_api.bp)
    app.register_blueprint(admin_pool.bp)
    app.register_blueprint(storefront.bp)
    app.register_blueprint(integrations.bp)
    panel_i18n.init_app(app)  # `_` in templates, the panel's languages
    page_headers.init_app(app)  # frame-ancestors; no cache, no referrer for signed URLs
    # Only the enabled platforms' install routes exist (STOCKGUARD_PLATFORMS).
    for name in app.config["STOCKGUARD_PLATFORMS"]:
        app.register_blueprint(registry.storefront(name).blueprint())

    @app.errorhandler(413)
    def too_large(e):
        return jsonify(error="body larger than 1 MB"), 413

    @app.errorhandler(404)
    def not_found(e):
        if request.path.startswith(("/webhooks/", "/storefront/", "/admin/api/")):
            return jsonify(error="not found"), 404
        return e

    _register_cli(app)
    return app


def _register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply Alembic migrations to DATABASE_URL."""
        from migrations import upgrade

        upgrade(app.config["DATABASE_URL"])
        click.echo("database is at the latest migration")

    @app.cli.command("rotate-keys")
    def rotate_keys():
        """Re-encrypt every stored credential with the first TOKEN_ENCRYPTION_KEY."""
        from sqlalchemy import select

        from models import AdAccount, AlertSettings, Installation

        counts = {}
        sealed = (  # store tokens, ad platform tokens, alert webhook addresses
            (Installation, "credentials_sealed"),
            (AdAccount, "credentials_sealed"),
            (AlertSettings, "webhook_sealed"),
        )
        for model, column in sealed:
            rows = db.session.scalars(select(model).where(getattr(model, column).is_not(None)))
            counts[model] = 0
            for row in rows:
                setattr(row, column, vault.rotate(getattr(row, column)))
                counts[model] += 1
        db.session.commit()
        click.echo(
            f"re-encrypted credentials of {counts[Installation]} installations, "
            f"{counts[AdAccount]} ad accounts and {counts[AlertSettings]} alert webhooks"
        )

    @app.cli.command("sweep")
    def sweep():
        """Re-enqueue webhook deliveries left unprocessed."""
        from sync.jobs import sweep_inbox

        click.echo(f"re-enqueued {sweep_inbox()} deliveries")


def _serve(host: str, port: int) -> None:
    os.environ.setdefault("STOCKGUARD_ENV", "development")
    os.environ.setdefault("APP_URL", f"http://{host}:{port}")
    app = create_app()
    from migrations import upgrade

    upgrade(app.config["DATABASE_URL"])
    from sync.scheduler import start_in_process_scheduler

    start_in_process_scheduler(app)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _worker() -> None:
    app = create_app()
    from redis import Redis
    from rq import Queue, SimpleWorker

    if not app.config["REDIS_URL"]:
        sys.exit("python app.py worker needs REDIS_URL")
    conn = Redis.from_url(app.config["REDIS_URL"])
    # SimpleWorker runs jobs in this process: no fork per job, one warm connection pool.
    # Retries still go through RQ's scheduler; a killed worker's job is re-run by RQ's
    # abandoned-job handling and, failing that, by the inbox sweeper.
    with app.app_context():
        SimpleWorker([Queue(app.config["RQ_QUEUE"], connection=conn)], connection=conn).work(
            with_scheduler=True
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="app.py", description="StockGuard")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "worker"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument(
        "--demo", action="store_true", help="serve the demo: sandbox stores, ads, /demo page"
    )
    args = parser.parse_args(argv)
    if args.demo and args.command != "serve":
        parser.error("--demo serves the demo; it does not combine with 'worker'")
    if args.demo:
        from demo import run

        run(args.host, args.port)
    elif args.command == "worker":
        _worker()
    else:
        _serve(args.host, args.port)


if __name__ == "__main__":
    main()
