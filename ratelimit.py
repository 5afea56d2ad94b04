"""Fixed-window rate limits per client: in Redis when the deployment has it (shared by every
web process), else in this process's memory (one machine)."""

from __future__ import annotations

import threading
import time

from flask import current_app

MAX_KEYS = 100_000


class RateLimiter:
    def __init__(self, name: str, limit: int, window: int):
        self.name, self.limit, self.window = name, limit, window
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one request for ``key``; seconds to wait when over the limit, else None."""
        if self.limit <= 0:
            return None
        now = time.time()
        window = int(now // self.window)
        retry = int(self.window - now % self.window) + 1
        backend = current_app.extensions.get("jobs")
        redis = getattr(backend, "redis", None)
        if redis is not None:
            name = f"sg:rl:{self.name}:{key}:{window}"
            with redis.pipeline() as pipe:
                pipe.incr(name)
                pipe.expire(name, self.window + 1)
                count = pipe.execute()[0]
            return retry if count > self.limit else None
        with self._lock:
            if len(self._counts) > MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            seen_window, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[key] = (window, count)
        return retry if count > self.limit else None


def limiter(name: str, setting: str, window: int) -> RateLimiter:
    """The app's limiter ``name`` with the limit in config ``setting`` per ``window`` seconds."""
    limiters = current_app.extensions.setdefault("rate_limiters", {})
    limit = current_app.config[setting]
    found = limiters.get(name)
    if found is None or found.limit != limit:
        found = limiters[name] = RateLimiter(name, limit, window)
    return found
