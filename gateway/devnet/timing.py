"""Devnet timing settings: parsed here so config.py stays a list of fields.

anvil derives its `safe` and `finalized` block tags from `--slots-in-an-epoch` (S):
`safe = latest - S` and `finalized = latest - 2*S` (checked against anvil 1.7.1; 0 makes both
equal `latest`). We configure the finality depth in blocks, which must therefore be even.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MIN_BLOCK_TIME = Decimal("0.05")
MAX_BLOCK_TIME = Decimal("60")
MAX_FINALITY_BLOCKS = 1024


def parse_block_time(raw: str) -> Decimal:
    """Seconds between anvil blocks (anvil accepts fractions such as 0.2)."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError(f"must be a number of seconds, got {raw!r}") from None
    if not value.is_finite() or not MIN_BLOCK_TIME <= value <= MAX_BLOCK_TIME:
        raise ValueError(f"must be between {MIN_BLOCK_TIME} and {MAX_BLOCK_TIME} seconds, "
                         f"got {raw!r}")
    return value


def parse_finality_blocks(raw: str) -> int:
    """Blocks between `latest` and `finalized`; even, because anvil's step is 2 per slot."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"must be an even integer, got {raw!r}") from None
    if not 0 <= value <= MAX_FINALITY_BLOCKS or value % 2:
        raise ValueError(f"must be an even integer between 0 and {MAX_FINALITY_BLOCKS}, "
                         f"got {raw!r}")
    return value


def slots_in_an_epoch(finality_blocks: int) -> int:
    """anvil's `--slots-in-an-epoch` for a finality depth (finalized = latest - 2*slots)."""
    return finality_blocks // 2


def block_time_arg(block_time: Decimal) -> str:
    """The block time as anvil's command line wants it: plain digits, no exponent."""
    return format(block_time.normalize(), "f")
