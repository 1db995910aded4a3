"""Reconciliation lists every stranded and unmatched amount (none truncated), so a run can
never be "balanced" while any of it is unexplained."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from gateway.admin.audit import Actor
from gateway.admin.exceptions import service as exceptions
from gateway.admin.settlement import service
from gateway.admin.settlement.chain_balances import ChainSources
from gateway.chains.facts import Facts
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.admin.exceptions.test_queue import _expire, _invoice, _pay
from tests.plugins.app import ApiClient, settings_for_tests

NO_NODES = ChainSources(bsc_rpc_url=None, bsc_tokens={}, solana_rpc_url=None,
                        solana_treasury=None, solana_mints={})


async def test_stranded_amounts_are_reconciliation_items(
        client: ApiClient, db_pool: asyncpg.Pool, database_url: str, tmp_path: Path) -> None:
    partial = await _invoice(client, amount=100_000)
    late = await _invoice(client, amount=50_000)
    part_units = int(partial["payment_options"][0]["amount_units"]) * 4 // 10
    late_units = int(late["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    part = _pay(partial, part_units)
    await sink.emit(Facts("bsc", seen=[part], final=[part.tx_hash]))
    await _expire(db_pool, partial["id"])
    await _expire(db_pool, late["id"])
    after = _pay(late, late_units)
    await sink.emit(Facts("bsc", seen=[after], final=[after.tx_hash]))

    settings = settings_for_tests(database_url, tmp_path)
    async with db_pool.acquire() as conn:
        run = await service.run_reconciliation(conn, Actor(None, "test"), settings, NO_NODES)
    mine = {ln.detail["tx"]: ln for ln in run.lines if ln.detail.get("tx") in
            (part.tx_hash, after.tx_hash)}
    assert {tx: (ln.kind, ln.asset, ln.address, ln.chain_amount, ln.detail["kind"])
            for tx, ln in mine.items()} == {
        part.tx_hash: ("stranded_payment", "bsc:BNB", part.to_address, part_units,
                       "stranded"),
        after.tx_hash: ("stranded_payment", "bsc:BNB", after.to_address, late_units,
                        "stranded"),
    }
    assert run.status == "differences"
    # The run's differences are queue items in turn (chain, custody or ledger differences).
    async with db_pool.acquire() as conn:
        found = await exceptions.page(conn, (), exceptions.Filters(kind="reconciliation"),
                                      None, 500)
    keys = {i.key for i in found.items}
    differences = [ln for ln in run.lines if ln.kind in
                   ("address", "custody", "trial_balance", "fetch_error")]
    assert len(keys) == len(differences)
    assert all(k.startswith(f"rec_{run.id}_") for k in keys)
