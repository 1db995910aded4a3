"""Chain watchers: BNB Chain (bsc.py) and Solana (solana.py) on shared parts.

    rpc.py        JSON-RPC transport (web3 AsyncHTTPProvider): timeouts, retries, error mapping
    evm.py        parsers of EVM blocks and Transfer logs
    bsc_scan.py   reading BNB Chain block ranges (RPC only)
    bsc.py        the BNB Chain watcher loop (cursor, reorgs, finality)
    models.py     DetectedTransfer, transfer statuses, BlockRef
    store/        transfers stored once, cursors, recent block hashes (PostgreSQL)
    watched.py    the in-memory watched set, refreshed by LISTEN ccp_events
    recent.py     transfers of the last N scanned blocks, for addresses announced late
    leader.py     one active watcher per chain (advisory lock)
    runner.py     `python -m gateway watch --chain ...` and `setup(app)`
    settings.py   configuration (imported by gateway.config: keep this package light)

See docs/watchers.md.
"""
