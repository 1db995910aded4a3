"""Offline signing (REFUND_SIGNER=offline): the hand-off between the gateway and the operator.

The sender builds each refund's unsigned transaction and stores it (refund_transactions,
status `built`). The operator reads it (`unsigned_transaction`: the CLI `python -m gateway
refunds unsigned <rfd_id>`, the console), signs it with the refund wallet's key elsewhere and
hands the signed bytes back (`submit_signed`: `python -m gateway refunds submit <rfd_id>
<signed>`, the console). They are accepted only when they are exactly the built transaction
signed by the expected key; then they are stored and booked (outcomes.on_signed) in one
transaction, and the sender broadcasts them on its next pass.

What the operator must know: a BNB Chain transaction holds its nonce from the moment it is
built, so later refunds from the same wallet queue behind an unsigned one (sign them in
order). A Solana message carries a recent blockhash and is valid until its
`last_valid_block_height` (about a minute on mainnet): signed bytes of it submitted after
that are refused with `blockhash_expired` (nothing is stored: they can never land), and once
the finalized height is past it the sender builds a new message to sign instead.

Formats: BNB Chain hex (`0x` optional) of the EIP-155 signing payload / the signed raw
transaction; Solana base64 of the legacy message / the signed transaction (hex accepted).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.refunds.models import Refund
from gateway.refunds.sending import bsc, outcomes, queries, solana
from gateway.refunds.sending.errors import (
    BlockhashExpired,
    NotAwaitingSignature,
    SignatureRefused,
)
from gateway.refunds.sending.network import Network
from gateway.refunds.sending.queries import RefundTransaction
from settlement.db import Conn


@dataclass(frozen=True, slots=True)
class UnsignedRefund:
    """What the operator signs."""

    refund_id: str
    chain: str
    signer: str  # the address that must sign
    unsigned: bytes
    nonce: int | None
    last_valid_block_height: int | None  # Solana: sign and submit before this block height

    @property
    def text(self) -> str:
        """The unsigned bytes as the CLI prints them (hex on BNB Chain, base64 on Solana)."""
        if self.chain == bsc.CHAIN:
            return "0x" + self.unsigned.hex()
        return base64.b64encode(self.unsigned).decode()

    def as_json(self) -> dict[str, Any]:
        """What the CLI prints and the admin API answers."""
        return {"refund": self.refund_id, "chain": self.chain, "signer": self.signer,
                "nonce": self.nonce, "last_valid_block_height": self.last_valid_block_height,
                "fields": self.fields(), "unsigned": self.text}

    def fields(self) -> dict[str, Any]:
        """The BNB Chain transaction's fields (for wallets that sign fields, not bytes)."""
        if self.chain != bsc.CHAIN:
            return {}
        fields = bsc.decode_unsigned(self.unsigned)
        return {**fields, "data": "0x" + fields["data"].hex()}


def _decode(chain: str, text: str) -> bytes:
    raw = text.strip()
    try:
        if chain == bsc.CHAIN or raw.startswith("0x"):
            return bytes.fromhex(raw.removeprefix("0x"))
        return base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SignatureRefused(f"the signed transaction is not valid "
                               f"{'hex' if chain == bsc.CHAIN else 'base64'}") from exc


def verify(tx: RefundTransaction, signed: bytes) -> str:
    """The hash of `signed` when it is `tx`'s unsigned transaction signed by its sender."""
    if tx.chain == bsc.CHAIN:
        return bsc.verify_signed(tx.unsigned_tx, signed, tx.from_address)
    return solana.verify_signed(tx.unsigned_tx, signed, tx.from_address)


async def _awaiting(conn: Conn, refund_id: str) -> RefundTransaction:
    tx = await queries.live_transaction(conn, refund_id)
    if tx is None or tx.status != "built":
        raise NotAwaitingSignature(
            f"refund {refund_id} has no transaction waiting for a signature"
            + ("" if tx is None else f" (its transaction is {tx.status})"))
    return tx


async def current_transaction(conn: Conn, refund_id: str) -> RefundTransaction | None:
    """The refund's live transaction (built, signed, broadcast or final) for the console to
    show: its status, hash, nonce or blockhash; None before the sender built one."""
    return await queries.live_transaction(conn, refund_id)


async def _fresh(tx: RefundTransaction, networks: Mapping[str, Network]) -> None:
    """BlockhashExpired when `tx` can no longer land: its replacement is the sender's."""
    height = await networks[tx.chain].stale_height(tx)
    if height is not None:
        raise BlockhashExpired(
            f"the transaction built for refund {tx.refund_id} expired: its blockhash was "
            f"valid up to block height {tx.last_valid_block_height} and the cluster is at "
            f"{height}, so it can never land. Nothing was stored. The sender builds a new "
            f"one (with a new blockhash) within seconds: fetch it again and sign that")


async def _not_of_a_replaced_one(conn: Conn, tx: RefundTransaction, signed: bytes) -> None:
    """BlockhashExpired when `signed` signs a transaction of the refund that expired and was
    replaced since: the operator signed too late, not the wrong thing."""
    for old in await queries.replaced_transactions(conn, tx.refund_id):
        try:
            verify(old, signed)
        except SignatureRefused:
            continue
        raise BlockhashExpired(
            f"the signed transaction is the one built for refund {tx.refund_id} with a "
            f"blockhash valid up to block height {old.last_valid_block_height}: it expired "
            f"and can never land. Nothing was stored. The sender built a new one (with a new "
            f"blockhash): fetch it again and sign that")


def _handoff(tx: RefundTransaction) -> UnsignedRefund:
    return UnsignedRefund(tx.refund_id, tx.chain, tx.from_address, tx.unsigned_tx, tx.nonce,
                          tx.last_valid_block_height)


async def built_transaction(conn: Conn, refund_id: str) -> UnsignedRefund:
    """The built transaction waiting for `refund_id`'s signature, unchecked against the
    chain (NotAwaitingSignature when there is none)."""
    return _handoff(await _awaiting(conn, refund_id))


async def unsigned_transaction(conn: Conn, refund_id: str, *,
                               networks: Mapping[str, Network]) -> UnsignedRefund:
    """The transaction the operator is to sign for `refund_id` (NotAwaitingSignature when the
    sender has not built one yet, or it is signed already; BlockhashExpired when it expired
    and waits to be rebuilt)."""
    tx = await _awaiting(conn, refund_id)
    await _fresh(tx, networks)
    return _handoff(tx)


async def submit_signed(conn: Conn, refund_id: str, signed_text: str, *,
                        networks: Mapping[str, Network]) -> Refund:
    """Accept the operator's signed bytes for `refund_id` (SignatureRefused when they are not
    exactly the built transaction signed by the refund wallet; BlockhashExpired when its
    Solana blockhash expired: nothing is stored, the bytes can never land, and the sender
    replaces the transaction); stored and booked at once."""
    async with conn.transaction():
        row = await queries.refund_for_update(conn, refund_id)
        tx = await _awaiting(conn, refund_id)
        signed = _decode(tx.chain, signed_text)
        try:
            tx_hash = verify(tx, signed)
        except SignatureRefused:
            await _not_of_a_replaced_one(conn, tx, signed)
            raise
        await _fresh(tx, networks)
        await queries.store_signed(conn, tx.id, signed, tx_hash)
        if row is None or row["tx_hash"] is None:
            return await outcomes.on_signed(conn, refund_id=refund_id, tx_hash=tx_hash)
        return await outcomes.on_resigned(conn, refund_id=refund_id, tx_hash=tx_hash)
