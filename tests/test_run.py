"""The README's run command serves StockGuard on SQLite with no other service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import IN_CI, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_app_py_serves_healthz_on_sqlite(tmp_path: Path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "STOCKGUARD_ENV")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.db'}"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert resp.status_code == 200
        assert resp.json() == {"status": "ok", "database": "ok", "jobs": "in-process"}
        # The migrations ran: the install page works on the fresh database.
        page = requests.get(
            f"http://127.0.0.1:{port}/auth/shopify/install",
            params={"shop": "demo.myshopify.com"},
            allow_redirects=False,
            timeout=5,
        )
        assert page.status_code == 302
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ci_runs_on_postgresql(database_url):
    """Under CI the suite must exercise PostgreSQL, never fall back to SQLite silently."""
    if IN_CI and os.environ.get("STOCKGUARD_TEST_DB", "postgres") == "postgres":
        assert database_url.startswith("postgresql+psycopg://")
