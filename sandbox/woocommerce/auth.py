"""REST authentication as ``class-wc-rest-authentication.php`` does it.

Over HTTPS: ``consumer_key``/``consumer_secret`` query parameters, else HTTP Basic. Over plain
HTTP neither is even looked at: only a one-legged OAuth 1.0a signature is accepted. The signature
base string is ``METHOD&rawurlencode(home_url(path))&`` + the sorted, RFC 3986-normalised params
(from ``$_GET`` + ``$_POST`` + an ``Authorization: OAuth`` header), the key is
``consumer_secret&``, HMAC-SHA1 or HMAC-SHA256. Signature is checked before timestamp and nonce;
the timestamp window is 15 minutes; used nonces are remembered per key *by timestamp*.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from .models import ApiKey, WCError
from .serialize import php_str, rawurlencode

VALID_WINDOW = 15 * 60
OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)


def _auth_error(message: str, code: str = "woocommerce_rest_authentication_error") -> WCError:
    return WCError(code, message, 401)


@dataclass
class AuthResult:
    key: ApiKey | None = None
    error: WCError | None = None
    method: str = ""  # basic_auth | oauth1 | ""


def _rfc3986(value):
    """``wc_rest_urlencode_rfc3986`` (recursive over arrays)."""
    if isinstance(value, dict):
        return {k: _rfc3986(v) for k, v in value.items()}
    return rawurlencode(php_str(value)).replace("%7E", "~")


def _join_with_equals_sign(params: dict, out: list[str], key: str = "") -> list[str]:
    for param_key, value in params.items():
        if key:
            param_key = f"{key}%5B{param_key}%5D"
        if isinstance(value, dict):
            _join_with_equals_sign(value, out, param_key)
        else:
            out.append(_rfc3986(f"{param_key}={value}"))
    return out


def string_to_sign(method: str, base_request_uri: str, params: dict) -> str:
    params = {k: v for k, v in params.items() if k != "oauth_signature"}
    ordered = dict(sorted(params.items(), key=lambda kv: kv[0].encode()))  # uksort strcmp
    normalized = {rawurlencode(k).replace("%7E", "~"): _rfc3986(v) for k, v in ordered.items()}
    query = "%26".join(_join_with_equals_sign(normalized, []))
    return f"{method}&{base_request_uri}&{query}"


def _parse_oauth_header(header: str) -> dict:
    if not header.startswith("OAuth "):
        return {}
    params = {}
    for name, quoted, bare in re.findall(r'(oauth_[a-z_-]*)=(?::?"([^"]*)"|([^,]*))', header):
        params[name] = unquote_plus(quoted or bare)
    return params


def _basic(header: str) -> tuple[str, str]:
    if not header.lower().startswith("basic "):
        return "", ""
    try:
        user, _, pw = base64.b64decode(header[6:].strip()).decode().partition(":")
    except ValueError:
        return "", ""
    return user, pw


class Authenticator:
    """Decides who a REST request is; the store's API keys are the user table."""

    def __init__(self, store):
        self.store = store

    def authenticate(
        self,
        *,
        method: str,
        is_ssl: bool,
        home_url: str,
        raw_path: str,
        get: dict,
        post: dict,
        authorization: str,
    ) -> AuthResult:
        if is_ssl:
            result = self._basic_auth(get, authorization)
            if result.key is not None or result.error is not None:
                return result
        return self._oauth(method, is_ssl, home_url, raw_path, get, post, authorization)

    def _basic_auth(self, get: dict, authorization: str) -> AuthResult:
        key, secret = "", ""
        if get.get("consumer_key") and get.get("consumer_secret"):
            key, secret = php_str(get["consumer_key"]), php_str(get["consumer_secret"])
        if not key:
            key, secret = _basic(authorization)
        if not key or not secret:
            return AuthResult(method="basic_auth")
        with self.store.lock:
            user = self.store.key_by_consumer_key(key)
        if user is None:
            return AuthResult(method="basic_auth")
        if not hmac.compare_digest(user.consumer_secret.encode(), secret.encode()):
            return AuthResult(error=_auth_error("Consumer secret is invalid."), method="basic_auth")
        return AuthResult(key=user, method="basic_auth")

    def _oauth(self, method, is_ssl, home_url, raw_path, get, post, authorization) -> AuthResult:
        params = {**get, **post}
        if authorization:
            params.update(_parse_oauth_header(authorization.strip()))
        present = [p for p in OAUTH_PARAMS if params.get(p) not in (None, "", "0")]
        if not present:
            return AuthResult(method="oauth1")
        missing = [p for p in OAUTH_PARAMS if p not in present]
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            return AuthResult(
                error=_auth_error(
                    f"Missing OAuth {noun} {', '.join(missing)}",
                    "woocommerce_rest_authentication_missing_parameter",
                ),
                method="oauth1",
            )
        with self.store.lock:
            user = self.store.key_by_consumer_key(php_str(params["oauth_consumer_key"]))
        if user is None:
            return AuthResult(error=_auth_error("Consumer key is invalid."), method="oauth1")
        error = self._check_signature(user, method, home_url, raw_path, params)
        if error is None:
            error = self._check_timestamp_and_nonce(
                user, php_str(params["oauth_timestamp"]), php_str(params["oauth_nonce"])
            )
        if error is not None:
            return AuthResult(error=error, method="oauth1")
        return AuthResult(key=user, method="oauth1")

    def _check_signature(self, user, method, home_url, raw_path, params) -> WCError | None:
        # home_url(path) from the request path (minus the home path); the host is the store's.
        base_request_uri = rawurlencode(home_url.rstrip("/") + "/" + raw_path.lstrip("/"))
        consumer_signature = php_str(params["oauth_signature"]).replace(" ", "+")
        consumer_signature = unquote(consumer_signature)  # rawurldecode
        base = string_to_sign(method.upper(), base_request_uri, params)
        signature_method = php_str(params["oauth_signature_method"])
        if signature_method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _auth_error("Invalid signature - signature method is invalid.")
        algorithm = hashlib.sha1 if signature_method == "HMAC-SHA1" else hashlib.sha256
        secret = (user.consumer_secret + "&").encode()
        expected = base64.b64encode(hmac.new(secret, base.encode(), algorithm).digest()).decode()
        if not hmac.compare_digest(expected.encode(), consumer_signature.encode()):
            return _auth_error("Invalid signature - provided signature does not match.")
        return None

    def _check_timestamp_and_nonce(
        self, user: ApiKey, timestamp: str, nonce: str
    ) -> WCError | None:
        now = int(time.time())
        try:
            ts = int(float(timestamp))
        except ValueError:
            ts = 0
        if ts < now - VALID_WINDOW or ts > now + VALID_WINDOW:
            return _auth_error("Invalid timestamp.")
        with self.store.lock:
            if nonce in user.nonces.values():
                return _auth_error("Invalid nonce - nonce has already been used.")
            user.nonces[ts] = nonce
            for used_at in [t for t in user.nonces if t < now - VALID_WINDOW]:
                del user.nonces[used_at]
        return None

    @staticmethod
    def check_permissions(key: ApiKey, method: str) -> WCError | None:
        """Key-level read/write permissions (``check_user_permissions``)."""
        method = method.upper()
        if method in ("HEAD", "GET"):
            if key.permissions not in ("read", "read_write"):
                return _auth_error("The API key provided does not have read permissions.")
        elif method in ("POST", "PUT", "PATCH", "DELETE"):
            if key.permissions not in ("write", "read_write"):
                return _auth_error("The API key provided does not have write permissions.")
        elif method != "OPTIONS":
            return _auth_error("Unknown request method.")
        return None
