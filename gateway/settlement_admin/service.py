"""Settlement administration: settings, merchants and chain nodes wired to `settlement`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from gateway.config import Settings
from gateway.log import get_logger
from gateway.settlement_admin import queries
from gateway.settlement_admin.chain_balances import ChainSources, observe
from settlement.batches import service as batches
from settlement.batches.calendar import CutoffCalendar
from settlement.db import Conn
from settlement.payouts.pain001 import Party
from settlement.payouts.service import ExportRequest, PayoutFile, export_batches
from settlement.reconciliation.service import (
    AddressExpectation,
    Run,
    UnmatchedPayment,
    reconcile,
)

log = get_logger(__name__)


def calendar(settings: Settings) -> CutoffCalendar:
    return CutoffCalendar.create(settings.settlement.zone, settings.settlement.cutoff)


def payout_dir(settings: Settings) -> Path:
    return settings.settlement.payout_dir or settings.data_dir / "payouts"


async def merchant_payees(conn: Conn, merchant_ids: Sequence[str]) -> Mapping[str, Party]:
    """Bank details from the merchants table (validated later by the pain.001 builder)."""
    return {r["id"]: Party(r["name"], r["iban"], r["bic"] or "", r["bin"])
            for r in await queries.payees(conn, merchant_ids)}


async def close_day(conn: Conn, settings: Settings, day: date | None) -> batches.CloseResult:
    cal = calendar(settings)
    target = day or cal.last_closed_day(await conn.fetchval("SELECT now()"))
    return await batches.close_business_day(conn, cal, target,
                                            lookback_days=settings.settlement.lookback_days)


async def export(conn: Conn, settings: Settings, request: ExportRequest,
                 execution_date: date | None = None) -> PayoutFile | None:
    now = await conn.fetchval("SELECT now()")
    local_today = now.astimezone(calendar(settings).zone).date()
    return await export_batches(
        conn, request, payees=merchant_payees, debtor=settings.settlement.debtor,
        purpose=settings.settlement.purpose, execution_date=execution_date or local_today,
        now=now, out_dir=payout_dir(settings),
    )


def chain_sources(settings: Settings) -> ChainSources:
    tokens = {"bsc:USDT": settings.bsc_usdt_contract, "bsc:USDC": settings.bsc_usdc_contract}
    mints = {"solana:USDT": settings.solana_usdt_mint, "solana:USDC": settings.solana_usdc_mint,
             "solana:KZTE": settings.solana_kzte_mint}
    return ChainSources(
        bsc_rpc_url=settings.bsc_rpc_url,
        bsc_tokens={k: v for k, v in tokens.items() if v},
        solana_rpc_url=settings.solana_rpc_url,
        solana_treasury=settings.solana_treasury,
        solana_mints={k: v for k, v in mints.items() if v},
    )


async def _watcher_data(
    conn: Conn, limit: int = 1000
) -> tuple[list[AddressExpectation], list[UnmatchedPayment], list[str]]:
    columns = await queries.table_columns(conn, queries.TRANSFERS_TABLE)
    if not set(queries.TRANSFER_COLUMNS) <= columns:
        note = (f"table {queries.TRANSFERS_TABLE} with columns "
                f"{', '.join(queries.TRANSFER_COLUMNS)} not found: per-address lines and "
                "unmatched payments skipped")
        return [], [], [note]
    expected = [AddressExpectation(r["chain"], _code(r["chain"], r["asset"]), r["to_address"],
                                   int(r["units"]))
                for r in await queries.address_expectations(conn)]
    unmatched = [UnmatchedPayment(r["id"], r["chain"], _code(r["chain"], r["asset"]),
                                  r["to_address"], int(r["amount"]),
                                  r["tx_hash"] or r["signature"] or "")
                 for r in await queries.unmatched_transfers(conn, limit)]
    return expected, unmatched, []


def _code(chain: str, asset: str) -> str:
    return asset if ":" in asset else f"{chain}:{asset}"


async def run_reconciliation(
    conn: Conn, settings: Settings, sources: ChainSources | None = None
) -> Run:
    sources = sources or chain_sources(settings)
    expected, unmatched, notes = await _watcher_data(conn)
    observations = await observe(sources, expected, settings.settlement.rpc_timeout)
    return await reconcile(conn, observations=observations,
                           checked_assets=sources.checked_assets(), expected=expected,
                           unmatched=unmatched, notes=notes)
