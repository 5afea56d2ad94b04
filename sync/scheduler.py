"""The in-process scheduler: periodic jobs when running on one machine without Redis.

At scale ``rq cron sync/cron.py`` does the same with RQ.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

# (module, job function, seconds between runs): the same list as sync/cron.py
PERIODIC: list[tuple[str, str, int]] = [
    ("sync.jobs", "sweep_inbox", 60),
    ("sync.mirror", "sweep_pushes", 60),
    ("sync.reconcile", "reconcile_all", 15 * 60),
    ("sync.visibility", "sweep_visibility", 60),
    ("sync.restocks", "check_overdue", 60 * 60),
    ("sync.availability", "refresh_all", 30 * 60),
    ("sync.ads.execute", "sweep_ads", 60),
    ("sync.ads.accounts", "refresh_linked", 15 * 60),
    ("sync.forecast", "forecast_all", 24 * 60 * 60),
    ("sync.alerts", "sweep_all", 5 * 60),
]


def start_in_process_scheduler(app) -> threading.Thread:
    from importlib import import_module

    from sync.queue import jobs

    stop = threading.Event()
    app.extensions["scheduler_stop"] = stop

    def loop(func, every: int) -> None:
        while not stop.wait(every):
            with app.app_context():
                jobs.enqueue(func, job_id=f"periodic-{func.__name__}")

    threads = []
    for module, name, every in PERIODIC:
        func = getattr(import_module(module), name)
        thread = threading.Thread(target=loop, args=(func, every), daemon=True, name=f"cron-{name}")
        thread.start()
        threads.append(thread)
    log.info("in-process scheduler started: %s", ", ".join(n for _, n, _ in PERIODIC))
    return threads[0]
