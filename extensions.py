"""Extensions created unbound and attached to an app with ``init_app``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    """A SQLAlchemy engine and a request/job-scoped session for one app."""

    def __init__(self):
        self.engine: Engine | None = None
        # Same database, connections kept in autocommit: one round trip for the single-statement
        # durable writes on hot paths (the webhook inbox).
        self.autocommit: Engine | None = None
        self._factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self._factory)

    def init_app(self, app) -> None:
        url = app.config["DATABASE_URL"]
        # One Database per process: a second app (tests build one per test) takes over the
        # session factory, so the previous engines' pooled connections are closed now rather
        # than whenever the garbage collector gets to them (PostgreSQL's max_connections).
        self.dispose()
        self.engine = make_engine(url)
        # No pre-ping here (a round trip per checkout on the hot path): a connection the server
        # dropped fails one request (the platform retries) and the pool is refreshed.
        self.autocommit = make_engine(
            url,
            isolation_level="AUTOCOMMIT",
            **(
                {}
                if url.startswith("sqlite")
                else {
                    "pool_size": 5,
                    "max_overflow": 10,
                    "pool_pre_ping": False,
                    "pool_recycle": 300,
                }
            ),
        )
        self._factory.configure(bind=self.engine)
        app.extensions["db"] = self

        @app.teardown_appcontext
        def _remove_session(exc):  # noqa: ARG001 - Flask passes the exception
            self.session.remove()

    def dispose(self) -> None:
        """Close every pooled connection (checked-out ones close when they are returned)."""
        for engine in (self.engine, self.autocommit):
            if engine is not None:
                engine.dispose()

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the current transaction commits (dropped if it rolls back).

        Jobs that depend on rows written now (pushes, settles) are enqueued this way, so a
        worker never picks one up before its data is visible.
        """
        self.session().info.setdefault("after_commit", []).append(fn)

    def insert(self, table):
        """INSERT for this database's dialect (both support ON CONFLICT DO NOTHING ... RETURNING)."""
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return {"postgresql": pg_insert, "sqlite": sqlite_insert}[self.dialect](table)

    @property
    def dialect(self) -> str:
        assert self.engine is not None, "Database.init_app was not called"
        return self.engine.dialect.name


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the in-process job runner read while a request writes; foreign keys
            # are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if "poolclass" not in kwargs and "pool_size" not in kwargs:
        kwargs.update(pool_size=5, max_overflow=10, pool_pre_ping=True)
    return create_engine(url, **kwargs)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop("after_commit", []):
        try:
            fn()
        except Exception:  # noqa: BLE001 - the commit stands; say so loudly and go on
            # What these enqueue is recoverable from committed state (push_pending flags, pending
            # inbox rows) by the sweepers; an exception here would wedge the session instead.
            logging.getLogger(__name__).exception("after-commit action failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


db = Database()
