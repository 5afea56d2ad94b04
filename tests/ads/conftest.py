"""The three ad sandboxes (Meta Graph v26, TikTok Business API v1.3, Google Ads over gRPC with
TLS), and apps whose ad connectors point at them through the SDKs' endpoint settings."""

from __future__ import annotations

import uuid

import pytest

from sandbox.common import ServerThread
from tests.ads.harness import PLATFORMS, Panel, make_store


@pytest.fixture
def ad_sandboxes(pki):
    from sandbox.google_ads import GoogleAdsSandbox
    from sandbox.meta import MetaSandbox
    from sandbox.tiktok import TikTokSandbox

    servers = []
    boxes = {}
    for platform, cls in (("meta", MetaSandbox), ("tiktok", TikTokSandbox)):
        sb = cls()
        server = ServerThread(sb.wsgi_app).start()
        sb.base_url = server.url
        servers.append(server)
        boxes[platform] = sb
    google = GoogleAdsSandbox()
    google.start(pki)
    boxes["google_ads"] = google
    assert tuple(boxes) == PLATFORMS
    yield boxes
    google.stop()
    for server in servers:
        server.stop()


def ad_config(boxes) -> dict:
    cfg = {"ADS_HTTP_TIMEOUT": 2.0}
    for sb in boxes.values():
        cfg.update(sb.config())
    return cfg


@pytest.fixture
def ads_app(make_app, ad_sandboxes):
    """In-process jobs (the one-machine setup), ad connectors on the sandboxes."""
    return make_app(**ad_config(ad_sandboxes))


@pytest.fixture
def rq_app(make_app, redis_url, postgres_url, ad_sandboxes):
    """As the suite's rq_app (a private queue on the real Redis), with the ad sandboxes."""
    from redis import Redis

    queue = f"sg-test-{uuid.uuid4().hex[:8]}"
    app = make_app(REDIS_URL=redis_url, RQ_QUEUE=queue, **ad_config(ad_sandboxes))
    yield app
    conn = Redis.from_url(redis_url)
    for key in conn.scan_iter(f"rq:*{queue}*"):
        conn.delete(key)


@pytest.fixture
def shop(ads_app):
    """A store with three SKUs, and its panel."""
    from extensions import db

    with ads_app.app_context():
        inst, skus = make_store(
            db.session, "ads-store.myshopify.com", {"TEE": 6, "MUG": 20, "CAP": 9}
        )
        inst_id = inst.id
    return Panel(ads_app, inst_id), skus
