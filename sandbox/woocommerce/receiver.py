"""A loopback endpoint that records exactly what the store POSTed (header order included).

Werkzeug hands an app ``Content-Type``/``Content-Length`` before the other headers, so a Flask
receiver cannot tell whether the sandbox sent them in WooCommerce's order; ``http.server`` keeps
the raw order. Used by the sandbox tests as a webhook ``delivery_url`` and wc-auth ``callback_url``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Hit:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Receiver:
    """Serve on 127.0.0.1 (TLS when given an ``ssl.SSLContext``); answer ``status`` to POSTs."""

    def __init__(self, ssl_context=None, status: int | Callable[[Hit], int] = 200):
        self.hits: list[Hit] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                hit = Hit("POST", self.path, list(self.headers.items()), self.rfile.read(length))
                receiver.hits.append(hit)
                status = receiver.status(hit) if callable(receiver.status) else receiver.status
                body = b'{"ok":true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
