"""Chain watchers: BNB Chain (bsc/) and Solana (solana/) on shared parts.

    bsc/          the BNB Chain watcher (watcher.py, scan.py, evm.py)
    solana/       the Solana watcher (watcher.py, follow.py, rpc.py, tx.py, match.py, setup.py)
    rpc.py        JSON-RPC transport (web3 AsyncHTTPProvider): timeouts, retries, error mapping
    models.py     DetectedTransfer, BlockRef
    facts.py      Facts (what a watcher emits) and the FactSink they go to
    queries.py    the watched set's SQL (open and monitored invoices)
    watched.py    the in-memory watched set, refreshed by LISTEN ccp_events
    recent.py     transfers of the last N scanned blocks, for addresses announced late
    leader.py     one active watcher per chain (advisory lock)
    settings.py   configuration (imported by gateway.config: keep this package light)

Running them (`python -m gateway watch`, `setup(app)`) is gateway.pipeline; what they
report is stored by gateway.transfers. See docs/watchers.md.
"""
