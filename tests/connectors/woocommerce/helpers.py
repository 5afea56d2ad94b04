"""Drive WooCommerce's connection the way an admin's browser does, and open the panel the way
the WordPress plugin does (a request signed with StockGuard's key on the store)."""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlencode

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
POOL = re.compile(r'name="pool" value="([^"]+)"')


def confirm_form(page: str) -> dict:
    """The hidden fields of the confirmation page's form."""
    token = FORM_TOKEN.search(page)
    assert token, page[:500]
    fields = {"form_token": token.group(1)}
    pool = POOL.search(page)
    if pool:
        fields["pool"] = pool.group(1)
    return fields


def start(client, store_url: str, pool: str | None = None, **extra):
    """Open the connection link, confirm: the response that goes to the store's authorize page."""
    query = {"store_url": store_url, **({"pool": pool} if pool else {}), **extra}
    page = client.get("/auth/woocommerce/install", query_string=query)
    if page.status_code != 200:
        return page
    fields = confirm_form(page.get_data(as_text=True))
    return client.post("/auth/woocommerce/install", data={"store_url": store_url, **fields})


def connect(client, woo, store_url: str | None = None, pool: str | None = None) -> str:
    """The whole connection: confirm, the store's authorize page, Approve. Returns where
    WooCommerce finally sent the browser."""
    response = start(client, store_url or woo.base_url, pool)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return woo.approve(response.headers["Location"])


def webhook_secret(woo) -> str:
    """The secret of StockGuard's webhooks on the sandbox store: what the WordPress plugin reads
    from WooCommerce's webhook table to sign its launch requests."""
    for hook in reversed(woo.webhooks):
        if "/webhooks/woocommerce/" in hook.delivery_url and hook.secret:
            return hook.secret
    raise AssertionError("StockGuard has no webhook on this store")


def launch_query(store: str, secret: str, user_id: int = 1, **overrides) -> str:
    """The query of the WordPress plugin's launch request (stockguard.php stockguard_launch_url):
    ``stockguard-launch-v2``, store, user, time, nonce — HMAC-SHA256 with the webhook secret."""
    import hashlib
    import hmac

    fields = {
        "store": store,
        "user_id": str(user_id),
        "ts": str(int(time.time())),
        "nonce": secrets.token_hex(16),
    }
    fields.update({k: str(v) for k, v in overrides.items() if k != "signature"})
    signed = "\n".join(
        ["stockguard-launch-v2", fields["store"], fields["user_id"], fields["ts"], fields["nonce"]]
    )
    fields["signature"] = (
        overrides.get("signature")
        or hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    )
    return urlencode(fields)


def open_panel(client, woo, store: str | None = None):
    """Open the store's panel from its admin: the plugin's signed request with StockGuard's
    webhook secret as the store holds it; returns the panel page's response."""
    query = launch_query(store or woo.base_url, webhook_secret(woo))
    launch = client.get(f"/auth/woocommerce/launch?{query}")
    assert launch.status_code == 302, launch.get_data(as_text=True)[:500]
    return client.get(launch.headers["Location"])
