"""SQL of the settlement admin: payee bank details from merchants, and what the chain watchers
recorded (gateway migration 0030: `chain_transfers`, `chain_cursors`, view
`unmatched_payments`) as reconciliation needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from settlement.db import Conn

SELECT_PAYEES = """
SELECT id, name, iban, bic, bin FROM merchants WHERE id = ANY($1::text[])
"""

# The height the BNB Chain watcher has finalized: balances are read at exactly this block, so
# they compare with the transfers it holds up to there (-1: nothing final yet).
SELECT_FINALIZED_NUMBER = "SELECT finalized_number FROM chain_cursors WHERE chain = $1"

# What each recipient should hold per asset: every transfer still in the chain (not reorged
# out) up to block `$2`, whatever the lifecycle made of it (credited, wrong asset, ...): the
# money is on the address either way, unless a resync found the chain no longer has it (a
# vanished transfer: its own reconciliation line). Solana's recipient is the treasury owner.
SELECT_RECEIVED = """
SELECT lower(to_address) AS address, asset, sum(amount) AS units
  FROM chain_transfers t
 WHERE chain = $1 AND status <> 'removed' AND block_number <= $2
   AND NOT EXISTS (SELECT 1 FROM chain_vanished_transfers v WHERE v.transfer_id = t.id)
 GROUP BY lower(to_address), asset
"""
# Solana: what reached the treasury `$1` (the recipient of every Solana Pay request) and is
# final, per asset; balances are read at `finalized` commitment. Base58 is case-sensitive.
SELECT_TREASURY_RECEIVED = """
SELECT asset, sum(amount) AS units
  FROM chain_transfers t
 WHERE chain = 'solana' AND status = 'finalized' AND to_address = $1
   AND NOT EXISTS (SELECT 1 FROM chain_vanished_transfers v WHERE v.transfer_id = t.id)
 GROUP BY asset
"""

# What explains each recipient's balance per asset (settlement.reconciliation.Holding), over
# the same transfers as SELECT_RECEIVED / SELECT_TREASURY_RECEIVED ($3: final ones only):
# booked (credited to a settled invoice), stranded and unmatched (the exceptions queue's
# payments: stranded, or any other kind), pending (credited to an invoice still open),
# refunded and vanished (booked, then found gone from the chain by a resync). The first four
# and refunded split every transfer once, so booked + pending + stranded + unmatched +
# refunded - vanished is what is expected.
# Refunded: the units of the transfer that live refunds (gateway.refunds: any status but
# failed or cancelled, in flight included) hold, as the exceptions queue counts them (a
# payment they hold in full leaves the queue). Refunds are sent from the refund hot wallets,
# so those units stay on the address: they move out of the transfer's bucket into refunded.
SELECT_HOLDINGS = """
WITH held AS (
    SELECT s.transfer_id, sum(s.units) AS units
      FROM refund_sources s JOIN refunds rf ON rf.id = s.refund_id
     WHERE rf.status NOT IN ('failed', 'cancelled')
     GROUP BY s.transfer_id
), split AS (
    SELECT t.id, t.chain, t.to_address, t.asset, t.amount, t.disposition, t.invoice_id,
           least(coalesce(h.units, 0), t.amount) AS refunded
      FROM chain_transfers t LEFT JOIN held h ON h.transfer_id = t.id
     WHERE t.chain = $1 AND t.status <> 'removed' AND t.block_number <= $2
       AND (NOT $3 OR t.status = 'finalized')
)
SELECT CASE WHEN t.chain = 'bsc' THEN lower(t.to_address) ELSE t.to_address END AS address,
       t.asset,
       coalesce(sum(t.amount - t.refunded) FILTER (WHERE e.id IS NULL
                AND t.disposition = 'credited' AND i.status = 'settled'), 0) AS booked,
       coalesce(sum(t.amount - t.refunded) FILTER (WHERE e.id IS NULL AND (t.disposition
                IS DISTINCT FROM 'credited' OR i.status IS DISTINCT FROM 'settled')), 0)
           AS pending,
       coalesce(sum(t.amount - t.refunded) FILTER (WHERE e.kind = 'stranded'), 0)
           AS stranded,
       coalesce(sum(t.amount - t.refunded) FILTER (WHERE e.kind <> 'stranded'), 0)
           AS unmatched,
       coalesce(sum(t.refunded), 0) AS refunded,
       coalesce(sum(t.amount) FILTER (WHERE v.transfer_id IS NOT NULL), 0) AS vanished
  FROM split t
  LEFT JOIN invoices i ON i.id = t.invoice_id
  LEFT JOIN exception_payments e ON e.id = t.id
  LEFT JOIN chain_vanished_transfers v ON v.transfer_id = t.id
 GROUP BY 1, 2
"""

# Deposit addresses to ask the node about: every one that received a transfer, and those of
# invoices created in the last `$1` (money arriving after their monitoring window is not
# recorded by the watcher; reconciliation is where it shows).
SELECT_DEPOSIT_ADDRESSES = """
SELECT DISTINCT lower(to_address) AS address FROM chain_transfers WHERE chain = 'bsc'
UNION
SELECT lower(bsc_address) FROM invoices
 WHERE bsc_address IS NOT NULL AND created_at > now() - $1::interval
"""

# The transfers the invoice flow booked: final, credited, of settled invoices (exactly the
# crypto legs of the `invoice:<id>:settlement` entries; non-final credits become unapplied at
# settlement).
SELECT_BOOKED = """
SELECT t.chain, t.asset, sum(t.amount) AS units
  FROM chain_transfers t
  JOIN invoices i ON i.id = t.invoice_id
 WHERE t.status = 'finalized' AND t.disposition = 'credited' AND i.status = 'settled'
 GROUP BY t.chain, t.asset
"""

# What refunds moved out of the refund hot wallet `$2` of chain `$1` since `$3`, per refunded
# asset: the refunded units of transactions final since then, and the network fees (native
# units) of transactions final or failed since then (a replaced Solana transaction never
# landed: it cost nothing). BNB Chain addresses compare without their checksum case.
SELECT_REFUND_OUTFLOWS = """
SELECT r.asset,
       coalesce(sum(r.amount_units) FILTER (WHERE t.status = 'final'), 0) AS units,
       coalesce(sum(r.network_fee_units), 0) AS fees
  FROM refund_transactions t JOIN refunds r ON r.id = t.refund_id
 WHERE t.chain = $1 AND t.status IN ('final', 'failed') AND t.finished_at > $3
   AND CASE WHEN $1 = 'bsc' THEN lower(t.from_address) = lower($2)
            ELSE t.from_address = $2 END
 GROUP BY r.asset
"""

SELECT_UNMATCHED_ONE = """
SELECT id, chain, asset, to_address, amount, tx_hash, invoice_id, status, disposition
  FROM unmatched_payments WHERE id = $1
"""
SELECT_INVOICE_EXISTS = "SELECT EXISTS (SELECT 1 FROM invoices WHERE id = $1)"


async def payees(conn: Conn, merchant_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PAYEES, list(merchant_ids))


async def finalized_number(conn: Conn, chain: str) -> int | None:
    number: int | None = await conn.fetchval(SELECT_FINALIZED_NUMBER, chain)
    return number


async def received(conn: Conn, chain: str, through_block: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECEIVED, chain, through_block)


async def treasury_received(conn: Conn, treasury: str) -> dict[str, int]:
    rows = await conn.fetch(SELECT_TREASURY_RECEIVED, treasury)
    return {r["asset"]: int(r["units"]) for r in rows}


async def holdings(conn: Conn, chain: str, through_block: int,
                   final_only: bool) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_HOLDINGS, chain, through_block, final_only)


async def deposit_addresses(conn: Conn, days: int) -> list[str]:
    rows = await conn.fetch(SELECT_DEPOSIT_ADDRESSES, timedelta(days=days))
    return [r["address"] for r in rows]


async def booked(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_BOOKED)


async def refund_outflows(conn: Conn, chain: str, wallet: str,
                          since: datetime) -> dict[str, tuple[int, int]]:
    """Asset id -> (refunded units, network fee units) out of `wallet` since `since`."""
    rows = await conn.fetch(SELECT_REFUND_OUTFLOWS, chain, wallet, since)
    return {r["asset"]: (int(r["units"]), int(r["fees"])) for r in rows}


async def unmatched_one(conn: Conn, transfer_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(SELECT_UNMATCHED_ONE, transfer_id)
    return row


async def invoice_exists(conn: Conn, invoice_id: str) -> bool:
    found: bool = await conn.fetchval(SELECT_INVOICE_EXISTS, invoice_id)
    return found
