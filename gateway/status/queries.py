"""SQL of chain_status and chain_vanished_transfers (0035_chain_status.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# Counters arrive as deltas since the previous heartbeat, so they add up across processes
# and restarts. A heartbeat never touches the halt.
UPSERT_HEARTBEAT = """
INSERT INTO chain_status AS s (chain, head, scanned, finalized, caught_up_at, head_moved_at,
                               last_error, transfers, reorgs, errors, heartbeat_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (chain) DO UPDATE
SET head = EXCLUDED.head, scanned = EXCLUDED.scanned,
    finalized = coalesce(EXCLUDED.finalized, s.finalized),
    caught_up_at = EXCLUDED.caught_up_at, head_moved_at = EXCLUDED.head_moved_at,
    last_error = EXCLUDED.last_error, transfers = s.transfers + EXCLUDED.transfers,
    reorgs = s.reorgs + EXCLUDED.reorgs, errors = s.errors + EXCLUDED.errors,
    heartbeat_at = EXCLUDED.heartbeat_at
"""
# The first reason stands until a resync: a later failure of the halted chain changes nothing.
SET_HALT = """
INSERT INTO chain_status AS s (chain, halted_reason, halted_at) VALUES ($1, $2, now())
ON CONFLICT (chain) DO UPDATE
SET halted_reason = coalesce(s.halted_reason, EXCLUDED.halted_reason),
    halted_at = coalesce(s.halted_at, EXCLUDED.halted_at)
"""
CLEAR_HALT = """
UPDATE chain_status SET halted_reason = NULL, halted_at = NULL,
       caught_up_at = NULL, head_moved_at = NULL
WHERE chain = $1
"""
# A watcher that stops on purpose (shutdown, lost leadership) says so: no heartbeat is due.
STAND_DOWN = "UPDATE chain_status SET heartbeat_at = NULL WHERE chain = $1"
SELECT_HALT = "SELECT halted_reason, halted_at FROM chain_status WHERE chain = $1"
SELECT_ALL = "SELECT * FROM chain_status ORDER BY chain"
INSERT_VANISHED = """
INSERT INTO chain_vanished_transfers (transfer_id, chain, fork_block)
SELECT unnest($1::bigint[]), $2, $3
ON CONFLICT (transfer_id) DO NOTHING
"""
SELECT_FINAL_ABOVE = """
SELECT id, tx_hash, log_index, block_number, invoice_id FROM chain_transfers
WHERE chain = $1 AND status = 'finalized' AND block_number > $2
ORDER BY block_number, id
"""
SELECT_VANISHED = """
SELECT v.*, t.tx_hash, t.asset, t.amount, t.invoice_id FROM chain_vanished_transfers v
JOIN chain_transfers t ON t.id = v.transfer_id
WHERE v.chain = $1 ORDER BY v.transfer_id
"""


async def upsert_heartbeat(conn: Conn, chain: str, head: int | None, scanned: int | None,
                           finalized: int | None, caught_up_at: datetime | None,
                           head_moved_at: datetime | None, last_error: str | None,
                           counts: tuple[int, int, int], at: datetime) -> None:
    await conn.execute(UPSERT_HEARTBEAT, chain, head, scanned, finalized, caught_up_at,
                       head_moved_at, last_error, *counts, at)


async def set_halt(conn: Conn, chain: str, reason: str) -> None:
    await conn.execute(SET_HALT, chain, reason)


async def clear_halt(conn: Conn, chain: str) -> None:
    await conn.execute(CLEAR_HALT, chain)


async def stand_down(conn: Conn, chain: str) -> None:
    await conn.execute(STAND_DOWN, chain)


async def select_halt(conn: Conn, chain: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_HALT, chain)
    return row


async def select_all(conn: Conn) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.fetch(SELECT_ALL)]


async def insert_vanished(conn: Conn, chain: str, fork_block: int,
                          transfer_ids: Sequence[int]) -> None:
    await conn.execute(INSERT_VANISHED, list(transfer_ids), chain, fork_block)


async def select_final_above(conn: Conn, chain: str, block: int) -> list[Row]:
    return list(await conn.fetch(SELECT_FINAL_ABOVE, chain, block))


async def select_vanished(conn: Conn, chain: str) -> list[Row]:
    return list(await conn.fetch(SELECT_VANISHED, chain))
