"""`python -m gateway treasury|reconcile|settlement ...`: the operator's settlement commands
(every change audited with the actor `cli`).

    treasury convert --asset bsc:USDT --units N --kzt TIYN [--reference R]
    reconcile [run] | reconcile assign TRANSFER --invoice INV | reconcile refund TRANSFER
    settlement close [--day D] | export [--day D | --batch ID ...] | list [--day D --status S]
    settlement mark-paid BATCH --reference R | mark-failed BATCH --reference R [--reason T]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from gateway.admin.audit import CLI_ACTOR
from gateway.admin.settlement import service
from gateway.config import Settings
from gateway.db.oneshot import run_job
from settlement.batches import service as batches
from settlement.batches.states import BatchStatus
from settlement.db import Conn
from settlement.payouts.service import ExportRequest

Action = Callable[[Conn, argparse.Namespace, Settings], Awaitable[Any]]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    treasury = sub.add_parser("treasury", help="treasury operations").add_subparsers(
        dest="action", required=True)
    conv = treasury.add_parser("convert", help="book crypto sold for tenge (FX result)")
    conv.add_argument("--asset", required=True, help="currency code, e.g. bsc:USDT")
    conv.add_argument("--units", required=True, type=int, help="crypto base units sold")
    conv.add_argument("--kzt", required=True, type=int, help="tiyn received in the bank")
    conv.add_argument("--reference", help="the exchange/bank reference (idempotency)")
    conv.set_defaults(func=_handler(_convert))

    rec = sub.add_parser("reconcile", help="ledger vs chains, trial balance, unmatched")
    rec.set_defaults(func=_handler(_reconcile))
    rec_sub = rec.add_subparsers(dest="action")
    rec_sub.add_parser("run", help="run a reconciliation (default)").set_defaults(
        func=_handler(_reconcile))
    assign = rec_sub.add_parser("assign", help="assign an unmatched payment to an invoice")
    assign.add_argument("transfer")
    assign.add_argument("--invoice", required=True)
    assign.add_argument("--note")
    assign.set_defaults(func=_handler(_assign))
    refund = rec_sub.add_parser("refund", help="mark an unmatched payment for refund")
    refund.add_argument("transfer")
    refund.add_argument("--note")
    refund.set_defaults(func=_handler(_refund))

    _register_settlement(sub)


def _register_settlement(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    st = sub.add_parser("settlement", help="daily batches and payouts").add_subparsers(
        dest="action", required=True)
    close = st.add_parser("close", help="close a business day (default: the last one ended)")
    close.add_argument("--day", type=date.fromisoformat)
    close.set_defaults(func=_handler(_close))
    export = st.add_parser("export", help="write a pain.001 file for closed batches")
    export.add_argument("--day", type=date.fromisoformat, help="closed batches up to this day")
    export.add_argument("--batch", action="append", help="a batch id (repeatable)")
    export.set_defaults(func=_handler(_export))
    for name, func in (("mark-paid", _paid), ("mark-failed", _failed)):
        cmd = st.add_parser(name, help=f"{name.replace('-', ' ')} with the bank's reference")
        cmd.add_argument("batch")
        cmd.add_argument("--reference", required=True)
        if name == "mark-failed":
            cmd.add_argument("--reason")
        cmd.set_defaults(func=_handler(func))
    lst = st.add_parser("list", help="list batches")
    lst.add_argument("--day", type=date.fromisoformat)
    lst.add_argument("--status", choices=[s.value for s in BatchStatus])
    lst.set_defaults(func=_handler(_list))


def _handler(action: Action) -> Callable[[argparse.Namespace, Settings], int]:
    def handle(args: argparse.Namespace, settings: Settings) -> int:
        result = run_job(settings, lambda conn: action(conn, args, settings))
        print(json.dumps(result, indent=2, default=str))
        return 0
    return handle


async def _convert(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    done = await service.book_conversion(conn, CLI_ACTOR, asset=args.asset, units=args.units,
                                         kzt_received=args.kzt, reference=args.reference)
    return service.conversion_json(done)


async def _reconcile(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    return (await service.run_reconciliation(conn, CLI_ACTOR, settings)).as_json()


async def _assign(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    return await service.resolve_payment(conn, CLI_ACTOR, settings, args.transfer,
                                         action="assign", invoice_id=args.invoice, note=args.note)


async def _refund(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    return await service.resolve_payment(conn, CLI_ACTOR, settings, args.transfer,
                                         action="refund", note=args.note)


async def _close(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    result = await service.close_day(conn, CLI_ACTOR, settings, args.day)
    return {"business_day": result.business_day.isoformat(),
            "closed": [b.as_json() for b in result.closed],
            "carried_forward": [b.as_json() for b in result.carried_forward]}


async def _export(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    request = ExportRequest(batch_ids=args.batch, up_to_day=args.day)
    payout = await service.export(conn, CLI_ACTOR, settings, request)
    if payout is None:
        return {"exported": 0}
    return {"file_id": payout.id, "path": str(service.payout_dir(settings) / payout.file_name()),
            "transfers": payout.transfer_count, "control_sum_tiyn": payout.control_sum,
            "batches": list(payout.batch_ids)}


async def _paid(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    return (await service.mark(conn, CLI_ACTOR, args.batch, "paid", args.reference)).as_json()


async def _failed(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    batch = await service.mark(conn, CLI_ACTOR, args.batch, "failed", args.reference,
                               args.reason)
    return batch.as_json()


async def _list(conn: Conn, args: argparse.Namespace, settings: Settings) -> Any:
    found = await batches.list_batches(
        conn, status=BatchStatus(args.status) if args.status else None,
        day_from=args.day, day_to=args.day)
    return [b.as_json() for b in found]
