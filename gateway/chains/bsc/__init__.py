"""The BNB Chain watcher: watcher.py (the loop: cursor, reorgs, finality), scan.py (reading
block ranges over RPC), evm.py (parsers of EVM blocks and Transfer logs)."""
