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
    """Each job gets a fresh session: a worker runs many jobs inside one app context."""
    from extensions import db

    db.session.remove()
    try:
        return fn(*args, **kwargs)
    finally:
        db.session.remove()
