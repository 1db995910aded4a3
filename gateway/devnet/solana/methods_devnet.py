"""Devnet-only controls (no Solana cluster serves them): forks on purpose, for tests.

    devnetSnapshot []        -> id    remember this point of the chain
    devnetRevert   [id]      -> true  fork from there: later transactions and slots are gone

Like anvil's evm_snapshot / evm_revert on the BNB Chain devnet: a revert below the finalized
slot makes the fork a real cluster almost never makes, the one a watcher must halt on.
"""

from __future__ import annotations

from typing import Any

from gateway.devnet.solana.errors import InvalidParams
from gateway.devnet.solana.ledger import Ledger
from gateway.devnet.solana.params import Params


def devnet_snapshot(ledger: Ledger, params: Params) -> Any:
    return ledger.snapshot()


def devnet_revert(ledger: Ledger, params: Params) -> Any:
    snapshot_id = params.integer(0, "snapshot")
    if snapshot_id >= len(ledger.snapshots):
        raise InvalidParams(f"Invalid params: no snapshot {snapshot_id}")
    ledger.revert(snapshot_id)
    return True


METHODS = {
    "devnetSnapshot": devnet_snapshot,
    "devnetRevert": devnet_revert,
}
