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


@dataclass(frozen=True, slots=True)
class Shortfall:
    """The refund wallet cannot pay a refund: it holds `held` base units of `asset_id` where
    the refund needs `needed` (the refunded units, or the native coin for the network fee)."""

    asset_id: str
    needed: int
    held: int

    @property
    def detail(self) -> str:
        return (f"the refund wallet holds {self.held} base units of {self.asset_id}, "
                f"needs {self.needed}")


class Network(Protocol):
    chain: str

    async def next_nonce(self, address: str) -> int | None:
        """The chain's next nonce for `address` (pending included); None where no nonces."""
        ...

    async def build(self, refund: Refund, from_address: str, nonce: int | None) -> Built: ...

    async def shortfall(self, refund: Refund, from_address: str,
                        tx: RefundTransaction | None) -> Shortfall | None:
        """What `from_address` lacks to pay `refund` (the token, or the native coin for the
        value and fee): of the stored transaction `tx`, else of the one it would build now;
        None when it can pay."""
        ...

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

    async def stale_height(self, tx: RefundTransaction) -> int | None:
        """The cluster's block height when `tx` can no longer be accepted (a Solana
        blockhash past its last valid block height at `confirmed`), else None: signed bytes
        of it are refused before anything is stored. Never on BNB Chain."""
        ...

    async def close(self) -> None: ...
