"""The Solana watcher: watcher.py (the loop), follow.py (signature history per followed
account), rpc.py (JSON-RPC client), tx.py (parsed transactions), match.py (payments in a
transaction, matched by reference key), queries.py, setup.py (building it from settings)."""
