"""Google's OAuth 2.0 token endpoint, as far as a refresh-token grant goes.

``POST /token`` (form-encoded ``grant_type=refresh_token``, ``refresh_token``, ``client_id``,
``client_secret``) answers ``{"access_token", "expires_in", "scope", "token_type": "Bearer"}``;
an unknown client gets 401 ``invalid_client``, a revoked or expired refresh token 400
``invalid_grant`` "Token has been expired or revoked." — the shapes documented at
https://developers.google.com/identity/protocols/oauth2/web-server#offline and returned by
https://oauth2.googleapis.com/token.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"


@dataclass
class OAuthState:
    client_id: str
    client_secret: str
    refresh_token: str
    access_token_lifetime: int = 3599
    refresh_token_valid: bool = True
    # access token → (expires at, still good)
    tokens: dict[str, list] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue(self) -> dict:
        token = "ya29." + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = [time.time() + self.access_token_lifetime, True]
        return {
            "access_token": token,
            "expires_in": self.access_token_lifetime,
            "scope": ADWORDS_SCOPE,
            "token_type": "Bearer",
        }

    def check(self, token: str) -> str | None:
        """None when ``token`` is good, else ``"invalid"`` or ``"expired"``."""
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None:
            return "invalid"
        expires_at, good = entry
        if not good or time.time() >= expires_at:
            return "expired"
        return None

    def expire_all(self) -> None:
        """The grant is revoked: the refresh token and every access token stop working."""
        with self.lock:
            self.refresh_token_valid = False
            for entry in self.tokens.values():
                entry[1] = False

    def restore(self) -> None:
        with self.lock:
            self.refresh_token_valid = True

    # ------------------------------------------------------------------ HTTP

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "grant_type": form.get("grant_type"),
                    "client_id": form.get("client_id"),
                    "at": time.time(),
                }
            )
        if request.path != "/token" or request.method != "POST":
            return Response("Not Found", status=404, content_type="text/html; charset=UTF-8")
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            return _json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("grant_type") != "refresh_token":
            return _json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + form.get("grant_type", ""),
                },
            )
        if not form.get("refresh_token"):
            return _json(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Missing required parameter: refresh_token",
                },
            )
        if not self.refresh_token_valid or not secrets.compare_digest(
            form["refresh_token"], self.refresh_token
        ):
            return _json(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        return _json(200, self.issue())


def _json(status: int, body: dict) -> Response:
    return Response(
        json.dumps(body, indent=2),
        status=status,
        content_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )
