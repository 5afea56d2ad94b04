"""One job queue, two backends: Redis + RQ workers at scale, an in-process runner on one machine.

Both run the same job functions from ``sync.jobs``; callers use ``jobs.enqueue`` and never know
which backend is underneath.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable

log = logging.getLogger(__name__)

# Seconds between attempts of a failing job: ~15 min in all, then it is left FAILED for the
# sweeper and the merchant to see.
RETRY_INTERVALS = (1, 5, 30, 120, 600)


class RQBackend:
    def __init__(self, redis_url: str, queue_name: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.redis)

    def _coalesce(self, job_id: str | None) -> tuple[bool, str | None]:
        """(skip, id to use): a job waiting under ``job_id`` absorbs this one; a job running
        under it must not be overwritten, so the new one gets its own id."""
        if job_id is None:
            return False, None
        status, origin = self.redis.hmget(f"rq:job:{job_id}", "status", "origin")
        if origin is not None and origin.decode() != self.queue.name:
            return False, job_id  # a leftover of another queue: ours replaces it
        if status in (b"queued", b"scheduled", b"deferred"):
            return True, job_id
        if status == b"started":
            return False, f"{job_id}-{uuid.uuid4().hex[:8]}"
        return False, job_id

    def enqueue(
        self, func: Callable, *args, job_id: str | None = None, fresh: bool = False
    ) -> None:
        from rq import Queue, Retry

        if not fresh:
            skip, job_id = self._coalesce(job_id)
            if skip:
                return
        data = Queue.prepare_data(
            func,
            args,
            job_id=job_id,
            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            result_ttl=300,
            failure_ttl=7 * 24 * 3600,
        )
        # enqueue_many on our own pipeline: the job and its queue entry in one round trip
        # (plain enqueue takes two), which matters on the webhook acknowledgement path.
        with self.redis.pipeline() as pipe:
            self.queue.enqueue_many([data], pipeline=pipe)
            pipe.execute()

    def enqueue_in(self, seconds: float, func: Callable, *args, job_id: str | None = None) -> None:
        """Run later (RQ's scheduler, in the workers). Same job id: rescheduled, not doubled."""
        import datetime as dt

        from rq import Retry

        skip, job_id = self._coalesce(job_id)
        if skip:
            return
        self.queue.enqueue_in(
            dt.timedelta(seconds=seconds),
            func,
            *args,
            job_id=job_id,
            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            result_ttl=300,
            failure_ttl=7 * 24 * 3600,
        )

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued, scheduled or running (for tests and the CLI)."""
        from rq import Worker
        from rq.registry import ScheduledJobRegistry

        scheduled = ScheduledJobRegistry(queue=self.queue)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = any(w.get_state() == "busy" for w in Worker.all(queue=self.queue))
            if self.queue.count == 0 and scheduled.count == 0 and not busy:
                return True
            time.sleep(0.05)
        return False


class InProcessBackend:
    """A worker thread inside the web process; same functions, same retries, no Redis."""

    def __init__(self, app, retry_intervals=RETRY_INTERVALS):
        self.app = app
        self.retry_intervals = retry_intervals
        self._queue: queue.Queue = queue.Queue()
        self._pending: set[str] = set()
        self._delayed: set[str] = set()
        self._lock = threading.Lock()
        self._busy = 0
        self._timers = 0
        self._thread = threading.Thread(target=self._run, name="stockguard-jobs", daemon=True)
        self._thread.start()

    def enqueue(
        self,
        func: Callable,
        *args,
        job_id: str | None = None,
        attempt: int = 0,
        fresh: bool = False,
    ) -> None:
        with self._lock:
            if job_id is not None and attempt == 0:
                if job_id in self._pending:
                    return  # coalesced with the copy already waiting
                self._pending.add(job_id)
            self._busy += 1
        self._queue.put((func, args, job_id, attempt))

    def enqueue_in(self, seconds: float, func: Callable, *args, job_id: str | None = None) -> None:
        with self._lock:
            if job_id is not None:
                if job_id in self._delayed:
                    return  # already due soon: coalesced
                self._delayed.add(job_id)
            self._timers += 1

        def fire():
            with self._lock:
                self._timers -= 1
                self._delayed.discard(job_id)
            self.enqueue(func, *args, job_id=job_id)

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()

    def _run(self) -> None:
        while True:
            func, args, job_id, attempt = self._queue.get()
            with self._lock:
                self._pending.discard(job_id)
            try:
                with self.app.app_context():
                    func(*args)
            except Exception:  # the job recorded its own failure; schedule the retry
                if attempt < len(self.retry_intervals):
                    delay = self.retry_intervals[attempt]
                    log.warning(
                        "job %s failed (attempt %d); retry in %ss",
                        func.__name__,
                        attempt + 1,
                        delay,
                    )
                    self._retry_later(delay, func, args, job_id, attempt + 1)
                else:
                    log.exception(
                        "job %s failed for good after %d attempts", func.__name__, attempt + 1
                    )
            finally:
                with self._lock:
                    self._busy -= 1

    def _retry_later(self, delay, func, args, job_id, attempt) -> None:
        with self._lock:
            self._timers += 1

        def fire():
            with self._lock:
                self._timers -= 1
            self.enqueue(func, *args, job_id=job_id, attempt=attempt)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timer.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0 and self._timers == 0:
                    return True
            time.sleep(0.01)
        return False


_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe_job_id(job_id: str | None) -> str | None:
    """RQ accepts letters, digits, ``_`` and ``-`` only (ids often embed platform gids)."""
    return None if job_id is None else _JOB_ID_UNSAFE.sub("_", job_id)[:200]


class JobQueue:
    """The app's queue; ``init_app`` picks the backend from ``REDIS_URL``.

    The backend lives on the app (``app.extensions``), so several apps in one process (tests)
    each keep their own.
    """

    def init_app(self, app) -> None:
        if app.config.get("REDIS_URL"):
            backend = RQBackend(app.config["REDIS_URL"], app.config["RQ_QUEUE"])
        else:
            backend = InProcessBackend(app, app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
        app.extensions["jobs"] = backend

    @property
    def backend(self) -> RQBackend | InProcessBackend:
        from flask import current_app

        return current_app.extensions["jobs"]

    def enqueue(
        self, func: Callable, *args, job_id: str | None = None, fresh: bool = False
    ) -> None:
        """Queue ``func(*args)``. A job already waiting under ``job_id`` absorbs this one;
        ``fresh`` skips that check for ids that cannot exist yet (the webhook hot path)."""
        self.backend.enqueue(func, *args, job_id=safe_job_id(job_id), fresh=fresh)

    def enqueue_in(self, seconds: float, func: Callable, *args, job_id: str | None = None) -> None:
        job_id = safe_job_id(job_id)
        if seconds <= 0:
            self.backend.enqueue(func, *args, job_id=job_id)
        else:
            self.backend.enqueue_in(seconds, func, *args, job_id=job_id)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.backend.wait_idle(timeout)


jobs = JobQueue()
