"""gunicorn settings for StockGuard. Override any of them on the command line or with
GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# gthread keeps connections alive and overlaps database/Redis waits within a worker. 8 threads:
# with 4, storefront reads at 16 concurrent connections on 2 cores had a longer, jumpier
# latency tail (p99 7-55 ms against 13-20 ms with 8; bench/storefront.py).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# Shopify gives a webhook 5 s; nothing we serve should come near that.
timeout = 30
keepalive = 5
accesslog = None  # the proxy in front logs requests; ours would carry OAuth query strings
errorlog = "-"
