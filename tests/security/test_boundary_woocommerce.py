"""The WooCommerce boundary as an attacker meets it: knowing a store's address opens nothing;
store addresses never reach StockGuard's own network; links on StockGuard's address never
send a browser elsewhere by themselves; anonymous install starts write nothing unbounded; the
panel opens only through a request signed with the store's own key, once.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

import netguard
from extensions import db
from models import Installation, InstallState, SpentToken
from tests.conftest import need
from tests.connectors.woocommerce.helpers import (
    confirm_form,
    connect,
    launch_query,
    open_panel,
    start,
    webhook_secret,
)

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "integrations" / "wordpress" / "stockguard" / "stockguard.php"


def _count(app, model) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- the takeover


def test_knowing_a_store_address_opens_no_panel(live_app, woo_sandbox):
    """The critical finding: the install token handed to anyone who starts an install was
    accepted by /installed as proof of being the store's admin, and led to a launch link."""
    admin = live_app.test_client()
    assert "success=1" in connect(admin, woo_sandbox)

    attacker = live_app.test_client()
    start_answer = start(attacker, woo_sandbox.base_url)
    assert start_answer.status_code == 302  # anyone may start a connection...
    token = parse_qs(urlsplit(start_answer.headers["Location"]).query)["user_id"][0]
    landing = attacker.get(
        "/auth/woocommerce/installed", query_string={"success": "1", "user_id": token}
    )
    page = landing.get_data(as_text=True)
    # ...and the return page proves nothing and hands out nothing.
    assert landing.status_code == 200 and "Location" not in landing.headers
    assert "launch=" not in page and "stockguard-token" not in page
    for path in ("/admin/woocommerce", f"/admin/woocommerce?user_id={token}"):
        assert attacker.get(path).status_code == 401
    assert (
        attacker.get("/admin/api/jobs", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


# --------------------------------------------------------------------------- SSRF


def _install_token(client, store_url: str) -> str:
    """Start a connection as anyone can; the install token WooCommerce would carry back."""
    answer = start(client, store_url)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["user_id"][0]


def _keys(token: str, key=None) -> dict:
    """The callback's body: keys as the caller says (``key``: a sandbox API key), permissions
    claimed read_write whatever the key can do."""
    return {
        "key_id": key.key_id if key else 1,
        "user_id": token,
        "consumer_key": key.consumer_key if key else "ck_" + "a" * 40,
        "consumer_secret": key.consumer_secret if key else "cs_" + "b" * 40,
        "key_permissions": "read_write",
    }


class Canary:
    """A loopback HTTP server that records every request (and can answer 302 elsewhere)."""

    def __init__(self, redirect_to: str | None = None):
        self.paths: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                canary.paths.append(self.path)
                if redirect_to and not self.path.startswith("/landed"):
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                body = b'{"name":"x","namespaces":["wc/v3"]}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    found = Canary()
    yield found
    found.close()


def private_forms(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}",
        f"http://localhost:{port}",
        f"http://LOCALHOST:{port}/shop",
        f"http://2130706433:{port}",  # decimal 127.0.0.1
        f"http://0x7f000001:{port}",  # hex
        f"http://0177.0.0.1:{port}",  # octal
        f"http://127.1:{port}",  # shorthand
        f"http://[::1]:{port}",
        f"http://[::ffff:127.0.0.1]:{port}",  # IPv4-mapped IPv6
        "http://10.0.0.8",
        "http://172.16.3.4",
        "http://192.168.1.1",
        "http://169.254.169.254",  # cloud metadata (link-local)
        "http://[fe80::1]",
        "http://[fd00::1]",
        "http://100.64.0.1",  # carrier-grade NAT
        "http://0.0.0.0",
        "https://93.184.216.34:22",  # public, but not a web port: no port scans through us
        "https://93.184.216.34:6379",  # noqa: S104
    ]


def test_store_addresses_that_reach_our_own_network_are_refused_everywhere(make_app, canary):
    app = make_app(STORE_PRIVATE_OK=False)
    client = app.test_client()
    page = client.get(
        "/auth/woocommerce/install", query_string={"store_url": "https://93.184.216.34"}
    )
    fields = confirm_form(page.get_data(as_text=True))
    for store_url in private_forms(canary.port):
        shown = client.get("/auth/woocommerce/install", query_string={"store_url": store_url})
        assert shown.status_code == 400 and "Location" not in shown.headers, store_url
        posted = client.post("/auth/woocommerce/install", data={"store_url": store_url, **fields})
        assert posted.status_code == 400 and "Location" not in posted.headers, store_url
    assert canary.paths == []  # nothing of ours ever called it
    assert _count(app, InstallState) == 0 and _count(app, Installation) == 0


def test_a_forged_callback_for_a_private_store_calls_nothing(make_app, canary):
    """Even with a genuine install token (minted while the address was allowed, or DNS that
    changed since), the callback checks the address again before calling the store."""
    allowed = make_app(STORE_PRIVATE_OK=True)
    client = allowed.test_client()
    token = _install_token(client, f"http://127.0.0.1:{canary.port}")
    canary.paths.clear()
    allowed.config["STORE_PRIVATE_OK"] = False
    refused = client.post("/auth/woocommerce/callback", json=_keys(token))
    assert refused.status_code == 400
    assert canary.paths == [] and _count(allowed, Installation) == 0


def test_a_store_that_answers_nonsense_leaves_no_installation(app, client, canary):
    """A "store" answering a JSON object where WooCommerce answers a list was a 500 that left an
    installation row behind; now the callback answers 502 (WooCommerce deletes its key) and
    nothing stays."""
    token = _install_token(client, f"http://127.0.0.1:{canary.port}")
    refused = client.post("/auth/woocommerce/callback", json=_keys(token))
    assert refused.status_code == 502
    assert any(path.startswith("/wp-json/wc/v3/webhooks") for path in canary.paths)
    assert _count(app, Installation) == 0


def test_a_store_that_redirects_is_not_followed(app):
    """A store answering 302 (to anywhere: loopback, metadata) is an error, not a hop (the
    loopback stores of this test are allowed by the test config; the hop is what is checked)."""
    from connectors.errors import InvalidRequest
    from connectors.woocommerce.client import WooClient

    target = Canary()
    hop = Canary(redirect_to=f"http://127.0.0.1:{target.port}/landed")
    try:
        client = WooClient(f"http://127.0.0.1:{hop.port}", "ck_" + "a" * 40, "cs_" + "b" * 40)
        with app.app_context(), pytest.raises(InvalidRequest, match="redirected"):
            client.get("webhooks")
        assert hop.paths and target.paths == []
    finally:
        hop.close()
        target.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "::ffff:a9fe:a9fe",  # 169.254.169.254, mapped
        "10.1.2.3",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.100.100.200",
        "fe80::1%eth0",
        "fc00::1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "localhost",
        "api.localhost",
    ],
)
def test_private_address_forms(address):
    assert netguard.literal_private(address)
    with pytest.raises(netguard.PrivateAddress):
        netguard.check_public(address)


def test_public_addresses_pass():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        assert netguard.is_public_ip(address) and not netguard.literal_private(address)


# --------------------------------------------------------------------------- open redirect


def test_a_link_on_our_address_never_sends_a_browser_elsewhere_by_itself(app, client):
    phish = "https://evil.example/phish"
    answer = client.get("/auth/woocommerce/install", query_string={"store_url": phish})
    assert answer.status_code == 200 and "Location" not in answer.headers
    page = answer.get_data(as_text=True)
    # The page names the address and asks to confirm; only that form goes on.
    assert "https://evil.example/phish" in page and 'method="post"' in page
    assert _count(app, InstallState) == 0
    # A POST without the form token of this browser's page goes nowhere.
    forged = app.test_client().post("/auth/woocommerce/install", data={"store_url": phish})
    assert forged.status_code == 403 and "Location" not in forged.headers


# --------------------------------------------------------------------------- install-state flood


def test_anonymous_install_starts_are_bounded_and_purged(make_app, woo_sandbox):
    app = make_app(INSTALL_RATE_LIMIT=5)
    client = app.test_client()
    for _ in range(50):  # looking at the confirmation page writes nothing
        client.get("/auth/woocommerce/install", query_string={"store_url": woo_sandbox.base_url})
    assert _count(app, InstallState) == 0
    answers = [start(client, woo_sandbox.base_url).status_code for _ in range(8)]
    assert answers == [302] * 5 + [429] * 3
    assert _count(app, InstallState) == 5
    # States past their time are deleted by the next install start (any client's).
    with app.app_context():
        for state in db.session.scalars(select(InstallState)):
            state.created_at = state.created_at.replace(year=state.created_at.year - 1)
        db.session.commit()
    app.config["INSTALL_RATE_LIMIT"] = 0
    assert start(app.test_client(), woo_sandbox.base_url).status_code == 302
    assert _count(app, InstallState) == 1


# --------------------------------------------------------------------------- opening the panel


def _launch(client, woo, **overrides):
    secret = overrides.pop("secret", webhook_secret(woo))
    query = launch_query(overrides.pop("store", woo.base_url), secret, **overrides)
    return client.get(f"/auth/woocommerce/launch?{query}")


def test_the_panel_opens_only_through_the_stores_own_signed_request_once(live_app, woo_sandbox):
    client = live_app.test_client()
    assert "success=1" in connect(client, woo_sandbox)
    key = woo_sandbox.api_keys[-1]
    refused = {
        "another secret": _launch(client, woo_sandbox, secret="0" * 43),
        # The API key's secret is no proof: the connection callback takes keys on the
        # caller's word (another app's key for this store would do).
        "the API key's secret": _launch(client, woo_sandbox, secret=key.consumer_secret),
        "an hour old": _launch(client, woo_sandbox, ts=int(time.time()) - 3600),
        "from the future": _launch(client, woo_sandbox, ts=int(time.time()) + 3600),
        "tampered user": _launch(client, woo_sandbox, signature="0" * 64),
        "unknown store": _launch(client, woo_sandbox, store="https://other.example"),
        "short nonce": _launch(client, woo_sandbox, nonce="abc"),
    }
    for case, answer in refused.items():
        assert answer.status_code == 403 and "Location" not in answer.headers, case
    # The same request twice: the second is refused (a copied URL is worth nothing).
    query = launch_query(woo_sandbox.base_url, webhook_secret(woo_sandbox))
    first = client.get(f"/auth/woocommerce/launch?{query}")
    assert first.status_code == 302
    assert client.get(f"/auth/woocommerce/launch?{query}").status_code == 403
    panel = client.get(first.headers["Location"])
    assert panel.status_code == 200 and "stockguard-token" in panel.get_data(as_text=True)
    # The launch link it led to works once.
    assert client.get(first.headers["Location"]).status_code == 401
    assert _count(live_app, SpentToken) == 2


def test_another_apps_key_for_the_store_opens_no_panel(live_app, woo_sandbox):
    """Found in review: the connection callback takes keys on the caller's word, so anyone
    holding some REST key for a connected store (another integration's, even read-only) could
    hand it in with a fresh install token and then sign launch requests with it."""
    admin = live_app.test_client()
    assert "success=1" in connect(admin, woo_sandbox)
    with live_app.app_context():
        sealed = Installation.find(
            db.session, "woocommerce", woo_sandbox.base_url
        ).credentials_sealed
    attacker = live_app.test_client()

    def hand_in(key):
        body = _keys(_install_token(attacker, woo_sandbox.base_url), key)
        return attacker.post("/auth/woocommerce/callback", json=body)

    # A read-only key cannot write StockGuard's webhooks: refused, nothing replaced.
    read_only = woo_sandbox.create_api_key(permissions="read")
    assert hand_in(read_only).status_code == 502
    with live_app.app_context():
        db.session.remove()
        assert (
            Installation.find(db.session, "woocommerce", woo_sandbox.base_url).credentials_sealed
            == sealed
        )
    # A read/write key of another app is taken (it can do what StockGuard's could), but knowing
    # its secret opens nothing: launch requests are signed with the webhook secret, which the
    # REST API never shows.
    foreign = woo_sandbox.create_api_key(permissions="read_write")
    assert hand_in(foreign).status_code == 200
    forged = _launch(attacker, woo_sandbox, secret=foreign.consumer_secret)
    assert forged.status_code == 403 and "Location" not in forged.headers
    assert open_panel(admin, woo_sandbox).status_code == 200  # the store's own admin still can


def test_a_disconnected_store_cannot_be_opened(live_app, woo_sandbox):
    client = live_app.test_client()
    connect(client, woo_sandbox)
    with live_app.app_context():
        inst = Installation.find(db.session, "woocommerce", woo_sandbox.base_url)
        inst.status = Installation.UNINSTALLED
        db.session.commit()
    assert _launch(client, woo_sandbox).status_code == 403


@pytest.fixture
def php():
    if shutil.which("php") is None:
        need("php", "not installed (.ci/run installs php-cli)")
    return shutil.which("php")


STUBS = r"""<?php
define('ABSPATH', '/');
function add_action() {}
function add_filter() {}
function home_url() { return getenv('SG_HOME') . '/'; }
function untrailingslashit($s) { return rtrim($s, '/\\'); }
function wp_generate_password($n, $special) {
    return substr(bin2hex(random_bytes($n)), 0, $n);
}
require getenv('SG_PLUGIN');
function get_option($name, $default = '') { return getenv('SG_SERVER'); }
function esc_url_raw($url) { return $url; }
class WC_Webhook {
    public function get_delivery_url() { return getenv('SG_DELIVERY'); }
    public function get_secret() { return getenv('SG_SECRET'); }
}
class Other_Webhook {
    public function get_delivery_url() { return 'https://another-app.example/hooks'; }
    public function get_secret() { return 'not-ours'; }
}
class WC_Data_Store {
    public static function load($name) { return new self(); }
    public function search_webhooks($args) { return array(9, 3); }
}
function wc_get_webhook($id) { return 9 === $id ? new Other_Webhook() : new WC_Webhook(); }
$secret = stockguard_webhook_secret();
if (null === $secret) { fwrite(STDERR, "no StockGuard webhook found\n"); exit(3); }
echo stockguard_launch_url(stockguard_server_url(), $secret, 7);
"""


def test_the_wordpress_plugins_launch_request_opens_the_panel(live_app, woo_sandbox, php, tmp_path):
    """The plugin's own PHP builds the request (stubs stand in for WordPress's functions)."""
    client = live_app.test_client()
    connect(client, woo_sandbox)
    script = tmp_path / "launch.php"
    script.write_text(STUBS)
    env = {
        **os.environ,
        "SG_HOME": woo_sandbox.base_url,
        "SG_PLUGIN": str(PLUGIN),
        "SG_SECRET": webhook_secret(woo_sandbox),
        "SG_DELIVERY": [h.delivery_url for h in woo_sandbox.webhooks][0],
        "SG_SERVER": live_app.config["APP_URL"],
    }
    result = subprocess.run([php, str(script)], capture_output=True, text=True, env=env, check=True)
    url = urlsplit(result.stdout.strip())
    assert url.path == "/auth/woocommerce/launch"
    assert f"{url.scheme}://{url.netloc}" == live_app.config["APP_URL"]
    answer = client.get(f"{url.path}?{url.query}")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert client.get(answer.headers["Location"]).status_code == 200
    assert client.get(f"{url.path}?{url.query}").status_code == 403  # once


def test_a_panel_token_from_before_a_disconnect_stays_dead_after_a_reconnect(live_app, woo_sandbox):
    """Found in review: panel tokens (12 h) only checked that the store was active, so a token
    signed before a disconnect opened the API again once the store was reconnected."""
    from views.admin_api import panel_token

    client = live_app.test_client()
    connect(client, woo_sandbox)
    with live_app.test_request_context():
        inst_id = Installation.find(db.session, "woocommerce", woo_sandbox.base_url).id
        old = {"Authorization": f"Bearer {panel_token(inst_id)}"}
    assert client.get("/admin/api/store/connection", headers=old).status_code == 200
    done = client.post("/admin/api/store/disconnect", json={"erase": False}, headers=old)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "success=1" in connect(client, woo_sandbox)
    assert client.get("/admin/api/store/connection", headers=old).status_code == 401
    page = open_panel(client, woo_sandbox).get_data(as_text=True)
    fresh = page.split('name="stockguard-token" content="')[1].split('"')[0]
    answer = client.get("/admin/api/store/connection", headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 200


def test_a_store_answering_without_end_is_cut_off(app):
    """Found in review: answers were read whole into memory; a store (or something posing as
    one) could send gigabytes to a worker. Now past 32 MiB the call fails and stops reading."""
    from connectors.errors import InvalidRequest
    from connectors.woocommerce.client import MAX_RESPONSE_BYTES, WooClient

    sent = []

    class Endless(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b"[" + b'"x",' * 16383 + b'"x"]'  # 64 KiB
            try:
                for _ in range(4 * MAX_RESPONSE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
                    sent.append(len(chunk))
            except OSError:
                pass  # the client hung up: what this test wants

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = WooClient(f"http://127.0.0.1:{server.server_address[1]}", "ck_x", "cs_x")
        with app.app_context(), pytest.raises(InvalidRequest, match="more than 32 MiB"):
            client.get("webhooks")
        time.sleep(0.5)
        assert sum(sent) < 3 * MAX_RESPONSE_BYTES  # it stopped reading well before the end
    finally:
        server.shutdown()
        server.server_close()
