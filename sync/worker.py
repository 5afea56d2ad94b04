"""How job functions get their app: inside one already (web process, in-process runner), or
one built once from the environment (a bare ``rq worker``)."""

from __future__ import annotations

import functools

from flask import has_app_context

_worker_app = None


def _app():
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def job(fn):
    """Run ``fn`` inside an app context, creating one in a plain RQ worker."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return _clean(fn, args, kwargs)
        with _app().app_context():
            return _clean(fn, args, kwargs)

    return wrapper


def _clean(fn, args, kwargs):
    """Each job gets a fresh session: a worker runs many jobs inside one app context.

    A store that refused its credential (``Unauthorized`` naming the installation, whichever
    call of whichever job) is marked for reconnection and the job ends: retrying can't help
    until the merchant reconnects it, and the store's own jobs must not hold the queue."""
    from connectors.errors import Unauthorized
    from extensions import db

    db.session.remove()
    try:
        return fn(*args, **kwargs)
    except Unauthorized as e:
        if e.installation_id is None:
            raise
        from sync.connection import credentials_refused

        db.session.rollback()
        credentials_refused(db.session, e.installation_id, e)
        db.session.commit()
        return None
    finally:
        db.session.remove()
