"""Headers every page gets, set in one place after the view ran.

- ``Content-Security-Policy: frame-ancestors``: who may show the page in a frame. A view that
  proved a store puts its connector's answer on ``g.frame_ancestors`` (Shopify's embedded panel:
  the store's admin and admin.shopify.com); every other page, and every page of a request that
  proved nothing, may be framed by nobody (clickjacking).
- A URL carrying a credential (a signed launch link, a session token, Shopify's signed app-load
  or OAuth parameters, a pool-join or install token) is kept out of caches and out of the
  ``Referer`` that the page's links and assets would send elsewhere.
"""

from __future__ import annotations

from flask import Flask, g, request

NOBODY = "'none'"
# Query parameters that are (or carry) a credential.
SECRET_PARAMS = ("launch", "id_token", "hmac", "session", "pool", "user_id", "signature")


def set_frame_ancestors(sources: str) -> None:
    """Let ``sources`` frame the page this request renders."""
    g.frame_ancestors = sources


def _after(response):
    # Popped: an application context outliving the request (a CLI command, a test) must not
    # lend one request's store to the next.
    ancestors = g.pop("frame_ancestors", None) or NOBODY
    if response.mimetype == "text/html":
        policy = response.headers.get("Content-Security-Policy")
        if not policy:
            response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        elif "frame-ancestors" not in policy:
            response.headers["Content-Security-Policy"] = (
                f"{policy.rstrip('; ')}; frame-ancestors {ancestors}"
            )
    if any(name in request.args for name in SECRET_PARAMS):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after)
