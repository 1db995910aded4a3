"""Settlement administration: settings, merchants, chain nodes and the watchers' transfers
wired to `settlement` (batches, payouts, reports, reconciliation, treasury conversions).

The one service behind the console pages, the JSON API and the CLI: every change takes the
acting administrator (`audit.Actor`; the CLI acts as `cli`) and writes its audit row, in the
change's own transaction where the change has one. Reading a payout file is audited too: it
carries every payee's bank details.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gateway.admin import audit
from gateway.admin.errors import InvalidForm
from gateway.admin.exceptions import service as exceptions
from gateway.admin.settlement import queries
from gateway.admin.settlement.chain_balances import (
    ChainSources,
    associated_token_address,
    observe,
)
from gateway.config import Settings
from gateway.invoices.catalog import token_addresses
from gateway.lifecycle.service import apply_invoices
from gateway.log import get_logger
from gateway.merchants import service as merchants
from gateway.refunds.sending.errors import SignerNotConfigured
from gateway.refunds.sending.signers import wallet_address
from gateway.transfers import store as transfers
from settlement.assets import ASSETS, by_currency_code, native_of
from settlement.batches import service as batches
from settlement.batches.calendar import CutoffCalendar
from settlement.batches.models import Batch
from settlement.batches.states import BatchStatus
from settlement.db import Conn, db_now
from settlement.fees.fx import Conversion, convert
from settlement.payouts.pain001 import Party
from settlement.payouts.service import (
    ExportRequest,
    PayoutFile,
    export_batches,
    get_payout_file,
)
from settlement.reconciliation import service as reconciliation
from settlement.reconciliation.errors import UnknownInvoice, UnknownPayment
from settlement.reconciliation.service import (
    AddressExpectation,
    Holding,
    RefundWallet,
    Run,
    UnmatchedPayment,
    VanishedTransfer,
    reconcile,
    resolve_unmatched,
)
from settlement.reports import render
from settlement.reports.service import Statement, SummaryRow, statement, zone_summary

log = get_logger(__name__)


def calendar(settings: Settings) -> CutoffCalendar:
    return CutoffCalendar.create(settings.settlement.zone, settings.settlement.cutoff)


def payout_dir(settings: Settings) -> Path:
    return settings.settlement.payout_dir or settings.data_dir / "payouts"


async def merchant_payees(conn: Conn, merchant_ids: Sequence[str]) -> Mapping[str, Party]:
    """Bank details from the merchants table (validated later by the pain.001 builder)."""
    return {r["id"]: Party(r["name"], r["iban"], r["bic"] or "", r["bin"])
            for r in await queries.payees(conn, merchant_ids)}


async def last_closed_day(conn: Conn, settings: Settings) -> date:
    return calendar(settings).last_closed_day(await db_now(conn))


# --- batches and payout files ------------------------------------------------------------
@dataclass(frozen=True)
class BatchFilter:
    status: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    merchant_id: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in {s.value for s in BatchStatus}:
            raise InvalidForm("status", "unknown batch status")


async def list_batches(conn: Conn, filters: BatchFilter, limit: int = 500) -> list[Batch]:
    return await batches.list_batches(
        conn, status=BatchStatus(filters.status) if filters.status else None,
        day_from=filters.day_from, day_to=filters.day_to, merchant_id=filters.merchant_id,
        limit=limit)


async def close_day(conn: Conn, actor: audit.Actor, settings: Settings, day: date | None,
                    merchant_id: str | None = None) -> batches.CloseResult:
    """Close business day `day` (None: the last one ended) for every merchant, or only
    `merchant_id`."""
    target = day or await last_closed_day(conn, settings)
    result = await batches.close_business_day(
        conn, calendar(settings), target, merchant_ids=[merchant_id] if merchant_id else None,
        lookback_days=settings.settlement.lookback_days)
    # The close commits batch by batch (each is idempotent); the audit row follows it.
    await audit.record(conn, actor, "batch.close_day", target_type="business_day",
                       target_id=target.isoformat(), after={
                           "merchant_id": merchant_id,
                           "closed": [b.id for b in result.closed],
                           "carried_forward": [b.id for b in result.carried_forward],
                           "attached_entries": result.attached_entries})
    return result


async def export(conn: Conn, actor: audit.Actor, settings: Settings, request: ExportRequest,
                 execution_date: date | None = None) -> PayoutFile | None:
    """One pain.001 file for the requested closed batches (all or nothing)."""
    async with conn.transaction():
        now = await db_now(conn)
        local_today = now.astimezone(calendar(settings).zone).date()
        payout = await export_batches(
            conn, request, payees=merchant_payees, debtor=settings.settlement.debtor,
            purpose=settings.settlement.purpose, execution_date=execution_date or local_today,
            now=now, out_dir=payout_dir(settings),
        )
        if payout is not None:
            await audit.record(conn, actor, "payout_file.export", target_type="payout_file",
                               target_id=payout.id, after=payout)
    return payout


async def payout_file(conn: Conn, actor: audit.Actor, file_id: str) -> PayoutFile:
    found = await get_payout_file(conn, file_id)
    await audit.record(conn, actor, "payout_file.download", target_type="payout_file",
                       target_id=file_id, after={"sha256": found.sha256})
    return found


async def mark(conn: Conn, actor: audit.Actor, batch_id: str, outcome: str,
               bank_reference: str, reason: str | None = None) -> Batch:
    """exported -> paid | failed, with the bank's reference."""
    async with conn.transaction():
        before = await batches.get_batch(conn, batch_id)
        if outcome == "paid":
            after = await batches.mark_paid(conn, batch_id, bank_reference=bank_reference)
        else:
            after = await batches.mark_failed(conn, batch_id, bank_reference=bank_reference,
                                              reason=reason)
        await audit.record(conn, actor, f"batch.{outcome}", target_type="batch",
                           target_id=batch_id, before=before, after=after)
    return after


# --- reports -----------------------------------------------------------------------------
async def merchant_statement(conn: Conn, settings: Settings, merchant_id: str,
                             first: date, last: date) -> Statement:
    """The merchant's statement over business days first..last; MerchantNotFound if unknown."""
    await merchants.get_merchant(conn, merchant_id)
    cal = calendar(settings)
    return await statement(conn, merchant_id, cal.period(first)[0], cal.period(last)[1])


async def summary(conn: Conn, settings: Settings, first: date, last: date) -> list[SummaryRow]:
    return await zone_summary(conn, calendar(settings), first, last)


def statement_table(found: Statement) -> render.ReportTable:
    return render.statement_table(found)


def summary_table(rows: Sequence[SummaryRow], first: date, last: date) -> render.ReportTable:
    return render.summary_table(rows, f"Zone summary {first} .. {last}")


# --- treasury ----------------------------------------------------------------------------
async def book_conversion(conn: Conn, actor: audit.Actor, *, asset: str, units: int,
                          kzt_received: int, reference: str | None) -> Conversion:
    """Crypto sold for tenge, booked with its FX result (idempotent by `reference`)."""
    async with conn.transaction():
        done = await convert(conn, asset=asset, units=units, kzt_received=kzt_received,
                             reference=reference)
        if done.created:
            await audit.record(conn, actor, "treasury.convert", target_type="ledger_entry",
                               target_id=str(done.entry_id), after=conversion_json(done))
    return done


def conversion_json(done: Conversion) -> dict[str, Any]:
    return {"entry_id": done.entry_id, "reference": done.reference, "asset": done.asset,
            "units": str(done.units), "kzt_received": done.kzt_received, "cost": done.cost,
            "fx_result": done.fx_result, "created": done.created}


def refund_wallets(settings: Settings) -> dict[str, str]:
    """Chain -> the refund hot wallet's sending address (a chain whose signer has no address
    configured has no wallet to reconcile)."""
    found = {}
    for chain in ("bsc", "solana"):
        try:
            found[chain] = wallet_address(chain, settings.refund_sending)
        except SignerNotConfigured:
            continue
    return found


def chain_sources(settings: Settings) -> ChainSources:
    configured = [(ASSETS[asset_id], address)
                  for asset_id, address in token_addresses(settings).items() if address]
    return ChainSources(
        bsc_rpc_url=settings.bsc_rpc_url,
        bsc_tokens={a.currency_code: address for a, address in configured if a.chain == "bsc"},
        solana_rpc_url=settings.solana_rpc_url,
        solana_treasury=settings.solana_treasury,
        solana_mints={a.currency_code: address for a, address in configured
                      if a.chain == "solana"},
        refund_wallets=refund_wallets(settings),
    )


def _code(chain: str, asset: str) -> str:
    """The ledger currency code of a watcher asset id (USDT_BSC -> bsc:USDT)."""
    spec = ASSETS.get(asset)
    return spec.currency_code if spec is not None else f"{chain}:{asset}"


async def _bsc_expected(conn: Conn, sources: ChainSources, days: int
                        ) -> tuple[list[AddressExpectation], int | None]:
    """Every deposit address x every checked BSC asset, with the units the watcher holds for
    it up to its finalized block (the block the balances are read at; None: `latest`)."""
    if not sources.bsc_rpc_url:
        return [], None
    final = await queries.finalized_number(conn, "bsc")
    block = final if final is not None and final >= 0 else None
    rows = await queries.received(conn, "bsc", block if block is not None else 2**62)
    sums = {(r["address"], _code("bsc", r["asset"])): int(r["units"]) for r in rows}
    codes = [native_of("bsc").currency_code, *sorted(sources.bsc_tokens)]
    return [AddressExpectation("bsc", code, address, sums.get((address, code), 0))
            for address in sorted(await queries.deposit_addresses(conn, days))
            for code in codes], block


async def _solana_expected(conn: Conn, sources: ChainSources) -> list[AddressExpectation]:
    """The treasury (SOL) and its associated token account per mint, with what the watcher
    holds as final for each."""
    owner = sources.solana_treasury
    if not sources.solana_rpc_url or not owner:
        return []
    held = await queries.treasury_received(conn, owner)

    def units(code: str) -> int:
        asset = by_currency_code(code)
        return held.get(asset.id, 0) if asset is not None else 0

    sol = native_of("solana").currency_code
    return [AddressExpectation("solana", sol, owner, units(sol)),
            *(AddressExpectation("solana", code, associated_token_address(owner, mint),
                                 units(code))
              for code, mint in sorted(sources.solana_mints.items()))]


async def _booked(conn: Conn) -> dict[str, int]:
    booked: dict[str, int] = {}
    for r in await queries.booked(conn):
        code = _code(r["chain"], r["asset"])
        booked[code] = booked.get(code, 0) + int(r["units"])
    return booked


async def _unmatched(conn: Conn, floors: Sequence[tuple[str, int]]
                     ) -> list[UnmatchedPayment]:
    """Every undecided amount of the exceptions queue that the books do not hold (unmatched,
    stranded, dust per address), none left out."""
    return [UnmatchedPayment(exceptions.resolution_id(i.key), i.chain or "",
                             _code(i.chain or "", i.asset or ""), i.address or "",
                             i.units or 0, i.tx, i.kind, i.transfers)
            for i in await exceptions.open_items(conn, floors)]


async def _vanished(conn: Conn) -> list[VanishedTransfer]:
    """Every booked transfer a chain no longer has that awaits a decision."""
    return [VanishedTransfer(exceptions.resolution_id(i.key), i.chain or "",
                             _code(i.chain or "", i.asset or ""), i.address or "",
                             i.units or 0, i.tx or "")
            for i in await exceptions.open_vanished(conn)]


HoldingKey = tuple[str, str, str]  # (chain, currency code, address as reconciled)
AMOUNTS = ("booked", "pending", "stranded", "unmatched", "refunded", "vanished")


async def _holdings(conn: Conn, expected: Sequence[AddressExpectation], bsc_block: int | None,
                    treasury: str | None) -> list[Holding]:
    """What explains each expected balance, address by address (the same keys as
    `expected`; Solana's transfers name the treasury owner as their recipient). Refunded:
    the units live refunds hold (see queries.SELECT_HOLDINGS)."""
    found: dict[HoldingKey, dict[str, int]] = {}
    for chain, through, final_only in (("bsc", bsc_block, False), ("solana", None, True)):
        top = through if through is not None else 2**62
        for r in await queries.holdings(conn, chain, top, final_only):
            found[(chain, _code(chain, r["asset"]), r["address"])] = {
                k: int(r[k]) for k in AMOUNTS}
    holdings = []
    for e in expected:
        recipient = (treasury or "") if e.chain == "solana" else e.address
        amounts = found.get((e.chain, e.asset, recipient), {})
        holdings.append(Holding(e.chain, e.asset, e.address, **amounts))
    return holdings


def _wallet_reads(sources: ChainSources) -> list[tuple[str, str, str, str]]:
    """(chain, currency code, where the balance is read, the wallet) of every refund hot
    wallet asset on a chain whose node is configured (Solana tokens: the wallet's
    associated token account)."""
    reads = []
    bsc_wallet = sources.refund_wallets.get("bsc")
    if sources.bsc_rpc_url and bsc_wallet:
        reads += [("bsc", code, bsc_wallet.lower(), bsc_wallet)
                  for code in (native_of("bsc").currency_code, *sorted(sources.bsc_tokens))]
    sol_wallet = sources.refund_wallets.get("solana")
    if sources.solana_rpc_url and sol_wallet:
        reads.append(("solana", native_of("solana").currency_code, sol_wallet, sol_wallet))
        reads += [("solana", code, associated_token_address(sol_wallet, mint), sol_wallet)
                  for code, mint in sorted(sources.solana_mints.items())]
    return reads


async def _refund_wallets(conn: Conn, sources: ChainSources) -> list[RefundWallet]:
    """Each refund hot wallet asset with its opening and what refunds moved out since."""
    read_at = await db_now(conn)
    openings = await reconciliation.wallet_openings(conn)
    found = []
    for chain, code, address, wallet in _wallet_reads(sources):
        opening = openings.get((chain, code, address))
        out = await queries.refund_outflows(conn, chain, wallet, opening.as_of) \
            if opening is not None else {}
        native = code == native_of(chain).currency_code
        found.append(RefundWallet(
            chain, code, address, opening, read_at,
            refunds_out=sum(units for asset, (units, _) in out.items()
                            if _code(chain, asset) == code),
            fees_out=sum(fees for _, fees in out.values()) if native else 0))
    return found


@dataclass(frozen=True)
class _Facts:
    expected: list[AddressExpectation]
    bsc_block: int | None
    booked: dict[str, int]
    unmatched: list[UnmatchedPayment]
    vanished: list[VanishedTransfer]
    holdings: list[Holding]
    wallets: list[RefundWallet]

    @property
    def reads(self) -> list[AddressExpectation]:
        """Every balance to read: the deposit addresses' and the refund wallets'."""
        return [*self.expected, *(AddressExpectation(w.chain, w.asset, w.address, 0)
                                  for w in self.wallets)]


async def _facts(conn: Conn, sources: ChainSources, days: int,
                 floors: Sequence[tuple[str, int]]) -> _Facts:
    bsc, block = await _bsc_expected(conn, sources, days)
    solana = await _solana_expected(conn, sources)
    expected = [*bsc, *solana]
    return _Facts(expected, block, await _booked(conn), await _unmatched(conn, floors),
                  await _vanished(conn),
                  await _holdings(conn, expected, block, sources.solana_treasury),
                  await _refund_wallets(conn, sources))


async def _snapshot(conn: Conn, sources: ChainSources, days: int,
                    floors: Sequence[tuple[str, int]]) -> _Facts:
    """The watcher's facts and the books' booked transfers as of one instant."""
    if conn.is_in_transaction():
        return await _facts(conn, sources, days, floors)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _facts(conn, sources, days, floors)


async def run_reconciliation(
    conn: Conn, actor: audit.Actor, settings: Settings, sources: ChainSources | None = None
) -> Run:
    """Chains vs the watcher's transfers vs the ledger, stored as one run (lines: see
    settlement.reconciliation.service)."""
    sources = sources or chain_sources(settings)
    facts = await _snapshot(conn, sources, settings.settlement.address_days,
                            settings.settlement.dust_floors)
    observations = await observe(sources, facts.reads, settings.settlement.rpc_timeout,
                                 bsc_block=facts.bsc_block)
    notes = [] if facts.bsc_block is None else [
        f"bsc balances read at finalized block {facts.bsc_block}"]
    run = await reconcile(conn, observations=observations, booked=facts.booked,
                          expected=facts.expected, unmatched=facts.unmatched,
                          vanished=facts.vanished, holdings=facts.holdings,
                          wallets=facts.wallets, notes=notes)
    await audit.record(conn, actor, "reconciliation.run", target_type="reconciliation_run",
                       target_id=run.id, after={"status": run.status,
                                                "difference_count": len(run.lines)})
    return run


async def runs(conn: Conn) -> list[dict[str, Any]]:
    return await reconciliation.list_runs(conn)


async def run_detail(conn: Conn, run_id: str) -> dict[str, Any]:
    return await reconciliation.get_run(conn, run_id)


async def resolve_payment(conn: Conn, actor: audit.Actor, settings: Settings, transfer_id: str,
                          *, action: str, invoice_id: str | None = None,
                          note: str | None = None) -> dict[str, Any]:
    """An operator's decision on an unmatched payment (view `unmatched_payments`): `refund`
    records it for a refund to the sender; `assign` also hands the transfer to the invoice
    and applies the lifecycle in the same transaction (credited if the invoice can still
    take it: it may go processing and settle as usual; else it stays unapplied)."""
    async with conn.transaction():
        payment = await queries.unmatched_one(conn, int(transfer_id)) \
            if transfer_id.isdigit() else None
        if payment is None:
            raise UnknownPayment(f"no unmatched payment {transfer_id}")
        if action == "assign" and (invoice_id is None
                                   or not await queries.invoice_exists(conn, invoice_id)):
            raise UnknownInvoice(f"no invoice {invoice_id} to assign the payment to")
        done = await resolve_unmatched(conn, transfer_id, action=action, invoice_id=invoice_id,
                                       note=note)
        if action == "assign" and invoice_id is not None:
            await transfers.reassign(conn, payment["id"], invoice_id)
            statuses = await apply_invoices(conn, [invoice_id])
            done["invoice_status"] = statuses[invoice_id].value
        await audit.record(conn, actor, f"unmatched_payment.{action}",
                           target_type="chain_transfer", target_id=transfer_id,
                           before=payment, after=done)
    log.info("unmatched_payment_decided", transfer_id=transfer_id, action=action,
             invoice_id=invoice_id)
    return done
