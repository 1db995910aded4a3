"""SQL of the exceptions queue (views exception_payments and unmatched_payments, migration
0070_exceptions_queue.sql; decisions in unmatched_payment_resolutions; booked transfers a
chain no longer has in chain_vanished_transfers, 0035_chain_status.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# Every item of the queue, oldest first, one page at a time: a payment not part of a sale
# (one line per transfer), dust below its asset's floor (one line per address, however many
# transfers), the excess of each overpaid settled invoice, each booked transfer a resync
# found gone from its chain, and each difference of the latest reconciliation run (chain vs
# watcher vs ledger, and a refund hot wallet vs its opening less refunds and fees; its asset
# is the ledger currency code; decided when the operator
# acknowledged the same difference, in this run or an earlier one).
# Floors arrive as two parallel arrays; the cursor is the (seen_at, key) of the last item
# already shown, so a page never repeats or skips an item however many there are.
# A payment whose units live refunds (gateway.refunds: not failed, not cancelled) hold in
# full leaves the queue, and so does an overpaid excess whose units they hold (units paid
# less the option's amount_units), unless the operator decided on it (then it stays, with
# its decision); a failed or cancelled refund brings them back.
SELECT_PAGE = """
WITH floors AS (
    SELECT * FROM unnest($1::text[], $2::numeric[]) AS f(asset, floor)
), held AS (
    SELECT s.transfer_id, sum(s.units) AS units
      FROM refund_sources s JOIN refunds rf ON rf.id = s.refund_id
     WHERE rf.status NOT IN ('failed', 'cancelled')
     GROUP BY s.transfer_id
), items AS (
    SELECT 'tr_' || e.id AS key, e.kind, e.chain, e.asset, e.to_address AS address,
           e.amount AS units, e.value_tiyn, e.invoice_id, e.tx_hash, 1::bigint AS transfers,
           e.detected_at AS seen_at, e.decision, e.invoice_status
      FROM exception_payments e LEFT JOIN floors f ON f.asset = e.asset
      LEFT JOIN held h ON h.transfer_id = e.id
     WHERE (f.floor IS NULL OR e.amount >= f.floor)
       AND (coalesce(h.units, 0) < e.amount OR e.decision IS NOT NULL)
    UNION ALL
    SELECT d.key, 'dust', d.chain, d.asset, d.address, d.units, d.value_tiyn, NULL, NULL,
           d.transfers, d.seen_at, r.action, NULL
      FROM (SELECT 'dust:' || e.chain || ':' || e.asset || ':' || e.to_address AS key,
                   e.chain, e.asset, e.to_address AS address, sum(e.amount) AS units,
                   sum(e.value_tiyn)::bigint AS value_tiyn, count(*) AS transfers,
                   min(e.detected_at) AS seen_at
              FROM exception_payments e JOIN floors f ON f.asset = e.asset
             WHERE e.amount < f.floor
             GROUP BY e.chain, e.asset, e.to_address) d
      LEFT JOIN unmatched_payment_resolutions r ON r.transfer_id = d.key
    UNION ALL
    SELECT 'ov_' || i.id, 'overpaid', NULL, NULL, NULL, NULL, i.amount_paid - i.amount, i.id,
           NULL, 1, i.status_changed_at, r.action, i.status
      FROM invoices i
      LEFT JOIN unmatched_payment_resolutions r ON r.transfer_id = 'ov_' || i.id
     WHERE i.status = 'settled' AND i.amount_paid > i.amount
       AND (r.action IS NOT NULL OR coalesce((SELECT sum(h.units) FROM held h JOIN chain_transfers t
                      ON t.id = h.transfer_id AND t.disposition = 'credited'
                     WHERE t.invoice_id = i.id), 0)
           < coalesce((SELECT sum(t.amount) - max(o.amount_units) FROM chain_transfers t
                         JOIN invoice_payment_options o
                           ON o.invoice_id = t.invoice_id AND o.asset = t.asset
                        WHERE t.invoice_id = i.id AND t.disposition = 'credited'
                          AND t.status = 'finalized'), 1))
    UNION ALL
    SELECT 'vt_' || v.transfer_id, 'vanished', v.chain, t.asset, t.to_address, t.amount,
           t.value_tiyn, t.invoice_id, t.tx_hash, 1, v.found_at, v.decision, NULL
      FROM chain_vanished_transfers v JOIN chain_transfers t ON t.id = v.transfer_id
    UNION ALL
    SELECT 'rec_' || ri.run_id || '_' || ri.seq, 'reconciliation', ri.chain, ri.asset,
           ri.address, ri.difference, NULL, NULL, NULL, 1, r.started_at, d.action, NULL
      FROM reconciliation_items ri
      JOIN (SELECT id, started_at FROM reconciliation_runs
             ORDER BY started_at DESC LIMIT 1) r ON r.id = ri.run_id
      LEFT JOIN reconciliation_decisions d ON d.identity = ri.identity
     WHERE ri.kind IN ('address', 'custody', 'trial_balance', 'fetch_error', 'refund_wallet')
)
SELECT *, clock_timestamp() - seen_at AS age FROM items
 WHERE ($3::text IS NULL OR kind = $3)
   AND ($4::text IS NULL OR chain = $4)
   AND ($5::text IS NULL OR asset = $5)
   AND ($6::text IS NULL OR invoice_id = $6)
   AND ($7::boolean IS NULL OR (decision IS NOT NULL) = $7)
   AND ($8::timestamptz IS NULL OR (seen_at, key) > ($8, $9::text))
 ORDER BY seen_at, key
 LIMIT $10
"""
SELECT_PAYMENT = "SELECT * FROM exception_payments WHERE id = $1"
SELECT_INVOICE_EXISTS = "SELECT EXISTS (SELECT 1 FROM invoices WHERE id = $1)"
# The first decision stands: a decided (or unknown) transfer returns nothing.
DECIDE_VANISHED = """
UPDATE chain_vanished_transfers SET decision = $2, decided_at = now()
 WHERE transfer_id = $1 AND decision IS NULL
RETURNING transfer_id, chain, decision, decided_at
"""
SELECT_VANISHED = """
SELECT transfer_id, decision FROM chain_vanished_transfers WHERE transfer_id = $1
"""


async def select_page(conn: Conn, floors: Sequence[tuple[str, int]], *, kind: str | None,
                      chain: str | None, asset: str | None, invoice_id: str | None,
                      decided: bool | None, after: tuple[datetime, str] | None,
                      limit: int) -> list[Row]:
    after_at, after_key = after if after else (None, None)
    return list(await conn.fetch(
        SELECT_PAGE, [a for a, _ in floors], [str(f) for _, f in floors], kind, chain, asset,
        invoice_id, decided, after_at, after_key, limit))


async def select_payment(conn: Conn, transfer_id: int) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_PAYMENT, transfer_id)
    return row


async def decide_vanished(conn: Conn, transfer_id: int, decision: str) -> Row | None:
    row: Row | None = await conn.fetchrow(DECIDE_VANISHED, transfer_id, decision)
    return row


async def select_vanished(conn: Conn, transfer_id: int) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_VANISHED, transfer_id)
    return row


async def invoice_exists(conn: Conn, invoice_id: str) -> bool:
    return bool(await conn.fetchval(SELECT_INVOICE_EXISTS, invoice_id))
