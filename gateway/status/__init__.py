"""Chain status: is each chain watched and current (`live`), behind (`lagging`) or stopped on
a broken invariant (`halted`)?

    queries.py   the SQL of chain_status and chain_vanished_transfers (0035_chain_status.sql)
    service.py   the state rules, the in-process cache invoice creation reads
    monitor.py   the active watcher's heartbeat, the halt and the wait for a resync
    resync.py    `python -m gateway chains resync`: the operator's way back from a halt
    routes.py    `GET /v1/status` (public)

See docs/watchers.md ("Chain status").
"""

from gateway.status.routes import setup

__all__ = ["setup"]
