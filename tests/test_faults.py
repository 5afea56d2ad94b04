"""The fault run at CI size: stock events on both stores while an RQ worker is killed, Redis and
PostgreSQL (private instances) are restarted, and each store answers 429, 500 and times out.
After one reconcile nothing is lost, nothing is applied twice, and every channel equals the
ledger. The full-size run is ``bench/faults.py`` (10,000 events)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parent.parent


def test_no_stock_change_lost_or_applied_twice_under_faults():
    if not (
        shutil.which("redis-server") and list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    ):
        need("PostgreSQL and Redis servers", "initdb / redis-server not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTPS_PROXY", "https_proxy"))}
    run = subprocess.run(
        [sys.executable, "faults.py", "--events", "600", "--skus", "12", "--timeout", "300"],
        cwd=ROOT / "bench",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = [line for line in run.stdout.splitlines() if line[:1].isalpha()]
    print("\n".join(report))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = next(line for line in report if line.startswith("result"))
    for check in (
        "lost = 0",
        "duplicated = 0",
        "ledger off expected = 0",
        "drift after reconcile = 0",
    ):
        assert check in result
    faults = [line for line in report if line.startswith("fault")]
    assert len(faults) == 6 and any("PostgreSQL restart" in f for f in faults)
    assert "verdict      PASS" in report


pytestmark = pytest.mark.timeout(660)
