"""bench/load.py end to end, for a few seconds: every surface answered without an error, and the
check after the load (exactly once, inbox drained, ledger = the orders' totals) passes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN_URL, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SMALL = {
    "--seconds": 5,
    "--storefront-rate": 20,
    "--storefront-connections": 2,
    "--admin-rate": 4,
    "--admin-connections": 1,
    "--shopify-orders": 1,
    "--woo-orders": 1,
    "--retries": 0.5,
    "--skus": 4,
    "--stock": 100,
    "--drain-timeout": 60,
}
SURFACES = ("webhooks Shopify", "webhooks WooCommerce", "storefront", "admin")


def test_load_bench_serves_every_surface_and_loses_nothing(postgres_url, redis_url):
    # postgres_url / redis_url: the services must be there (under CI=true a missing one fails).
    env = dict(os.environ, BENCH_POSTGRES_URL=PG_ADMIN_URL, BENCH_REDIS_URL=redis_url)
    command = [sys.executable, str(ROOT / "bench" / "load.py")]
    command += [str(part) for pair in SMALL.items() for part in pair]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr[-3000:]
    for surface in SURFACES:
        line = re.search(
            rf"^{surface}\s+([\d,]+) requests\s+([\d.]+) req/s\s+p50\s+([\d.]+) ms\s+"
            rf"p99\s+([\d.]+) ms\s+errors (\d+) ",
            out,
            re.M,
        )
        assert line, f"no line for {surface}:\n{out}"
        requests, rate, p50, p99, errors = line.groups()
        assert int(requests.replace(",", "")) > 0 and float(rate) > 0, line.group(0)
        assert 0 < float(p50) <= float(p99), line.group(0)
        assert int(errors) == 0, line.group(0)
    for check in ("exactly once", "inbox drained", "ledger"):
        assert re.search(rf"^{check}\s+PASS: ", out, re.M), f"{check} did not pass:\n{out}"
    assert re.search(r"^result\s+PASS \(0 errors\)$", out, re.M), out
    # The orders really moved stock on both stores and the retries were answered as duplicates.
    sold = re.search(r"units sold: \{'shopify': (\d+), 'woocommerce': (\d+)\}", out)
    assert sold and int(sold.group(1)) > 0 and int(sold.group(2)) > 0, out
    retries = re.search(r"(\d+) of (\d+) retries answered as duplicates", out)
    assert retries and retries.group(1) == retries.group(2), out
