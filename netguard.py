"""Outgoing requests to addresses a user chose (a store's URL, an alert webhook) must not reach
into StockGuard's own network (SSRF).

An address is public when every IP its host resolves to is globally routable: loopback,
private, link-local, carrier-grade NAT, multicast, reserved and IPv4-mapped forms of those are
refused, whether written as a name, a dotted quad, a decimal (``2130706433``), octal or hex
(``0177.0.0.1``, ``0x7f.1``) shorthand, or IPv6 (``[::1]``, ``[::ffff:127.0.0.1]``). Redirects
are not followed by the callers (a public host may answer 302 to ``http://127.0.0.1``).
A DNS answer may still change between this check and the connection; the check bounds that
window to one request (results are cached a few seconds only).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

CACHE_SECONDS = 10.0
_cache: dict[tuple[str, int], tuple[float, bool]] = {}
_lock = threading.Lock()


class PrivateAddress(ValueError):
    """The address is not a public Internet address (or does not resolve)."""


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip("[]").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        # inet_aton accepts the legacy shorthands a resolver also accepts: 2130706433, 127.1,
        # 0177.0.0.1, 0x7f000001.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public_ip(text: str) -> bool:
    """True for a globally routable address; False for anything else (or not an address)."""
    ip = _ip(text)
    return ip is not None and ip.is_global and not ip.is_multicast


def literal_private(host: str) -> bool:
    """``host`` is written as an IP address (in any form) that is not public, or is localhost."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = _ip(host)
    return ip is not None and not (ip.is_global and not ip.is_multicast)


def check_public(host: str | None, port: int | None = None) -> None:
    """Raise PrivateAddress unless every address ``host`` resolves to is public."""
    if not host:
        raise PrivateAddress("no host")
    if literal_private(host):
        raise PrivateAddress(f"{host} is not a public Internet address")
    key = (host.lower(), port or 443)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        public = hit[1]
    else:
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as e:
            raise PrivateAddress(f"{host} does not resolve") from e
        public = bool(infos) and all(is_public_ip(info[4][0]) for info in infos)
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[key] = (now + CACHE_SECONDS, public)
    if not public:
        raise PrivateAddress(f"{host} is not a public Internet address")
