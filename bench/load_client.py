"""The HTTP side of bench/load.py: shoppers' availability reads and merchants' admin sessions.

Runs in a process of its own, so that its timings do not share a GIL with the sandboxes in the
bench's process. Reads a JSON plan on stdin, paces every connection to a fixed rate from
``start`` (wall clock) for ``seconds``, and writes one JSON summary per surface on stdout.
Only ever talks to 127.0.0.1.

Shoppers: each connection is one browser (keep-alive) that remembers the ETag of every answer
and revalidates with ``If-None-Match``, as a browser does once ``max-age`` has passed.
Merchants: Shopify sessions load the embedded admin page with the query Shopify signs (HMAC),
then call the JSON API with an App Bridge session token (HS256 JWT, renewed each minute);
WooCommerce sessions call the API with the panel token their panel page carried.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlencode

SHOPIFY_HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbWlycm9y"  # base64 "admin.shopify.com/store/…"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Tally:
    """What one surface's connections saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors: list[str] = []  # no answer (refused, reset, …): not timeouts
        self.wrong: list[str] = []  # answered 200 with something else than the surface serves
        self.by_path: dict[str, list[float]] = {}
        self.timeouts = self.late = self.reconnects = 0

    def add(self, status: int, seconds: float, key: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds * 1000)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            if key:
                self.by_path.setdefault(key, []).append(seconds * 1000)

    def wrong_answer(self, message: str) -> None:
        with self.lock:
            self.wrong.append(message)

    def summary(self) -> dict:
        bad = sum(n for s, n in self.statuses.items() if not 200 <= int(s) < 400)
        return {
            "requests": len(self.latencies) + self.timeouts + len(self.errors),
            "answered": len(self.latencies),
            "p50": percentile(self.latencies, 0.50),
            "p99": percentile(self.latencies, 0.99),
            "max": max(self.latencies, default=0.0),
            "statuses": self.statuses,
            "non2xx3xx": bad,
            "timeouts": self.timeouts,
            "errors": len(self.errors) + len(self.wrong),
            "error_samples": (self.errors + self.wrong)[:5],
            "slowest": sorted(
                ([k, percentile(v, 0.99), max(v)] for k, v in self.by_path.items()),
                key=lambda row: -row[1],
            )[:2],
            "late": self.late,
            "reconnects": self.reconnects,
        }


class Connection:
    """One keep-alive connection; a request on a connection the server closed meanwhile is
    sent again once on a new one (as browsers do), anything else is counted."""

    def __init__(self, port: int, timeout: float, tally: Tally):
        self.port, self.timeout, self.tally = port, timeout, tally
        self.conn: http.client.HTTPConnection | None = None

    def request(self, path: str, headers: dict, key=None) -> tuple[int | None, dict, bytes]:
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
            except TimeoutError:
                self.close()
                with self.tally.lock:
                    self.tally.timeouts += 1
                return None, {}, b""
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                self.close()
                if reused and attempt == 1:
                    with self.tally.lock:
                        self.tally.reconnects += 1
                    continue
                return self._failed(f"{type(e).__name__}: {e}")
            except (OSError, http.client.HTTPException) as e:
                self.close()
                return self._failed(f"{type(e).__name__}: {e}")
            self.tally.add(response.status, time.perf_counter() - started, key)
            if response.will_close:
                self.close()
            return response.status, dict(response.getheaders()), body
        return None, {}, b""

    def _failed(self, message: str):
        with self.tally.lock:
            self.tally.errors.append(message)
        return None, {}, b""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def paced(start: float, stop: float, interval: float, offset: float, tally: Tally, step) -> None:
    """Call ``step`` every ``interval`` seconds from ``start + offset`` until ``stop``."""
    due = start + offset
    limit = int((stop - start) / interval) + 2  # bounded by count as well as by time
    for _ in range(limit):
        now = time.time()
        if due >= stop or now >= stop:
            return
        if due > now:
            time.sleep(due - now)
        elif now - due > interval:
            with tally.lock:
                tally.late += 1  # the connection could not keep its rate (previous answer slow)
        step()
        due += interval


def shopper(plan: dict, k: int, tally: Tally, extra: dict) -> None:
    cfg = plan["storefront"]
    conn = Connection(plan["port"], plan["timeout"], tally)
    etags: dict[str, str] = {}
    urls = cfg["urls"]
    i = k * 7919

    def step():
        nonlocal i
        i += 1
        path, origin = urls[i % len(urls)]
        headers = {"Origin": origin, "Accept": "application/json"}
        if path in etags:
            headers["If-None-Match"] = etags[path]
        status, got, body = conn.request(path, headers)
        if status in (200, 304) and got.get("Access-Control-Allow-Origin") != origin:
            tally.wrong_answer(f"no CORS for {origin}")  # the browser would drop the answer
        if status == 200 and body.startswith(b"{") and got.get("ETag"):
            etags[path] = got["ETag"]
        elif status == 200:
            tally.wrong_answer(f"{path}: {body[:60]!r}")
        elif status == 304:
            with tally.lock:
                extra["not_modified"] = extra.get("not_modified", 0) + 1

    interval = cfg["connections"] / cfg["rate"]
    offset = interval * k / cfg["connections"]
    try:
        paced(plan["start"], plan["start"] + plan["seconds"], interval, offset, tally, step)
    finally:
        conn.close()


def shopify_query(shop: str, secret: str) -> str:
    """The query Shopify appends when it opens an embedded app: sorted ``k=v`` pairs joined
    with ``&``, signed hex HMAC-SHA256 with the app secret."""
    params = {"embedded": "1", "host": SHOPIFY_HOST, "shop": shop}
    params["timestamp"] = str(int(time.time()))
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["hmac"] = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode(params)


def session_token(shop: str, api_key: str, secret: str) -> str:
    import jwt

    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key}
    claims |= {"sub": "1", "exp": now + 60, "nbf": now - 1, "iat": now, "jti": str(now)}
    return jwt.encode(claims, secret, algorithm="HS256")


def merchant(plan: dict, k: int, tally: Tally, extra: dict) -> None:
    cfg = plan["admin"]
    shop, key, secret = cfg["shop"], cfg["api_key"], cfg["api_secret"]
    conn = Connection(plan["port"], plan["timeout"], tally)
    # A session: Shopify's page then its API calls, then WooCommerce's API calls; connections
    # start at different points of it.
    steps = [("page", None)] + [("shopify", p) for p in cfg["paths"]]
    steps += [("woocommerce", p) for p in cfg["paths"]]
    i = k * len(steps) // max(1, cfg["connections"])
    token = {"value": session_token(shop, key, secret), "at": time.time()}

    def step():
        nonlocal i
        kind, path = steps[i % len(steps)]
        i += 1
        if time.time() - token["at"] > 50:  # App Bridge fetches a fresh token every minute
            token.update(value=session_token(shop, key, secret), at=time.time())
        if kind == "page":
            query = shopify_query(shop, secret)
            status, _, body = conn.request(f"/admin/shopify?{query}", {}, "/admin/shopify")
            if status == 200 and b'name="stockguard-token"' not in body:
                tally.wrong_answer("admin page without its panel token")
            return
        bearer = token["value"] if kind == "shopify" else cfg["woo_token"]
        status, _, body = conn.request(path, {"Authorization": f"Bearer {bearer}"}, path)
        if status == 200 and not body.startswith((b"{", b"[")):
            tally.wrong_answer(f"{path}: not JSON")

    interval = cfg["connections"] / cfg["rate"]
    offset = interval * k / cfg["connections"]
    try:
        paced(plan["start"], plan["start"] + plan["seconds"], interval, offset, tally, step)
    finally:
        conn.close()


def main() -> None:
    plan = json.loads(sys.stdin.read())
    results = {}
    threads = []
    for name, target in (("storefront", shopper), ("admin", merchant)):
        if not plan[name]["rate"]:
            continue
        tally, extra = Tally(), {}
        results[name] = (tally, extra)
        for k in range(plan[name]["connections"]):
            threads.append(threading.Thread(target=target, args=(plan, k, tally, extra)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {name: tally.summary() | extra for name, (tally, extra) in results.items()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
