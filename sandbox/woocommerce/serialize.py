"""PHP/WordPress wire-format helpers: ``wp_json_encode`` bytes, URL encoders, ``parse_str``.

WooCommerce signs and checks raw bytes, so the sandbox must produce the same bytes PHP would:
``json_encode`` escapes ``/`` as ``\\/`` and non-ASCII as ``\\uXXXX``, keeps key order, and prints
floats with the shortest round-trip form (``serialize_precision = -1``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from email.utils import formatdate
from urllib.parse import quote, unquote_plus


def wp_json_encode(data) -> bytes:
    """Encode like PHP ``wp_json_encode($data)`` with default flags."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    # A "/" can only occur inside JSON strings, so escaping the serialised text is exact.
    return text.replace("/", "\\/").encode("ascii")


def rawurlencode(value: str) -> str:
    """PHP ``rawurlencode`` (RFC 3986: only ``A-Za-z0-9-_.~`` stay literal)."""
    return quote(value, safe="-_.~")


def php_urlencode(value: str) -> str:
    """PHP ``urlencode``: like rawurlencode but space becomes ``+`` and ``~`` is encoded."""
    return quote(value, safe="-_.").replace("%20", "+")


def php_str(value) -> str:
    """String conversion as PHP does it for scalars (``true`` -> "1", ``false``/``null`` -> "")."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def php_parse_str(query: str) -> dict:
    """PHP ``parse_str``: last value wins, ``a[b]=`` / ``a[]=`` build nested arrays (dicts here)."""
    result: dict = {}
    if not query:
        return result
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote_plus(raw_key)
        value = unquote_plus(raw_value)
        if not key:
            continue
        base, _, rest = key.partition("[")
        rest = "[" + rest if rest else ""
        # PHP turns spaces and dots of the top-level name into underscores.
        base = base.replace(" ", "_").replace(".", "_")
        subkeys = _BRACKETS.findall(rest) if rest.endswith("]") else []
        if not subkeys:
            result[base] = value
            continue
        node = result.setdefault(base, {})
        if not isinstance(node, dict):
            node = result[base] = {}
        for i, sub in enumerate(subkeys):
            if sub == "":
                sub = str(sum(1 for k in node if k.isdigit()))
            if i == len(subkeys) - 1:
                node[sub] = value
            else:
                child = node.get(sub)
                if not isinstance(child, dict):
                    child = node[sub] = {}
                node = child
    return result


def build_query(params: dict) -> str:
    """WordPress ``build_query`` (no encoding) followed by add_query_arg's ``=(&|$)`` trim."""
    parts = [f"{k}={php_str(v)}" for k, v in params.items() if not isinstance(v, dict)]
    # add_query_arg() ends with preg_replace('#=(&|$)#', '$1', ...): a value ending in "="
    # (base64 padding) loses it. Real stores do this to the pagination Link header.
    return re.sub(r"=(&|$)", r"\1", "&".join(parts))


def add_query_arg(url: str, args: dict) -> str:
    """WordPress ``add_query_arg(array, url)``: re-encodes existing query values, raw new ones."""
    base, _, query = url.partition("?")
    existing = {k: php_urlencode(v) for k, v in php_parse_str(query).items() if isinstance(v, str)}
    existing.update({k: php_str(v) for k, v in args.items()})
    built = build_query(existing)
    return f"{base}?{built}" if built else base


def wp_date(ts: int) -> str:
    """``wc_rest_prepare_date_response``: site-local ISO 8601 without offset (site runs on UTC)."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def http_date(ts: float | None = None) -> str:
    """RFC 7231 date, as in the ``Date`` response header."""
    return formatdate(ts, usegmt=True)


def esc_html(text: str) -> str:
    """WordPress ``esc_html`` for the characters that matter here."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def esc_url(url: str) -> str:
    """WordPress ``esc_url`` for display: ampersands become ``&#038;``."""
    return url.replace("&", "&#038;")


def sanitize_title(text: str) -> str:
    """WordPress ``sanitize_title`` for plain ASCII names (lowercase, dashes)."""
    text = text.strip().lower()
    text = re.sub(r"[^a-z0-9 _-]", "", text)
    text = re.sub(r"[\s_]+", "-", text)
    return re.sub(r"-+", "-", text).strip("-")


def wpautop(text: str) -> str:
    """Minimal WordPress ``wpautop``: paragraphs on blank lines, ``<br />`` on single newlines."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br />\n") + "</p>\n" for p in paragraphs)
