"""Scheduled jobs for ``rq cron sync/cron.py`` (one scheduler process per deployment)."""

from rq import cron

from sync.jobs import sweep_inbox

cron.register(sweep_inbox, "stockguard", interval=60, name="sweep-inbox")
