"""Plumbing shared by the sandboxes: a test certificate authority, threaded servers, a CONNECT proxy.

Shopify is only reachable at ``https://{shop}.myshopify.com``; the ShopifyAPI library hard-codes
that URL. Rather than bending production code, tests route those hostnames through a loopback
forward proxy (``HTTPS_PROXY``) to a sandbox that presents a certificate signed by a throwaway CA
(``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``). Production code talks TLS to the real hostname,
exactly as it would in a store.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import select
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import BaseWSGIServer, make_server

# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class TestPKI:
    """Files of a throwaway CA and one leaf certificate it signed."""

    ca_cert: Path
    cert: Path
    key: Path
    bundle: Path  # the CA appended to the system bundle: what SSL_CERT_FILE points at

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.bundle))


DEFAULT_NAMES = ("localhost", "*.myshopify.com", "myshopify.com", "127.0.0.1", "::1")


def make_pki(directory: str | os.PathLike, names: tuple[str, ...] = DEFAULT_NAMES) -> TestPKI:
    """Create (or reuse) a CA and a leaf certificate valid for ``names`` in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pki = TestPKI(
        ca_cert=directory / "ca.pem",
        cert=directory / "server.pem",
        key=directory / "server-key.pem",
        bundle=directory / "bundle.pem",
    )
    if all(p.exists() for p in (pki.ca_cert, pki.cert, pki.key, pki.bundle)):
        return pki

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "StockGuard sandbox CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    pki.ca_cert.write_bytes(ca_pem)
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    system = b""
    try:
        import certifi

        system = Path(certifi.where()).read_bytes()
    except ImportError:  # pragma: no cover - certifi ships with requests
        pass
    pki.bundle.write_bytes(system + b"\n" + ca_pem)
    return pki


# --------------------------------------------------------------------------- servers


class Dispatcher:
    """A WSGI app to serve from one long-lived server while each test plugs its own in
    (``target``); starting and stopping a TLS server per test costs ~0.5 s each."""

    def __init__(self) -> None:
        self.target = None

    def __call__(self, environ, start_response):
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no sandbox plugged in for this test"]
        return self.target(environ, start_response)


class ServerThread:
    """Serve a WSGI app on loopback in a daemon thread; ``url`` is where it listens."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, ssl_context=None):
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, ssl_context=ssl_context
        )
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _ConnectHandler(socketserver.BaseRequestHandler):
    """Answer ``CONNECT host:443`` by tunnelling to the sandbox that plays that host."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                return
            head += chunk
            if len(head) > 16384:
                return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0].upper() != "CONNECT":
            sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        target = self.server.route(host.lower(), int(port or 443))  # type: ignore[attr-defined]
        if target is None:
            # An unexpected host is a test bug: fail loudly rather than reach the internet.
            msg = f"sandbox proxy: no sandbox plays {parts[1]}".encode()
            sock.sendall(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg)
            )
            return
        upstream = socket.create_connection(target, timeout=10)
        sock.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        _pipe(sock, upstream)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    a.settimeout(None)
    b.settimeout(None)
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 30)
            if not readable:
                return
            for src in readable:
                data = src.recv(65536)
                if not data:
                    return
                (b if src is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes):
        super().__init__(("127.0.0.1", 0), _ConnectHandler)
        self.routes = routes  # list of (host suffix, (ip, port))

    def route(self, host: str, port: int):
        for suffix, target in self.routes:
            if host == suffix or host.endswith("." + suffix):
                return target
        return None


class ConnectProxy:
    """A loopback HTTP CONNECT proxy mapping hostname suffixes to sandbox addresses.

    ``proxy.add_route("myshopify.com", ("127.0.0.1", 8443))`` sends every
    ``*.myshopify.com:443`` tunnel to the Shopify sandbox's TLS port.
    """

    def __init__(self):
        self._routes: list[tuple[str, tuple[str, int]]] = []
        self._server = _ProxyServer(self._routes)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add_route(self, host_suffix: str, target: tuple[str, int]) -> None:
        self._routes.insert(0, (host_suffix.lower(), target))

    def start(self) -> ConnectProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def environ(self, pki: TestPKI) -> dict[str, str]:
        """Environment that routes HTTPS through this proxy and trusts the sandbox CA."""
        no_proxy = "127.0.0.1,localhost,::1"
        return {
            "HTTPS_PROXY": self.url,
            "https_proxy": self.url,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
            "SSL_CERT_FILE": str(pki.bundle),
            "REQUESTS_CA_BUNDLE": str(pki.bundle),
        }
