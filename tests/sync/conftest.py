"""The stock-mirror end-to-end fixtures: the app on real PostgreSQL + Redis + RQ workers."""

import pytest

from sandbox.common import ServerThread
from tests.sync.harness import PUBLIC, connect

STOCK = {"TEE-M": (10, 7), "TEE-L": (5, 5), "MUG": (3, 9)}


@pytest.fixture
def served_rq_app(rq_app, rq_workers, pki):
    """The RQ-backed app served over HTTPS on loopback, known to the world as PUBLIC, with two
    real worker processes."""
    server = ServerThread(rq_app, ssl_context=pki.server_context()).start()
    rq_app.config["APP_URL"] = PUBLIC
    rq_workers.start(2)
    yield rq_app, server.url
    server.stop()


@pytest.fixture
def stores(served_rq_app, shopify_sandbox, woo_sandbox):
    app, loopback = served_rq_app
    return connect(app, shopify_sandbox, woo_sandbox, STOCK, loopback=loopback)
