"""pain.001 export, the XSD, IBAN/BIN checks, and paid/failed payouts on the ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from lxml import etree

from settlement import ledger
from settlement.batches import service as batches
from settlement.batches.errors import IllegalBatchTransition
from settlement.batches.models import Batch
from settlement.batches.states import BatchStatus
from settlement.db import Conn
from settlement.payouts.bin import make_bin, validate_bin
from settlement.payouts.errors import InvalidBin, InvalidIban
from settlement.payouts.iban import validate_kz_iban
from settlement.payouts.pain001 import NAMESPACE, Party, PurposeCodes
from settlement.payouts.service import ExportRequest, PayoutFile, export_batches
from tests.settlement_flow.helpers import (
    db_now,
    debtor,
    merchant_id,
    payable,
    payee,
    settle_invoice,
)

XSD = Path(__file__).parents[1] / "fixtures" / "iso20022" / "pain.001.001.09.xsd"
NS = {"p": NAMESPACE}


async def _closed_batch(conn: Conn, m: str, gross: int, day: date) -> Batch:
    await settle_invoice(conn, m, units=10**18, kzt_gross=gross, fee=gross // 100)
    cut = await db_now(conn)
    result = await batches.close_period(conn, day, cut - timedelta(days=1), cut,
                                        merchant_ids=[m])
    return result.closed[0]


def _lookup(parties: Mapping[str, Party]):  # type: ignore[no-untyped-def]
    async def lookup(conn: Conn, merchant_ids: Sequence[str]) -> Mapping[str, Party]:
        return {m: parties[m] for m in merchant_ids if m in parties}
    return lookup


async def _export(conn: Conn, ids: list[str], parties: Mapping[str, Party],
                  out: Path) -> PayoutFile | None:
    return await export_batches(
        conn, ExportRequest(batch_ids=ids), payees=_lookup(parties), debtor=debtor(),
        purpose=PurposeCodes("859", "17"), execution_date=date(2030, 3, 2),
        now=datetime(2030, 3, 1, 20, tzinfo=UTC), out_dir=out)


def test_iban_and_bin_checks() -> None:
    assert validate_kz_iban("kz86 125K ZT50 0410 0100") == "KZ86125KZT5004100100"
    for bad in ("KZ86125KZT5004100101", "KZ86125KZT500410010", "DE89370400440532013000"):
        with pytest.raises(InvalidIban):
            validate_kz_iban(bad)
    good = make_bin("04084000123")
    assert validate_bin(good) == good == "040840001231"
    # First weights: 1*2 + 1*4 + 7*10 = 76 = 10 (mod 11), so the second sequence decides:
    # 1*4 + 1*6 + 7*1 = 17 = 6 (mod 11).
    assert make_bin("01010000070") == "010100000706"
    for bad in ("040840001232", "04084000123", "04A840001231", "041340001230"):
        with pytest.raises(InvalidBin):
            validate_bin(bad)


async def test_export_validates_against_the_xsd(conn: asyncpg.Connection,
                                                tmp_path: Path) -> None:
    m1, m2 = merchant_id(), merchant_id()
    b1 = await _closed_batch(conn, m1, 1_234_567, date(2030, 3, 1))
    b2 = await _closed_batch(conn, m2, 50_000, date(2030, 3, 1))
    parties = {m1: payee("Alma Coffee LLP"), m2: payee("Medeu Books LLP")}
    payout = await _export(conn, [b1.id, b2.id], parties, tmp_path)
    assert payout is not None
    written = tmp_path / payout.file_name()
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.parse(str(written))
    schema.assertValid(doc)
    # Nets: 1,234,567 - 12,345 = 1,222,222 and 50,000 - 500 = 49,500 tiyn.
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "12717.22"
    amounts = {t.findtext("p:PmtId/p:EndToEndId", namespaces=NS):
               t.findtext("p:Amt/p:InstdAmt", namespaces=NS)
               for t in doc.iterfind(".//p:CdtTrfTxInf", namespaces=NS)}
    assert amounts == {b1.id: "12222.22", b2.id: "495.00"}
    ustrd = doc.findtext(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=NS)
    assert ustrd is not None and ustrd.startswith("/KNP/859/KBE/17/")
    assert (await batches.get_batch(conn, b1.id)).status is BatchStatus.EXPORTED
    # Paid: the money leaves payouts in transit for the bank.
    paid = await batches.mark_paid(conn, b1.id, bank_reference="HSBK-2030-0001")
    assert (paid.status, paid.bank_reference) == (BatchStatus.PAID, "HSBK-2030-0001")
    lines = await ledger.entry_postings(conn, paid.paid_entry_id or 0)
    assert {(p.account.code, p.direction.value, p.amount.amount) for p in lines} == {
        ("payouts_in_transit", "debit", 1_222_222), ("bank", "credit", 1_222_222)}
    with pytest.raises(IllegalBatchTransition):
        await batches.mark_failed(conn, b1.id, bank_reference="late")


@pytest.mark.parametrize("broken", [{"iban": "KZ86125KZT5004100101"}, {"bin": "040840001232"}])
async def test_broken_payee_refused_before_any_file(
    conn: asyncpg.Connection, tmp_path: Path, broken: dict[str, str],
) -> None:
    m = merchant_id()
    batch = await _closed_batch(conn, m, 100_000, date(2030, 3, 5))
    good = payee()
    bad = Party(name=good.name, iban=broken.get("iban", good.iban), bic=good.bic,
                bin=broken.get("bin", good.bin))
    with pytest.raises((InvalidIban, InvalidBin)):
        await _export(conn, [batch.id], {m: bad}, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert (await batches.get_batch(conn, batch.id)).status is BatchStatus.CLOSED
    assert await conn.fetchval(
        "SELECT count(*) FROM settlement_batches WHERE id = $1 AND payout_file_id IS NULL",
        batch.id) == 1


async def test_failed_payout_is_reversed_and_paid_again(conn: asyncpg.Connection,
                                                        tmp_path: Path) -> None:
    m = merchant_id()
    # 10,000.00 KZT sale at 1%: 990,000 tiyn to pay.
    batch = await _closed_batch(conn, m, 1_000_000, date(2030, 3, 10))
    with pytest.raises(IllegalBatchTransition):
        await batches.mark_failed(conn, batch.id, bank_reference="too-early")
    await _export(conn, [batch.id], {m: payee()}, tmp_path)
    failed = await batches.mark_failed(conn, batch.id, bank_reference="RJCT-77",
                                       reason="account closed")
    assert failed.status is BatchStatus.FAILED
    lines = await ledger.entry_postings(conn, failed.reversal_entry_id or 0)
    assert {(p.account.code, p.direction.value, p.amount.amount) for p in lines} == {
        (f"merchant_payable:{m}", "credit", 990_000), ("payouts_in_transit", "debit", 990_000)}
    assert await payable(conn, m) == 990_000
    with pytest.raises(IllegalBatchTransition):
        await batches.mark_paid(conn, batch.id, bank_reference="again")
    # Next day: the returned 990,000 plus a 5,000.00 KZT sale at 1% (495,000) = 1,485,000.
    again = await _closed_batch(conn, m, 500_000, date(2030, 3, 11))
    assert (again.invoice_count, again.adjustments, again.net) == (1, 990_000, 1_485_000)
    assert await payable(conn, m) == 0
