"""The in-process scheduler: periodic jobs when running on one machine without Redis.

At scale ``rq cron sync/cron.py`` does the same with RQ.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

# (job function, seconds between runs)
PERIODIC: list[tuple[str, int]] = [("sweep_inbox", 60)]


def start_in_process_scheduler(app) -> threading.Thread:
    from sync import jobs as job_functions
    from sync.queue import jobs

    stop = threading.Event()
    app.extensions["scheduler_stop"] = stop

    def loop(name: str, every: int) -> None:
        while not stop.wait(every):
            with app.app_context():
                jobs.enqueue(getattr(job_functions, name), job_id=f"periodic-{name}")

    threads = []
    for name, every in PERIODIC:
        thread = threading.Thread(target=loop, args=(name, every), daemon=True, name=f"cron-{name}")
        thread.start()
        threads.append(thread)
    log.info("in-process scheduler started: %s", ", ".join(n for n, _ in PERIODIC))
    return threads[0]
