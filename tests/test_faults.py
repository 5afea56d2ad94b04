"""The fault run at CI size: stock events on both stores while an RQ worker is killed, Redis and
PostgreSQL (private instances) are restarted, and each store answers 429, 500 and times out.
The full-size run is ``bench/faults.py`` (10,000 events).

Asserted: no acknowledged delivery is lost, no order line is applied twice, every delivery is
processed, every channel equals the ledger after one reconcile, and every fault was injected.
Reported, not yet asserted: the ledger against the expected totals. Under these faults a
settle still now and then folds a level change that an order explains later through another
path than the one ``sync/folds.py`` covers (a few units on a few SKUs in some runs; the
channels agree with the ledger either way) — open in issue 7.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(660)


def test_no_delivery_lost_and_the_channels_equal_the_ledger_under_faults():
    if not (
        shutil.which("redis-server") and list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    ):
        need("PostgreSQL and Redis servers", "initdb / redis-server not installed")
    run = subprocess.run(
        [sys.executable, "faults.py", "--events", "600", "--skus", "12", "--timeout", "300"],
        cwd=ROOT / "bench",
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = [line for line in run.stdout.splitlines() if line[:1].isalpha() or line[:3] == "  F"]
    print("\n".join(report))
    results = [line for line in report if line.startswith("result")]
    assert results, run.stdout[-3000:] + run.stderr[-3000:]
    for check in ("lost = 0", "duplicated = 0", "drift after reconcile = 0", "not processed = 0"):
        assert check in results[0], results[0]
    faults = [line for line in report if line.startswith("fault")]
    assert len(faults) == 6 and any("PostgreSQL restart" in f for f in faults), faults
    assert any(line.startswith("verdict") for line in report)
