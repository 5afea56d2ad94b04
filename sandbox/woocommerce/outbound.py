"""Requests the store sends out (webhook deliveries, pings, the wc-auth key POST).

``http.client`` is driven by hand so the header names and their order are exactly the ones the
captured receivers saw from WordPress's cURL transport.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

# What WordPress's Requests/cURL transport adds around the headers WooCommerce sets.
ACCEPT = ("Accept", "*/*")
ACCEPT_ENCODING = ("Accept-Encoding", "deflate, gzip, br, zstd")


@dataclass
class Outcome:
    status: int | None
    error: str | None = None


def host_header(url: str) -> str:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def reroute(url: str, routes: dict[str, str] | None) -> str:
    """``https://app.example/x`` → ``https://127.0.0.1:PORT/x`` when that origin is routed."""
    for origin, loopback in (routes or {}).items():
        if url == origin or url.startswith(origin + "/") or url.startswith(origin + "?"):
            return loopback + url[len(origin) :]
    return url


def post(
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    timeout: float,
    ca_bundle: str | None = None,
    routes: dict[str, str] | None = None,
) -> Outcome:
    """POST ``body`` with exactly ``headers`` (in order); never raises for transport errors.

    ``routes`` sends what is addressed to a public origin to a loopback server instead (the
    Host header keeps the public name), so tests can use a real-looking app address.
    """
    parts = urlsplit(reroute(url, routes))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=ca_bundle)
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port or 443, timeout=timeout, context=context
            )
        elif parts.scheme == "http":
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        else:
            return Outcome(None, f"unsupported scheme {parts.scheme!r}")
        try:
            conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            response.read()
            return Outcome(response.status)
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as exc:
        # cURL errors come back as a WP_Error: no status, a message.
        return Outcome(None, f"{type(exc).__name__}: {exc}")
