"""Devnet timing: how the configured block time and finality depth reach anvil.

anvil derives its `safe` and `finalized` block tags from `--slots-in-an-epoch` (S):
`safe = latest - S` and `finalized = latest - 2*S` (checked against anvil 1.7.1; 0 makes both
equal `latest`). We configure the finality depth in blocks, which must therefore be even.
"""

from __future__ import annotations

from decimal import Decimal


def slots_in_an_epoch(finality_blocks: int) -> int:
    """anvil's `--slots-in-an-epoch` for a finality depth (finalized = latest - 2*slots)."""
    return finality_blocks // 2


def block_time_arg(block_time: Decimal) -> str:
    """The block time as anvil's command line wants it: plain digits, no exponent."""
    return format(block_time.normalize(), "f")
