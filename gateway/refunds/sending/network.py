"""What the sender needs from a chain: build a refund's transaction, check signed bytes,
broadcast them and tell how the transaction ended. One implementation per chain
(sending.bsc, sending.solana)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gateway.refunds.models import Refund
from gateway.refunds.sending.queries import RefundTransaction


class Status(StrEnum):
    PENDING = "pending"  # the chain has it, not final yet
    FINAL = "final"      # final and succeeded
    FAILED = "failed"    # final and reverted / failed
    UNKNOWN = "unknown"  # the chain does not know it (not yet broadcast, or dropped)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    fee_units: int = 0  # native units the sending wallet paid beyond the refund itself
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Built:
    """An unsigned transaction and what it was built against."""

    unsigned: bytes
    nonce: int | None = None                    # BNB Chain
    recent_blockhash: str | None = None         # Solana
    last_valid_block_height: int | None = None  # Solana


class Network(Protocol):
    chain: str

    async def next_nonce(self, address: str) -> int | None:
        """The chain's next nonce for `address` (pending included); None where no nonces."""
        ...

    async def build(self, refund: Refund, from_address: str, nonce: int | None) -> Built: ...

    def verify(self, unsigned: bytes, signed: bytes, expected_signer: str) -> str:
        """The transaction hash when `signed` is exactly `unsigned` signed by
        `expected_signer`; raises SignatureRefused otherwise."""
        ...

    async def broadcast(self, tx: RefundTransaction) -> None:
        """Send the stored signed bytes; raises RpcError when the node refused them."""
        ...

    async def outcome(self, tx: RefundTransaction, refund: Refund) -> Outcome: ...

    async def expired(self, tx: RefundTransaction) -> bool:
        """Whether the transaction can never land any more (a Solana blockhash past its
        last valid block height); never for a BNB Chain nonce."""
        ...

    async def close(self) -> None: ...
