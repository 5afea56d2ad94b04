"""A pytest plugin (hooks imported by tests/conftest.py): no secret of the run in any log line.

Every record that reaches the root logger during a test (after StockGuard's own masking filter,
which ``logs.configure`` puts on every root handler, so: what a deployment would write), and the
output of every RQ worker process the test started, is searched at the end of that test for
each secret in play: the app's SECRET_KEY, TOKEN_ENCRYPTION_KEY and SHOPIFY_API_SECRET, every
credential stored for the test (decrypted from the database before it is wiped: the access
tokens the Shopify sandbox issued, WooCommerce consumer keys, secrets and webhook secrets, ad
platform tokens, app secrets, refresh tokens and developer tokens) and the ad sandboxes' own
credentials, and the unsubscribe link token of every notify-me sign-up (it stops the
shopper's notices: anyone reading the log could use it). A hit fails that test at teardown, naming the kind of secret and the logger, never
the value. Levels are the run's own (the app logs at INFO, workers at WARNING); the DEBUG flow
is tests/test_secrets_in_logs.py.
"""

from __future__ import annotations

import functools
import json
import logging
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

SHORTEST = 12  # shorter values ("secret", "test-secret") are test stand-ins, not secrets
SECRET_FIELD = re.compile(r"token|secret|key|password", re.IGNORECASE)
NOT_SECRET = re.compile(r"(^|_)(id|key_id|permissions)$", re.IGNORECASE)
# Loopback stand-ins for the platforms may log what they were sent; StockGuard may not.
FOREIGN_LOGGERS = ("sandbox", "tests")
WORKER_LINE = re.compile(r"^\S+ \S+ (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<name>[\w.]+): ")


class Capture(logging.Handler):
    """Keeps every formatted record of the current test."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append((record.name, self.format(record)))
        except Exception:  # noqa: BLE001 - a record that can't format is not ours to judge
            self.handleError(record)


CAPTURE = Capture()


def pytest_sessionstart(session):
    logging.getLogger().addHandler(CAPTURE)


@functools.cache
def _engine(url: str):
    return create_engine(url, poolclass=NullPool)


def _fernet(keys: set[str]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in sorted(keys)])


def _add(found: dict, kind: str, value) -> None:
    if isinstance(value, str) and len(value) >= SHORTEST:
        found.setdefault(value, kind)


def _stored_credentials(url: str, keys: set[str], found: dict) -> None:
    """Every credential the test stored, decrypted (the database is wiped after the test)."""
    queries = {
        "installation": "SELECT platform, credentials_sealed FROM installation",
        "ad_account": "SELECT platform, credentials_sealed FROM ad_account",
    }
    fernet = _fernet(keys)
    with _engine(url).connect() as conn:
        for query in queries.values():
            try:
                rows = conn.execute(text(query)).all()
            except Exception:  # noqa: BLE001 - a test that dropped or renamed the table
                conn.rollback()
                continue
            for platform, sealed in rows:
                if not sealed:
                    continue
                try:
                    document = json.loads(fernet.decrypt(sealed.encode()))
                except (InvalidToken, ValueError):
                    continue  # sealed with a key this test made up (rotation tests)
                for field, value in document.items():
                    if SECRET_FIELD.search(field) and not NOT_SECRET.search(field):
                        _add(found, f"{platform} {field}", value)


def _unsubscribe_tokens(url: str, secret_keys: set[str], found: dict) -> None:
    """The unsubscribe token of every notify-me sign-up the test stored (sync.notify)."""
    from itsdangerous import URLSafeSerializer

    with _engine(url).connect() as conn:
        try:
            ids = conn.execute(text("SELECT id FROM notify_subscription")).scalars().all()
        except Exception:  # noqa: BLE001 - a test that dropped or renamed the table
            return
    for key in secret_keys:
        serializer = URLSafeSerializer(key, salt="notify-unsubscribe")
        for subscription_id in ids:
            _add(found, "notify-me unsubscribe token", serializer.dumps(subscription_id))


def secrets_in_play(item) -> dict[str, str]:
    """{secret value: what kind of secret it is} for this test."""
    from flask import Flask

    from tests import conftest

    found: dict[str, str] = {}
    keys = {conftest._ENCRYPTION_KEY}
    secret_keys: set[str] = set()
    apps = [v for v in item.funcargs.values() if isinstance(v, Flask)]
    for config in [conftest.base_config("sqlite://")] + [a.config for a in apps]:
        _add(found, "SECRET_KEY", config.get("SECRET_KEY"))
        if config.get("SECRET_KEY"):
            secret_keys.add(config["SECRET_KEY"])
        _add(found, "SHOPIFY_API_SECRET", config.get("SHOPIFY_API_SECRET"))
        for part in str(config.get("TOKEN_ENCRYPTION_KEY") or "").split(","):
            if part.strip():
                _add(found, "TOKEN_ENCRYPTION_KEY", part.strip())
                keys.add(part.strip())
    boxes = item.funcargs.get("ad_sandboxes") or {}
    for platform, sandbox in boxes.items():
        for field, value in sandbox.connect_form().items():
            if SECRET_FIELD.search(field) and not NOT_SECRET.search(field):
                _add(found, f"{platform} {field} (ad sandbox)", value)
    url = item.funcargs.get("database_url")
    if url:
        _stored_credentials(url, keys, found)
        _unsubscribe_tokens(url, secret_keys, found)
    return found


def _worker_lines(item) -> list[tuple[str, str]]:
    from tests.conftest import Workers

    lines = []
    for value in item.funcargs.values():
        if isinstance(value, Workers):
            for line in value.output().splitlines():
                match = WORKER_LINE.match(line)
                lines.append((f"worker {match['name'] if match else 'output'}", line))
    return lines


def leaks(lines, secrets: dict[str, str]) -> list[str]:
    """``kind in logger`` for each secret found in a line (values never named)."""
    hits = set()
    for logger, line in lines:
        if logger.startswith(FOREIGN_LOGGERS):
            continue
        for value, kind in secrets.items():
            if value in line:
                hits.add(f"{kind} in a log line of {logger}")
    return sorted(hits)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if not hasattr(item, "funcargs"):
        return (yield)
    secrets = secrets_in_play(item)  # before the fixtures are torn down and the tables wiped
    try:
        result = yield
    finally:
        lines, CAPTURE.lines = CAPTURE.lines, []
    found = leaks(lines + _worker_lines(item), secrets)
    if found:
        pytest.fail("secrets in the logs: " + "; ".join(found), pytrace=False)
    return result
