"""`GET /metrics` in the Prometheus text format (prometheus-client).

    instruments.py  process-wide instruments: HTTP requests and latency, webhook attempts
    http.py         the middleware that times every request by its route's canonical path
    queries.py      the SQL read at scrape time (chain status, open invoices, webhook queue,
                    stranded amounts)
    service.py      the scrape-time collector fed from those reads
    routes.py       the endpoint and setup(app)

See docs/watchers.md ("Chain status") and docs/api.md ("Chain status").
"""

from gateway.metrics.routes import setup

__all__ = ["setup"]
