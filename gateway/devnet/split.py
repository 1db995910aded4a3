"""Splitting one payment into several transfers: shared by the BNB Chain and Solana wallets.

Tests use split payments to check that the watchers add up partial transfers exactly, so the
parts are all positive and sum to the total with no lost base unit.
"""

from __future__ import annotations

from gateway.devnet.errors import PaymentFailed


def split_units(total: int, parts: int) -> list[int]:
    """`parts` positive amounts summing exactly to `total` (the remainder on the first ones)."""
    if parts < 1:
        raise PaymentFailed(f"split must be at least 1, got {parts}")
    if total < parts:
        raise PaymentFailed(f"cannot split {total} base units into {parts} positive transfers")
    base, remainder = divmod(total, parts)
    return [base + 1 if i < remainder else base for i in range(parts)]
