"""The refund rules (gateway.refunds.service) on the real database, payments through the sink.

Worked example (hand-checked; BNB = 300,000.00 KZT, no spread in the test rates):
an invoice of 1,500.00 KZT asks 0.005 BNB = 5,000,000,000,000,000 wei. The shopper pays
0.0055 BNB, worth 0.0055 * 300,000 = 1,650.00 KZT = 165,000 tiyn: settled, 15,000 tiyn over.
- Refund everything refundable: 15,000 tiyn, in kind: 5.5e15 - 5e15 = 500,000,000,000,000 wei.
- Refund 65,000 tiyn: 15,000 stranded (5e14 wei) + 50,000 of the sale, merchant-funded, at
  the current rate: 500.00 KZT / 300,000 = 0.0016666... BNB, floored to
  1,666,666,666,666,666 wei; amount_units = 2,166,666,666,666,666 wei.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from gateway.errors import ApiError, NotFound
from gateway.rates import RateBook
from gateway.refunds import service
from gateway.refunds.errors import (
    InvalidRefundAddress,
    NothingRefundable,
    RefundNotCancellable,
    RefundTooLarge,
)
from gateway.refunds.models import Refund
from gateway.refunds.states import RateKind, RefundStatus
from gateway.transfers.sink import TransferSink
from tests.plugins.app import ApiClient
from tests.refunds.helpers import (
    bsc_address,
    expire,
    new_invoice,
    overpaid_invoice,
    partial_expired_invoice,
    pay,
)

S = RefundStatus
BIG = 10**12  # an auto-approval limit no test refund reaches

Create = Callable[..., Awaitable[Refund]]


@pytest.fixture
def create(db_pool: asyncpg.Pool, rate_book: RateBook,
           merchant_client: tuple[str, ApiClient]) -> Create:
    merchant_id = merchant_client[0]

    async def make(invoice_id: str, **kwargs: Any) -> Refund:
        args: dict[str, Any] = {"amount": None, "asset_id": None, "address": None,
                                "rate_kind": RateKind.CURRENT, "reason": None,
                                "auto_approve_max": BIG, **kwargs}
        async with db_pool.acquire() as conn, conn.transaction():
            return await service.create_refund(conn, rate_book, merchant_id=merchant_id,
                                               invoice_id=invoice_id, **args)

    return make


async def _sources(pool: asyncpg.Pool, refund_id: str) -> list[int]:
    rows = await pool.fetch("SELECT units FROM refund_sources WHERE refund_id = $1", refund_id)
    return [int(r["units"]) for r in rows]


async def test_overpaid_excess_goes_back_in_kind(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    client = merchant_client[1]
    invoice = await overpaid_invoice(client, sink)
    address = bsc_address()
    refund = await create(invoice["id"], address=address, reason="overpaid")
    assert (refund.status, refund.amount, refund.stranded_amount, refund.sale_amount) == \
        (S.SENDING, 15_000, 15_000, 0)
    assert (refund.asset_id, refund.chain, refund.address) == ("BNB", "bsc", address)
    assert refund.amount_units == refund.stranded_units == 500_000_000_000_000
    assert refund.sale_units == 0 and refund.claim_token is None and refund.livemode
    assert await _sources(db_pool, refund.id) == [500_000_000_000_000]
    event = await db_pool.fetchrow("SELECT type, data FROM events WHERE merchant_id = $1 "
                                   "AND type = 'refund.created'", merchant_client[0])
    assert event is not None
    data = event["data"]
    assert (data["object"], data["id"], data["invoice"]) == ("refund", refund.id, invoice["id"])
    assert (data["amount"], data["amount_units"], data["status"]) == \
        (15_000, "500000000000000", "sending")
    with pytest.raises(NothingRefundable):  # all of it is held by the live refund
        await create(invoice["id"], address=address)


async def test_merchant_funded_sale_part_at_the_current_rate(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, create: Create) -> None:
    invoice = await overpaid_invoice(merchant_client[1], sink)
    refund = await create(invoice["id"], amount=65_000, address=bsc_address())
    assert (refund.stranded_amount, refund.sale_amount) == (15_000, 50_000)
    assert refund.rate == Decimal("300000") and refund.rate_kind is RateKind.CURRENT
    assert refund.stranded_units == 500_000_000_000_000
    assert refund.sale_units == 1_666_666_666_666_666
    assert refund.amount_units == 2_166_666_666_666_666
    # What is left: the sale less 50,000 tiyn (150,000 - 50,000), no stranded money.
    with pytest.raises(RefundTooLarge) as over:
        await create(invoice["id"], amount=100_001, address=bsc_address())
    assert over.value.param == "amount"
    locked = await create(invoice["id"], amount=100_000, address=bsc_address(),
                          rate_kind=RateKind.LOCKED)
    assert (locked.stranded_amount, locked.sale_amount, locked.rate) == \
        (0, 100_000, Decimal("300000"))
    assert locked.amount_units == 3_333_333_333_333_333  # 1,000 KZT / 300,000, floored


async def test_partial_then_expired_waits_for_its_address(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create, rate_book: RateBook) -> None:
    invoice = await partial_expired_invoice(merchant_client[1], sink, db_pool)
    refund = await create(invoice["id"])
    assert refund.status is S.AWAITING_ADDRESS and refund.address is None
    assert (refund.amount, refund.amount_units) == (60_000, 2 * 10**15)
    assert refund.claim_token is not None and len(refund.claim_token) == 32
    assert service.claim_url("https://pay.example", refund) == \
        f"https://pay.example/refunds/claim/{refund.claim_token}"
    async with db_pool.acquire() as conn, conn.transaction():
        found = await service.refund_for_claim(conn, refund.claim_token)
        assert await service.claim_assets(conn, found) == ["BNB"]
        with pytest.raises(InvalidRefundAddress):
            await service.claim_refund(conn, rate_book, token=refund.claim_token,
                                       asset_id="BNB", address=bsc_address().lower(),
                                       auto_approve_max=BIG)
    address = bsc_address()
    async with db_pool.acquire() as conn, conn.transaction():
        claimed = await service.claim_refund(conn, rate_book, token=refund.claim_token,
                                             asset_id="BNB", address=address,
                                             auto_approve_max=BIG)
    assert (claimed.status, claimed.address, claimed.amount_units) == \
        (S.SENDING, address, 2 * 10**15)


async def test_partial_amount_takes_its_share_of_the_units(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    invoice = await partial_expired_invoice(merchant_client[1], sink, db_pool)
    first = await create(invoice["id"], amount=20_000, address=bsc_address())
    # 20,000 of 60,000 tiyn: a third of 2e15 wei, floored.
    assert first.amount_units == 666_666_666_666_666
    rest = await create(invoice["id"], address=bsc_address())
    assert (rest.amount, rest.amount_units) == (40_000, 2 * 10**15 - 666_666_666_666_666)


async def test_refusals(merchant_client: tuple[str, ApiClient], sink: TransferSink,
                        db_pool: asyncpg.Pool, create: Create,
                        make_merchant: Callable[..., Awaitable[str]]) -> None:
    client = merchant_client[1]
    unpaid = await new_invoice(client)
    with pytest.raises(NothingRefundable):
        await create(unpaid["id"], address=bsc_address())
    with pytest.raises(NothingRefundable):
        await create(unpaid["id"], amount=100, address=bsc_address())
    expired = await partial_expired_invoice(client, sink, db_pool)
    with pytest.raises(RefundTooLarge):  # not settled: no sale to return
        await create(expired["id"], amount=60_001, address=bsc_address())
    for bad in (bsc_address().lower(), "0x1234", "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"):
        with pytest.raises(InvalidRefundAddress) as refused:
            await create(expired["id"], address=bad)
        assert (refused.value.code, refused.value.param) == ("invalid_address", "address")
    with pytest.raises(ApiError) as asset:
        await create(expired["id"], asset_id="SOL", address=bsc_address())
    assert asset.value.code == "nothing_refundable"
    other = await make_merchant()
    async with db_pool.acquire() as conn, conn.transaction():
        with pytest.raises(NotFound):
            await service.create_refund(
                conn, None, merchant_id=other, invoice_id=expired["id"],  # type: ignore[arg-type]
                amount=None, asset_id=None, address=None, rate_kind=RateKind.CURRENT,
                reason=None, auto_approve_max=BIG)
    assert await db_pool.fetchval("SELECT count(*) FROM refunds WHERE invoice_id = ANY($1)",
                                  [unpaid["id"], expired["id"]]) == 0


async def test_stranded_in_two_assets_needs_asset_id(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    client = merchant_client[1]
    response = await client.post("/v1/invoices", {"amount": 150_000,
                                                  "assets": ["BNB", "USDT_BSC"]})
    invoice = response.body
    await pay(sink, invoice, 10**15)
    await pay(sink, invoice, 10**18, asset="USDT_BSC")  # 1 USDT = 500.00 KZT
    await expire(db_pool, invoice["id"])
    with pytest.raises(ApiError) as ambiguous:
        await create(invoice["id"], address=bsc_address())
    assert (ambiguous.value.code, ambiguous.value.param) == ("asset_required", "asset_id")
    assert "BNB, USDT_BSC" in ambiguous.value.message
    usdt = await create(invoice["id"], asset_id="USDT_BSC", address=bsc_address())
    assert (usdt.asset_id, usdt.amount, usdt.amount_units) == ("USDT_BSC", 50_000, 10**18)
    bnb = await create(invoice["id"], address=bsc_address())  # only BNB is left
    assert (bnb.asset_id, bnb.amount, bnb.amount_units) == ("BNB", 30_000, 10**15)


async def test_cancel_releases_the_money(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    merchant_id, client = merchant_client
    invoice = await partial_expired_invoice(client, sink, db_pool)
    waiting = await create(invoice["id"])
    async with db_pool.acquire() as conn, conn.transaction():
        cancelled = await service.cancel_refund(conn, merchant_id=merchant_id,
                                                refund_id=waiting.id)
    assert cancelled.status is S.CANCELLED
    sending = await create(invoice["id"], address=bsc_address())
    assert sending.amount == 60_000  # released by the cancel
    async with db_pool.acquire() as conn, conn.transaction():
        with pytest.raises(RefundNotCancellable) as refused:
            await service.cancel_refund(conn, merchant_id=merchant_id, refund_id=sending.id)
    assert refused.value.status == 409


async def test_approval_threshold(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    invoice = await partial_expired_invoice(merchant_client[1], sink, db_pool)
    at_limit = await create(invoice["id"], amount=10_000, address=bsc_address(),
                            auto_approve_max=10_000)
    assert at_limit.status is S.SENDING
    above = await create(invoice["id"], amount=10_001, address=bsc_address(),
                         auto_approve_max=10_000)
    assert above.status is S.PENDING_APPROVAL
    other = await create(invoice["id"], amount=10_001, address=bsc_address(),
                         auto_approve_max=0)
    async with db_pool.acquire() as conn, conn.transaction():
        approved = await service.approve_refund(conn, refund_id=above.id, admin="ops")
        rejected = await service.reject_refund(conn, refund_id=other.id, admin="ops",
                                               reason="looks like fraud")
        with pytest.raises(ApiError) as twice:
            await service.approve_refund(conn, refund_id=above.id, admin="ops")
    assert (approved.status, approved.decided_by) == (S.SENDING, "ops")
    assert approved.decided_at is not None
    assert (rejected.status, rejected.failure_reason) == (S.CANCELLED, "looks like fraud")
    assert twice.value.code == "refund_not_pending"


async def test_list_pages_and_filters(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    merchant_id, client = merchant_client
    one = await partial_expired_invoice(client, sink, db_pool)
    two = await partial_expired_invoice(client, sink, db_pool)
    made = [await create(one["id"], amount=10_000) for _ in range(3)]
    made.append(await create(two["id"], amount=10_000, address=bsc_address()))
    async with db_pool.acquire() as conn:
        page = await service.list_refunds(conn, merchant_id=merchant_id, invoice_id=None,
                                          status=None, starting_after=None, limit=2)
        rest = await service.list_refunds(conn, merchant_id=merchant_id, invoice_id=None,
                                          status=None, starting_after=page[-1].id, limit=10)
        of_one = await service.list_refunds(conn, merchant_id=merchant_id,
                                            invoice_id=one["id"], status=None,
                                            starting_after=None, limit=10)
        sending = await service.list_refunds(conn, merchant_id=merchant_id, invoice_id=None,
                                             status=S.SENDING, starting_after=None, limit=10)
    newest_first = [r.id for r in reversed(made)]
    assert [r.id for r in page + rest] == newest_first
    assert [r.id for r in of_one] == newest_first[1:]
    assert [r.id for r in sending] == [made[-1].id]


async def test_two_parallel_refunds_of_everything_one_wins(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create) -> None:
    invoice = await partial_expired_invoice(merchant_client[1], sink, db_pool)
    results = await asyncio.gather(*(create(invoice["id"], address=bsc_address())
                                     for _ in range(2)), return_exceptions=True)
    made = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if not isinstance(r, Refund)]
    assert len(made) == 1 and made[0].amount == 60_000
    assert len(refused) == 1 and isinstance(refused[0], NothingRefundable)
    assert await db_pool.fetchval("SELECT sum(units) FROM refund_sources s JOIN refunds r "
                                  "ON r.id = s.refund_id WHERE r.invoice_id = $1",
                                  invoice["id"]) == 2 * 10**15


async def test_a_sale_refund_without_address_is_priced_on_the_claim_page(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        create: Create, rate_book: RateBook) -> None:
    invoice = await new_invoice(merchant_client[1])
    await pay(sink, invoice, 5 * 10**15)  # exactly the 0.005 BNB asked: settled, no excess
    with pytest.raises(NothingRefundable):  # nothing stranded: the sale needs an amount
        await create(invoice["id"])
    refund = await create(invoice["id"], amount=30_000)
    assert (refund.status, refund.asset_id, refund.amount_units, refund.sale_amount) == \
        (S.AWAITING_ADDRESS, None, None, 30_000)
    assert refund.claim_token is not None
    async with db_pool.acquire() as conn, conn.transaction():
        assert await service.claim_assets(conn, refund) == ["BNB"]
        with pytest.raises(ApiError) as other:
            await service.claim_refund(conn, rate_book, token=refund.claim_token,
                                       asset_id="SOL", address=bsc_address(),
                                       auto_approve_max=BIG)
        assert (other.value.code, other.value.param) == ("unknown_asset", "asset_id")
    async with db_pool.acquire() as conn, conn.transaction():
        claimed = await service.claim_refund(conn, rate_book, token=refund.claim_token,
                                             asset_id="BNB", address=bsc_address(),
                                             auto_approve_max=10_000)
    # 300.00 KZT at 300,000 KZT/BNB = 0.001 BNB; above the limit of 100.00 KZT: approval.
    assert (claimed.status, claimed.asset_id, claimed.rate) == \
        (S.PENDING_APPROVAL, "BNB", Decimal("300000"))
    assert claimed.sale_units == claimed.amount_units == 10**15
    async with db_pool.acquire() as conn, conn.transaction():
        with pytest.raises(ApiError) as twice:
            await service.claim_refund(conn, rate_book, token=refund.claim_token,
                                       asset_id="BNB", address=bsc_address(),
                                       auto_approve_max=BIG)
    assert twice.value.code == "refund_already_claimed"
