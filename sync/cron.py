"""Scheduled jobs for ``rq cron sync/cron.py`` (one scheduler process per deployment)."""

import os

from rq import cron

from sync.jobs import sweep_inbox
from sync.mirror import sweep_pushes
from sync.reconcile import reconcile_all

QUEUE = os.environ.get("RQ_QUEUE", "stockguard")

cron.register(sweep_inbox, QUEUE, interval=60, name="sweep-inbox")
cron.register(sweep_pushes, QUEUE, interval=60, name="sweep-pushes")
# Webhooks get lost; a full read of every channel every 15 minutes repairs what they missed.
cron.register(reconcile_all, QUEUE, interval=15 * 60, name="reconcile-all")
