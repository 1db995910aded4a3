"""Reports tie to the ledger: totals recomputed from raw postings; CSV parses, PDF is a PDF."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

import asyncpg

from settlement.batches import service as batches
from settlement.fees.fx import convert
from settlement.money import Currency, CurrencyRegistry, build_registry
from settlement.reports.render import statement_table, summary_table, to_csv, to_pdf
from settlement.reports.service import statement, zone_summary
from tests.settlement_flow.helpers import calendar_ending_at, db_now, merchant_id, settle_invoice

UNIT = 10**6

RAW_PAYABLE = """
SELECT coalesce(sum(CASE p.direction WHEN 'credit' THEN p.amount ELSE 0 END), 0) AS credits,
       coalesce(sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE 0 END), 0) AS debits
  FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
 WHERE a.code = $1 AND p.created_at >= $2 AND p.created_at < $3
"""
RAW_ACCOUNT_BY_ASSET = """
SELECT a.code, coalesce(sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END), 0)
  AS debit_net
  FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
 WHERE p.entry_id IN (SELECT p2.entry_id FROM postings p2 JOIN ledger_accounts a2
                       ON a2.id = p2.account_id WHERE a2.code = $1)
 GROUP BY a.code
"""


async def test_statement_and_zone_summary_tie_to_postings(conn: asyncpg.Connection) -> None:
    usd = Currency(f"bsc:R{secrets.token_hex(4)}", 6)
    sol = Currency(f"solana:R{secrets.token_hex(4)}", 6)
    registry = CurrencyRegistry([*build_registry(), usd, sol])
    m = merchant_id()
    start = await db_now(conn)
    await settle_invoice(conn, m, asset=usd, units=3 * UNIT, kzt_gross=300_000, fee=3_000)
    await settle_invoice(conn, m, asset=usd, units=2 * UNIT, kzt_gross=200_000, fee=2_000)
    await settle_invoice(conn, m, asset=sol, units=5 * UNIT, kzt_gross=1_000_000, fee=15_000)
    cut = await db_now(conn)
    await batches.close_period(conn, cut.date(), start, cut, merchant_ids=[m])
    # 5 units cost 500,000 tiyn; sold for 510,000: FX gain 10,000.
    await convert(conn, asset=usd.code, units=5 * UNIT, kzt_received=510_000, registry=registry)
    end = await db_now(conn)

    s = await statement(conn, m, start, end)
    assert (s.opening, s.sales_count, s.gross, s.fees, s.net_sales) == (
        0, 3, 1_500_000, 20_000, 1_480_000)
    assert (s.payouts, s.closing) == (1_480_000, 0)
    raw = await conn.fetchrow(RAW_PAYABLE, f"merchant_payable:{m}", start, end)
    assert raw is not None
    assert s.net_sales + s.adjustments - s.refunds == raw["credits"] == 1_480_000
    assert s.payouts == raw["debits"]
    assert s.closing == s.opening + raw["credits"] - raw["debits"]

    calendar = calendar_ending_at(end + timedelta(microseconds=1))
    day = calendar.business_day_of(end)
    rows = {r.asset: r for r in await zone_summary(conn, calendar, day, day)
            if r.asset in (usd.symbol, sol.symbol)}
    u, v = rows[usd.symbol], rows[sol.symbol]
    assert (u.chain, u.invoice_count, u.crypto_volume, u.kzt_volume, u.fees, u.fx_result) == (
        "bsc", 2, 5 * UNIT, 500_000, 5_000, 10_000)
    assert (v.chain, v.invoice_count, v.crypto_volume, v.kzt_volume, v.fees, v.fx_result) == (
        "solana", 1, 5 * UNIT, 1_000_000, 15_000, 0)
    # Recomputed from postings of every entry touching the asset's FX position; the
    # conversion took 5 units and their 500,000 tiyn cost out of the usd position again.
    for cur, row, sold_units, sold_cost in ((usd, u, 5 * UNIT, 500_000), (sol, v, 0, 0)):
        sums = {r["code"]: int(r["debit_net"]) for r in
                await conn.fetch(RAW_ACCOUNT_BY_ASSET, f"fx_position:{cur.code}")}
        assert sums[f"custody:{cur.code}"] == row.crypto_volume - sold_units
        assert sums["fx_position:KZT"] == row.kzt_volume - sold_cost
        assert row.fees == -sums["fee_revenue"]
        assert row.fx_result == -sums.get("fx_result", 0)

    summary = summary_table(list(rows.values()), "Zone summary")
    parsed = list(csv.reader(io.StringIO(to_csv(summary))))
    assert parsed[0][:3] == ["day", "chain", "asset"]
    assert parsed[-1][0] == "total" and parsed[-1][5] == "15000.00"
    statement_csv = list(csv.reader(io.StringIO(to_csv(statement_table(s)))))
    assert ["closing payable", "", "0.00"] in statement_csv
    for table in (summary, statement_table(s)):
        pdf = to_pdf(table)
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
