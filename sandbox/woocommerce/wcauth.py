"""``/wc-auth/v1``: WooCommerce's app authorization (``class-wc-auth.php``).

The sandbox is a browser session where the store admin is already logged in: ``authorize`` shows
the grant-access page, ``login`` redirects to it, ``access_granted`` (with a valid
``wc_auth_nonce``) creates a key, POSTs it to ``callback_url`` synchronously and redirects to
``return_url?success=1&user_id=...``; a non-200 answer deletes the key and shows the error page.
There is no ``access_denied`` route: "Deny" is a plain link to ``return_url?success=0&...``.
Every request is validated first, so a plain-http ``callback_url`` gets the error page even
before any login.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from urllib.parse import unquote_plus, urlsplit

from . import outbound, pages
from .rest import NOCACHE, php_headers
from .serialize import add_query_arg, esc_html, esc_url, php_urlencode, rawurlencode, wp_json_encode
from .webhooks import Delivery

ADMIN_USER_ID = 1
SCOPE_LABELS = {"read": "Read", "write": "Write", "read_write": "Read/Write"}
SCOPE_PERMISSIONS = {
    "read": ["View coupons", "View customers", "View orders and sales reports", "View products"],
    "write": [
        "Create webhooks", "Create coupons", "Create customers", "Create orders", "Create products",
    ],
    "read_write": [
        "Create webhooks", "View and manage coupons", "View and manage customers",
        "View and manage orders and sales reports", "View and manage products",
    ],
}  # fmt: skip
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/?#]+[^\s]*$", re.IGNORECASE)


class AuthFailure(Exception):
    """An ``Exception`` caught by ``auth_endpoint`` and shown through ``wp_die``."""


def formatted_url(url: str) -> str:
    """``get_formatted_url``: urldecode, and assume https:// when there is no scheme."""
    url = unquote_plus(url)
    return url if "://" in url else "https://" + url


def wc_clean(value: str) -> str:
    return re.sub(r"<[^>]*>", "", value).strip()


class WcAuth:
    def __init__(self, sb):
        self.sb = sb
        self.callbacks: list[Delivery] = []

    # ------------------------------------------------------------------ helpers

    def _nonce(self, action: str, tick_offset: int = 0) -> str:
        """``wp_create_nonce``: 10 hex chars, stable for 12 hours."""
        tick = math.ceil(time.time() / 43200) - tick_offset
        data = f"{tick}|{action}|{ADMIN_USER_ID}|session".encode()
        return hmac.new(self.sb.salt, data, hashlib.md5).hexdigest()[-12:-2]

    def _build_url(self, data: dict, endpoint: str) -> str:
        url = f"{self.sb.home}/wc-auth/v1/{endpoint}/"
        return add_query_arg(
            url,
            {
                "app_name": wc_clean(data["app_name"]),
                "user_id": wc_clean(data["user_id"]),
                "return_url": rawurlencode(formatted_url(data["return_url"])),
                "callback_url": rawurlencode(formatted_url(data["callback_url"])),
                "scope": wc_clean(data["scope"]),
            },
        )

    def _validate(self, params: dict) -> dict:
        data = {}
        for name in ("app_name", "user_id", "return_url", "callback_url", "scope"):
            value = params.get(name)
            if value in (None, "", "0"):
                raise AuthFailure(f"Missing parameter {name}")
            if not isinstance(value, str):
                raise AuthFailure(f"Invalid parameter {name}")
            data[name] = value
        if data["scope"] not in SCOPE_LABELS:
            raise AuthFailure(f"Invalid scope {wc_clean(data['scope'])}")
        for name in ("return_url", "callback_url"):
            url = formatted_url(data[name])
            if not _URL.match(url):
                raise AuthFailure(f"The {url} is not a valid URL")
        callback = formatted_url(data["callback_url"])
        if self.sb.require_https_callback and not callback.lower().startswith("https://"):
            raise AuthFailure("The callback_url needs to be over SSL")
        return data

    def _page(self, host: str, status: int, body: str, extra: list | None = None):
        headers = php_headers(host) + (extra or [("Content-type", "text/html; charset=UTF-8")])
        return status, headers, body.encode()

    def _redirect(self, host: str, location: str):
        return self._page(
            host,
            302,
            "",
            [
                ("X-Redirect-By", "WordPress"),
                ("Location", location.replace(" ", "%20")),
                ("Content-type", "text/html; charset=UTF-8"),
            ],
        )

    def _die(self, host: str, message: str):
        """``wp_die( 'Error: %s.', 'Access denied', 401 )``."""
        body = pages.WP_DIE.replace("@@MESSAGE@@", f"Error: {esc_html(message)}.")
        return self._page(host, 401, body, [("Content-Type", "text/html; charset=UTF-8"), *NOCACHE])

    # ------------------------------------------------------------------ endpoint

    def handle(self, route: str, params: dict, host: str):
        """Answer ``/wc-auth/v1/<route>``; returns ``(status, headers, body)``."""
        route = wc_clean(route).strip("/").lower()
        try:
            data = self._validate(params)
            if route == "login":
                return self._redirect(host, self._build_url(data, "authorize"))
            if route == "authorize":
                return self._page(host, 200, self._grant_access_page(data))
            if route == "access_granted":
                return self._redirect(host, self._access_granted(data, params))
            raise AuthFailure("You do not have permission to access this page")
        except AuthFailure as exc:
            return self._die(host, str(exc))

    def _grant_access_page(self, data: dict) -> str:
        home = self.sb.home
        scope = data["scope"]
        deny = add_query_arg(
            formatted_url(data["return_url"]), {"success": 0, "user_id": wc_clean(data["user_id"])}
        )
        granted = add_query_arg(
            self._build_url(data, "access_granted"),
            {"wc_auth_nonce": self._nonce("wc_auth_grant_access")},
        )
        logout = add_query_arg(
            f"{home}/wp-login.php",
            {
                "action": "logout",
                "redirect_to": php_urlencode(self._build_url(data, "login")),
                "_wpnonce": self._nonce("log-out"),
            },
        )
        permissions = "".join(
            pages.PERMISSION_ITEM.replace("@@PERMISSION@@", p) for p in SCOPE_PERMISSIONS[scope]
        )
        replacements = {
            "@@HOME_NOSCHEME@@": "//" + urlsplit(home).netloc,
            "@@HOME@@": home,
            "@@APP_NAME@@": esc_html(wc_clean(data["app_name"])),
            "@@SCOPE@@": SCOPE_LABELS[scope],
            "@@PERMISSIONS@@": permissions,
            "@@CALLBACK_HOST@@": esc_html(
                urlsplit(formatted_url(data["callback_url"])).hostname or ""
            ),
            "@@LOGOUT_URL@@": esc_url(logout),
            "@@GRANTED_URL@@": esc_url(granted),
            "@@DENY_URL@@": esc_url(deny),
        }
        page = pages.GRANT_ACCESS
        for token, value in replacements.items():
            page = page.replace(token, value)
        return page

    def _access_granted(self, data: dict, params: dict) -> str:
        """Create the key, hand it to the app, return where to send the admin."""
        nonce = str(params.get("wc_auth_nonce") or "")
        valid = {self._nonce("wc_auth_grant_access", 0), self._nonce("wc_auth_grant_access", 1)}
        if nonce not in valid:
            raise AuthFailure("Invalid nonce verification")
        store = self.sb.store
        with store.tx():
            created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            description = f"{wc_clean(data['app_name'])[:170]} - API ({created})"
            key = store.create_api_key(ADMIN_USER_ID, data["scope"], description)
        consumer_data = {
            "key_id": key.key_id,
            "user_id": data["user_id"],  # echoed back as the string it came in as
            "consumer_key": key.consumer_key,
            "consumer_secret": key.consumer_secret,
            "key_permissions": key.permissions,
        }
        try:
            self._post_consumer_data(consumer_data, formatted_url(data["callback_url"]))
        except AuthFailure:
            with store.tx():
                store.delete_api_key(key.key_id)  # maybe_delete_key
            raise
        return add_query_arg(
            formatted_url(data["return_url"]), {"success": 1, "user_id": wc_clean(data["user_id"])}
        )

    def _post_consumer_data(self, consumer_data: dict, url: str) -> None:
        body = wp_json_encode(consumer_data)
        headers = [
            ("Host", outbound.host_header(url)),
            ("User-Agent", f"WordPress/6.8.3; {self.sb.home}"),
            outbound.ACCEPT,
            outbound.ACCEPT_ENCODING,
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
        ]
        outcome = outbound.post(
            url,
            headers,
            body,
            timeout=60,
            ca_bundle=self.sb.ca_bundle,
            routes=self.sb.callback_routes,
        )
        self.callbacks.append(
            Delivery("wc-auth", 0, None, url, headers, body, outcome.status, outcome.error)
        )
        if outcome.status is None:
            raise AuthFailure(outcome.error or "cURL error")
        if outcome.status != 200:
            raise AuthFailure(
                "An error occurred in the request and at the time were unable to send the consumer data"
            )
