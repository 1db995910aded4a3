"""SQL of the refund sender: its refunds' moves and the refund_transactions / refund_nonces
tables (migration 0095). One async function per query, each taking `conn`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from settlement.db import Conn

REFUNDS_TO_SEND = """
SELECT * FROM refunds WHERE status IN ('sending', 'sent')
   AND (next_check_at IS NULL OR next_check_at <= now())
 ORDER BY status_changed_at, id LIMIT $1
"""
REFUND_FOR_UPDATE = "SELECT * FROM refunds WHERE id = $1 FOR UPDATE"
REFUND_BY_ID = "SELECT * FROM refunds WHERE id = $1"
SET_REFUND_TX_HASH = "UPDATE refunds SET tx_hash = $2 WHERE id = $1 RETURNING *"
MOVE_REFUND = """
UPDATE refunds SET status = $3,
       failure_reason = COALESCE($4, failure_reason),
       network_fee_units = COALESCE($5, network_fee_units),
       pending_reason = NULL, pending_detail = NULL, pending_since = NULL,
       pending_checks = 0, next_check_at = NULL
 WHERE id = $1 AND status = $2
RETURNING *
"""
MARK_UNDERFUNDED = """
UPDATE refunds SET pending_reason = 'insufficient_funds', pending_detail = $2,
       pending_since = COALESCE(pending_since, now()), pending_checks = pending_checks + 1,
       next_check_at = now() + make_interval(secs => $3)
 WHERE id = $1 AND status IN ('sending', 'sent')
RETURNING *
"""
CLEAR_PENDING = """
UPDATE refunds SET pending_reason = NULL, pending_detail = NULL, pending_since = NULL,
       pending_checks = 0, next_check_at = NULL
 WHERE id = $1 AND pending_reason IS NOT NULL
RETURNING *
"""

LIVE_TRANSACTION = """
SELECT * FROM refund_transactions
 WHERE refund_id = $1 AND status IN ('built', 'signed', 'broadcast', 'final')
"""
REPLACED_TRANSACTIONS = """
SELECT * FROM refund_transactions WHERE refund_id = $1 AND status = 'replaced' ORDER BY id
"""
INSERT_TRANSACTION = """
INSERT INTO refund_transactions
    (refund_id, chain, from_address, nonce, recent_blockhash, last_valid_block_height,
     unsigned_tx, signed_tx, tx_hash, status, signed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
        CASE WHEN $8::bytea IS NULL THEN 'built' ELSE 'signed' END,
        CASE WHEN $8::bytea IS NULL THEN NULL ELSE now() END)
RETURNING *
"""
STORE_SIGNED = """
UPDATE refund_transactions SET signed_tx = $2, tx_hash = $3, status = 'signed', signed_at = now()
 WHERE id = $1 AND status = 'built'
RETURNING *
"""
MARK_TRANSACTION = """
UPDATE refund_transactions SET status = $3,
       broadcast_at = CASE WHEN $3 = 'broadcast' THEN now() ELSE broadcast_at END,
       finished_at = CASE WHEN $3 IN ('final', 'failed', 'replaced') THEN now()
                          ELSE finished_at END
 WHERE id = $1 AND status = $2
RETURNING *
"""

ENSURE_NONCE_ROW = """
INSERT INTO refund_nonces (chain, address, next_nonce) VALUES ($1, $2, $3)
ON CONFLICT (chain, address) DO NOTHING
"""
LOCK_NONCE = "SELECT next_nonce FROM refund_nonces WHERE chain = $1 AND address = $2 FOR UPDATE"
SET_NEXT_NONCE = "UPDATE refund_nonces SET next_nonce = $3 WHERE chain = $1 AND address = $2"


@dataclass(frozen=True, slots=True)
class RefundTransaction:
    """One refund_transactions row."""

    id: int
    refund_id: str
    chain: str
    from_address: str
    nonce: int | None
    recent_blockhash: str | None
    last_valid_block_height: int | None
    unsigned_tx: bytes
    signed_tx: bytes | None
    tx_hash: str | None
    status: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> RefundTransaction:
        return cls(id=row["id"], refund_id=row["refund_id"], chain=row["chain"],
                   from_address=row["from_address"], nonce=row["nonce"],
                   recent_blockhash=row["recent_blockhash"],
                   last_valid_block_height=row["last_valid_block_height"],
                   unsigned_tx=bytes(row["unsigned_tx"]),
                   signed_tx=None if row["signed_tx"] is None else bytes(row["signed_tx"]),
                   tx_hash=row["tx_hash"], status=row["status"])


def _tx(row: asyncpg.Record | None) -> RefundTransaction | None:
    return None if row is None else RefundTransaction.from_row(row)


async def refunds_to_send(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(REFUNDS_TO_SEND, limit))


async def refund_for_update(conn: Conn, refund_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(REFUND_FOR_UPDATE, refund_id)


async def refund_by_id(conn: Conn, refund_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(REFUND_BY_ID, refund_id)


async def set_refund_tx_hash(conn: Conn, refund_id: str, tx_hash: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(SET_REFUND_TX_HASH, refund_id, tx_hash)
    assert row is not None, f"refund {refund_id} vanished"  # locked by the caller
    return row


async def move_refund(conn: Conn, refund_id: str, expected: str, target: str, *,
                      failure_reason: str | None = None,
                      network_fee_units: int | None = None) -> asyncpg.Record | None:
    return await conn.fetchrow(MOVE_REFUND, refund_id, expected, target, failure_reason,
                               network_fee_units)


async def mark_underfunded(conn: Conn, refund_id: str, detail: str,
                           recheck_seconds: float) -> asyncpg.Record | None:  # float-ok
    return await conn.fetchrow(MARK_UNDERFUNDED, refund_id, detail, recheck_seconds)


async def clear_pending(conn: Conn, refund_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CLEAR_PENDING, refund_id)


async def live_transaction(conn: Conn, refund_id: str) -> RefundTransaction | None:
    return _tx(await conn.fetchrow(LIVE_TRANSACTION, refund_id))


async def replaced_transactions(conn: Conn, refund_id: str) -> list[RefundTransaction]:
    return [RefundTransaction.from_row(r)
            for r in await conn.fetch(REPLACED_TRANSACTIONS, refund_id)]


async def insert_transaction(conn: Conn, *, refund_id: str, chain: str, from_address: str,
                             nonce: int | None, recent_blockhash: str | None,
                             last_valid_block_height: int | None, unsigned_tx: bytes,
                             signed_tx: bytes | None, tx_hash: str | None) -> RefundTransaction:
    row = await conn.fetchrow(INSERT_TRANSACTION, refund_id, chain, from_address, nonce,
                              recent_blockhash, last_valid_block_height, unsigned_tx,
                              signed_tx, tx_hash)
    assert row is not None  # INSERT ... RETURNING always returns the row
    return RefundTransaction.from_row(row)


async def store_signed(conn: Conn, tx_id: int, signed_tx: bytes,
                       tx_hash: str) -> RefundTransaction | None:
    return _tx(await conn.fetchrow(STORE_SIGNED, tx_id, signed_tx, tx_hash))


async def mark_transaction(conn: Conn, tx_id: int, expected: str,
                           target: str) -> RefundTransaction | None:
    return _tx(await conn.fetchrow(MARK_TRANSACTION, tx_id, expected, target))


async def ensure_nonce_row(conn: Conn, chain: str, address: str, start: int) -> None:
    await conn.execute(ENSURE_NONCE_ROW, chain, address, start)


async def lock_nonce(conn: Conn, chain: str, address: str) -> int:
    value: int = await conn.fetchval(LOCK_NONCE, chain, address)
    return value


async def set_next_nonce(conn: Conn, chain: str, address: str, next_nonce: int) -> None:
    await conn.execute(SET_NEXT_NONCE, chain, address, next_nonce)
