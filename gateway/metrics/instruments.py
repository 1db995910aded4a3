"""Instruments counted as things happen in this process (not read from PostgreSQL).

They are registered with no registry here: each app's registry (gateway.metrics.routes)
registers them, so two apps in one process (tests) neither clash nor lose counts.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "ccp_http_requests", "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"], registry=None)
HTTP_LATENCY = Histogram(
    "ccp_http_request_duration_seconds", "HTTP request latency by method and route.",
    ["method", "route"], registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
WEBHOOK_ATTEMPTS = Counter(
    "ccp_webhook_attempts", "Webhook delivery attempts by outcome: delivered, retrying "
    "(failed, another attempt is scheduled) or failed (given up).", ["outcome"], registry=None)

PROCESS_INSTRUMENTS = (HTTP_REQUESTS, HTTP_LATENCY, WEBHOOK_ATTEMPTS)
