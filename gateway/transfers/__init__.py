"""Transfers: the chain facts as stored (chain_transfers, chain_cursors, chain_blocks).

    models.py    transfer statuses and dispositions
    queries.py   the SQL (the only writer of those tables)
    store.py     transfers stored once, cursors, recent block hashes, finality, reorg removal,
                 the lifecycle's classification (disposition, value)
    sink.py      the one fact sink the watchers emit into
"""
