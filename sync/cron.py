"""Scheduled jobs for ``rq cron sync/cron.py`` (one scheduler process per deployment)."""

import os

from rq import cron

from sync.ads.accounts import refresh_linked
from sync.ads.execute import sweep_ads
from sync.alerts import sweep_all as sweep_alerts
from sync.availability import refresh_all
from sync.forecast import forecast_all
from sync.jobs import sweep_inbox
from sync.mirror import sweep_pushes
from sync.reconcile import reconcile_all
from sync.restocks import check_overdue
from sync.visibility import sweep_visibility

QUEUE = os.environ.get("RQ_QUEUE", "stockguard")

cron.register(sweep_inbox, QUEUE, interval=60, name="sweep-inbox")
cron.register(sweep_pushes, QUEUE, interval=60, name="sweep-pushes")
# Webhooks get lost; a full read of every channel every 15 minutes repairs what they missed.
cron.register(reconcile_all, QUEUE, interval=15 * 60, name="reconcile-all")
# Sold-out products whose grace period ran out are hidden (when the merchant opted in).
cron.register(sweep_visibility, QUEUE, interval=60, name="sweep-visibility")
# Late restocks: the merchant is told, shoppers see "back soon" instead of a past date.
cron.register(check_overdue, QUEUE, interval=3600, name="restocks-overdue")
# Alternatives and dates drift as other products move: every store's view again.
cron.register(refresh_all, QUEUE, interval=30 * 60, name="storefront-refresh")
# Ads: holds that ran out, dry runs that ended, actions waiting after a failure or a reconnect.
cron.register(sweep_ads, QUEUE, interval=60, name="sweep-ads")
cron.register(refresh_linked, QUEUE, interval=15 * 60, name="ads-refresh")
# The stockout forecast, nightly (02:30 UTC); large sales refresh single SKUs in between.
cron.register(forecast_all, QUEUE, cron="30 2 * * *", name="forecast-nightly")
# Stock alerts: open, clear, deliver (and retry), and each pool's digest when due.
cron.register(sweep_alerts, QUEUE, interval=5 * 60, name="alerts-sweep")
