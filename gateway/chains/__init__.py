"""Chain watchers: BNB Chain (bsc/) and Solana (solana/) on shared parts.

    bsc/          the BNB Chain watcher (watcher.py, scan.py, evm.py)
    solana/       the Solana watcher (watcher.py, follow.py, rpc.py, tx.py, match.py, setup.py)
    rpc.py        JSON-RPC transport (web3 AsyncHTTPProvider): timeouts, retries, error mapping
    models.py     DetectedTransfer, transfer statuses, BlockRef
    store/        transfers stored once, cursors, recent block hashes (PostgreSQL)
    watched.py    the in-memory watched set, refreshed by LISTEN ccp_events
    recent.py     transfers of the last N scanned blocks, for addresses announced late
    leader.py     one active watcher per chain (advisory lock)
    runner.py     `python -m gateway watch --chain ...` and `setup(app)`
    settings.py   configuration (imported by gateway.config: keep this package light)

See docs/watchers.md.
"""
