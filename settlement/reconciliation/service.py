"""Reconciliation rules: compare the books with the chains and with themselves.

The caller (gateway.admin.settlement) brings what only it can know: balances the chain nodes
report (`Observation`), what each deposit address / treasury account should hold according to
the watcher's final transfers (`AddressExpectation`), the units of the transfers the invoice
flow booked, per currency (`booked`), and the on-chain payments no invoice took
(`UnmatchedPayment`). This module compares and stores; it never talks to a node.

Lines of a run (every difference is listed, none is netted away):
- address: per deposit address (BNB Chain) or treasury account (Solana) and asset, the sum of
  the watcher's final transfers vs the balance the node reports; `difference` = chain -
  expected (money the watcher never recorded, or that left the address);
- custody: per currency, the ledger's custody:<chain>:<asset> (straight posting sums) vs the
  booked transfers less what treasury conversions took out of custody, plus what refunds
  moved (settlement.refund_booking: stranded units in and out, sale parts and network fees
  out); `difference` = expected - ledger;
- trial_balance: a currency whose debits and credits over the whole ledger differ;
- unmatched_payment: a payment no invoice took (no invoice, a wrong asset, after settlement,
  to an invalid or cancelled invoice), without an operator's decision yet;
- stranded_payment: money credited to an invoice that then expired (a partial or a late
  payment not accepted), and dust (one line per address), without a decision yet;
- vanished_transfer: a booked transfer its chain no longer has (a fork below finality, found
  by the gateway's `chains resync`), without a decision yet. The address line does not
  expect it on chain any more; until an operator acknowledges it, the run says so.

Decisions: an operator may `acknowledge` a difference line (address, custody, trial_balance,
fetch_error) from the exceptions queue. The decision is kept by the difference's identity
(`identity_of`: what it is and its amount), so the same difference in a later run is shown
with it; a run whose every line is decided is `explained`, never `balanced`.

Holdings: per address and asset a run also keeps what explains the chain's balance, to the
base unit (`Holding`): booked (final, credited to a settled invoice) + pending (credited to
an invoice still open) + stranded + unmatched (every other exceptions-queue payment) +
refunded - vanished (booked, and gone from the chain), against the balance the node reported.
Refunded: the units of the address's transfers that live refunds (any status but failed or
cancelled, in flight included) hold, taken out of the bucket the transfer was in. Refunds
are sent from the refund hot wallets, never from a deposit address, so those units stay on
the address while they are no longer stranded (nor in the exceptions queue, which leaves out
a payment live refunds hold in full); a failed or cancelled refund gives them back.

Per address the chain holds booked + pending + stranded + unmatched + refunded - vanished to
the base unit: the address line compares the node with the sum of all final transfers, and
every final transfer that is not booked is one of the two payment lines above, so a run is
`balanced` only when nothing on any address is left unexplained. The caller hands in every
undecided item: nothing is truncated.
- fetch_error: a balance the node could not give (that address line is then skipped).

Refund hot wallets: refunds leave from hot wallets the operator funds outside the ledger, so
the books cannot say what a wallet holds. A wallet's asset is expected to hold its opening
(the balance a run read, stored in reconciliation_wallet_openings) less what refunds and
their network fees moved out of it since (`RefundWallet`, brought by the caller). Every run
notes each wallet's figures; a wallet that holds anything else is a `refund_wallet` line
(`difference` = chain - expected), an item of the exceptions queue like the other
differences. The first run that reads a wallet's asset records its opening; acknowledging a
`refund_wallet` difference (a top-up or a withdrawal outside the gateway) makes the balance
that run read the new opening, so later runs compare from there.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog

from settlement import ledger
from settlement.db import Conn, db_now
from settlement.reconciliation import queries
from settlement.reconciliation.errors import (
    AlreadyResolved,
    DifferenceNotFound,
    ReconciliationError,
    RunNotFound,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Observation:
    """A balance a chain reported (units None and `error` set when the call failed)."""

    chain: str
    asset: str  # currency code, e.g. bsc:USDT
    address: str
    units: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AddressExpectation:
    chain: str
    asset: str
    address: str
    units: int


@dataclass(frozen=True, slots=True)
class Holding:
    """What explains one address's balance of one asset (base units)."""

    chain: str
    asset: str  # currency code
    address: str
    booked: int = 0
    pending: int = 0
    stranded: int = 0
    unmatched: int = 0
    refunded: int = 0  # held by live refunds, sent from the hot wallets: still here
    vanished: int = 0

    @property
    def expected(self) -> int:
        return (self.booked + self.pending + self.stranded + self.unmatched + self.refunded
                - self.vanished)

    @property
    def empty(self) -> bool:
        return not any((self.booked, self.pending, self.stranded, self.unmatched,
                        self.refunded, self.vanished))


@dataclass(frozen=True, slots=True)
class HoldingLine:
    """A holding with what the chain reported (None: no balance) and the difference."""

    holding: Holding
    chain_units: int | None

    @property
    def difference(self) -> int | None:
        return None if self.chain_units is None else self.chain_units - self.holding.expected

    def as_json(self) -> dict[str, Any]:
        h = self.holding
        amounts = {"booked": h.booked, "pending": h.pending, "stranded": h.stranded,
                   "unmatched": h.unmatched, "refunded": h.refunded, "vanished": h.vanished,
                   "expected": h.expected, "chain_units": self.chain_units,
                   "difference": self.difference}
        # Base units exceed JSON's safe integers: strings, like every crypto amount.
        return {"chain": h.chain, "asset": h.asset, "address": h.address,
                **{k: None if v is None else str(v) for k, v in amounts.items()}}


def holding_lines(holdings: Sequence[Holding],
                  observations: Sequence[Observation]) -> list[HoldingLine]:
    """Every holding with something in it or on chain, with the node's balance."""
    seen = {(o.chain, o.asset, o.address): o.units for o in observations}
    lines = [HoldingLine(h, seen.get((h.chain, h.asset, h.address))) for h in holdings]
    return [ln for ln in lines if not ln.holding.empty or ln.chain_units]


@dataclass(frozen=True, slots=True)
class UnmatchedPayment:
    """An amount on chain the books do not hold: `kind` is its exceptions-queue kind
    (unmatched, wrong_asset, after_settlement, unapplied, stranded, dust)."""

    transfer_id: str
    chain: str
    asset: str
    address: str
    units: int
    tx: str | None
    kind: str = "unmatched"
    transfers: int = 1


STRANDED_KINDS = frozenset({"stranded", "dust"})
REFUND_WALLET = "refund_wallet"
# Lines an operator acknowledges (payments and vanished transfers are decided as the
# exceptions-queue items they are).
DIFFERENCE_KINDS = frozenset({"address", "custody", "trial_balance", "fetch_error",
                              REFUND_WALLET})
BALANCED, EXPLAINED, DIFFERENCES = "balanced", "explained", "differences"


@dataclass(frozen=True, slots=True)
class VanishedTransfer:
    """A booked transfer the chain no longer has: in the books, not on chain."""

    transfer_id: str
    chain: str
    asset: str  # currency code
    address: str
    units: int
    tx: str


@dataclass(frozen=True, slots=True)
class Opening:
    """A refund hot wallet's balance as a run read it at `as_of`."""

    units: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class RefundWallet:
    """One asset of a refund hot wallet: its opening (None: none recorded yet) and what
    refunds moved out of it since (`refunds_out`: the refunded units of transactions final
    since the opening; `fees_out`: network fees, in the native asset, of transactions final
    or failed since then). `read_at`: when these were read (a new opening's as_of)."""

    chain: str
    asset: str  # currency code
    address: str  # where the balance is read (Solana tokens: the wallet's token account)
    opening: Opening | None
    read_at: datetime
    refunds_out: int = 0
    fees_out: int = 0

    @property
    def expected(self) -> int | None:
        if self.opening is None:
            return None
        return self.opening.units - self.refunds_out - self.fees_out


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    chain: str | None = None
    asset: str | None = None
    address: str | None = None
    ledger_amount: int | None = None
    chain_amount: int | None = None
    difference: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("ledger_amount", "chain_amount", "difference"):
            # Base units exceed JSON's safe integers: strings, like every crypto amount.
            out[key] = None if out[key] is None else str(out[key])
        return out


def identity_of(line: Line, run_id: str) -> str | None:
    """What a difference line is, across runs (None: not a difference line). A fetch error
    is one run's: acknowledging it says nothing about the next time a node fails; a refund
    wallet's difference is its opening's (an acknowledge records a new opening)."""
    if line.kind not in DIFFERENCE_KINDS:
        return None
    amount = run_id if line.kind == "fetch_error" else str(line.difference)
    if line.kind == REFUND_WALLET:
        amount = f"{amount}@{line.detail.get('opening_as_of')}"
    return "|".join((line.kind, line.chain or "", line.asset or "", line.address or "",
                     amount))


def run_status(lines: Sequence[Line]) -> str:
    """balanced: nothing to show; explained: every line has an operator's decision."""
    if not lines:
        return BALANCED
    return EXPLAINED if all("decision" in line.detail for line in lines) else DIFFERENCES


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    started_at: datetime
    status: str
    lines: list[Line]
    trial_balance: dict[str, int]
    notes: list[str]
    holdings: list[HoldingLine] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": self.started_at.isoformat(),
                "status": self.status, "difference_count": len(self.lines),
                "trial_balance": {k: str(v) for k, v in self.trial_balance.items()},
                "notes": self.notes, "lines": [line.as_json() for line in self.lines],
                "holdings": [h.as_json() for h in self.holdings]}


async def _ledger_custody(conn: Conn) -> dict[str, int]:
    codes = await queries.custody_codes(conn)
    sums = await ledger.posting_sums(conn, codes)
    return {code.removeprefix("custody:"): debits - credits
            for code, (debits, credits) in sums.items()}


def custody_lines(books: Mapping[str, int], booked: Mapping[str, int],
                  converted: Mapping[str, int],
                  refunded: Mapping[str, int] | None = None) -> list[Line]:
    """Ledger custody per currency vs booked transfers less conversions out of custody,
    plus what refunds moved in it (`refunded`: debits less credits of refund entries)."""
    refunded = refunded or {}
    lines = []
    for code in sorted(set(books) | set(booked)):
        expected = booked.get(code, 0) - converted.get(code, 0) + refunded.get(code, 0)
        in_books = books.get(code, 0)
        if expected != in_books:
            lines.append(Line("custody", code.partition(":")[0], code, None, in_books,
                              expected, expected - in_books,
                              {"booked_transfers": str(booked.get(code, 0)),
                               "converted": str(converted.get(code, 0)),
                               "refunds": str(refunded.get(code, 0))}))
    return lines


def fetch_errors(observations: Sequence[Observation]) -> list[Line]:
    return [Line("fetch_error", o.chain, o.asset, o.address, detail={"error": o.error or "?"})
            for o in observations if o.units is None]


def address_lines(expected: Sequence[AddressExpectation],
                  observations: Sequence[Observation]) -> list[Line]:
    seen = {(o.chain, o.asset, o.address): o.units for o in observations}
    lines = []
    for e in expected:
        observed = seen.get((e.chain, e.asset, e.address))
        if observed is not None and observed != e.units:
            lines.append(Line("address", e.chain, e.asset, e.address, e.units, observed,
                              observed - e.units))
    return lines


async def unmatched_lines(conn: Conn, payments: Sequence[UnmatchedPayment]) -> list[Line]:
    decided = {r["transfer_id"] for r in
               await queries.resolutions(conn, [p.transfer_id for p in payments])}
    return [Line("stranded_payment" if p.kind in STRANDED_KINDS else "unmatched_payment",
                 p.chain, p.asset, p.address, None, p.units, p.units,
                 {"transfer_id": p.transfer_id, "tx": p.tx, "kind": p.kind,
                  "transfers": p.transfers,
                  "actions": ["accept", "refund"] if p.kind == "stranded"
                  else ["assign", "refund"]})
            for p in payments if p.transfer_id not in decided]


def _wallet_detail(w: RefundWallet) -> dict[str, Any]:
    opening = w.opening
    return {"opening": None if opening is None else str(opening.units),
            "opening_as_of": None if opening is None else opening.as_of.isoformat(),
            "refunds_out": str(w.refunds_out), "fees_out": str(w.fees_out),
            "read_at": w.read_at.isoformat()}


def wallet_lines(wallets: Sequence[RefundWallet],
                 observations: Sequence[Observation]) -> list[Line]:
    """A wallet asset that holds other than its opening less refunds and fees since."""
    seen = {(o.chain, o.asset, o.address): o.units for o in observations}
    lines = []
    for w in wallets:
        observed, expected = seen.get((w.chain, w.asset, w.address)), w.expected
        if observed is not None and expected is not None and observed != expected:
            lines.append(Line(REFUND_WALLET, w.chain, w.asset, w.address, expected, observed,
                              observed - expected, _wallet_detail(w)))
    return lines


def wallet_notes(wallets: Sequence[RefundWallet],
                 observations: Sequence[Observation]) -> list[str]:
    """Each refund wallet's figures, balanced or not (base units)."""
    seen = {(o.chain, o.asset, o.address): o.units for o in observations}
    notes = []
    for w in wallets:
        observed = seen.get((w.chain, w.asset, w.address))
        if observed is None:
            continue
        if w.opening is None:
            notes.append(f"refund wallet {w.chain} {w.asset} {w.address}: opening {observed} "
                         "recorded")
            continue
        notes.append(f"refund wallet {w.chain} {w.asset} {w.address}: chain {observed}, "
                     f"opening {w.opening.units} at {w.opening.as_of.isoformat()} - refunds "
                     f"{w.refunds_out} - fees {w.fees_out} = {w.expected}")
    return notes


def new_openings(wallets: Sequence[RefundWallet],
                 observations: Sequence[Observation]) -> list[tuple[RefundWallet, int]]:
    """Wallet assets read for the first time, with the balance that becomes their opening."""
    seen = {(o.chain, o.asset, o.address): o.units for o in observations}
    found = []
    for w in wallets:
        units = seen.get((w.chain, w.asset, w.address))
        if w.opening is None and units is not None:
            found.append((w, units))
    return found


async def wallet_openings(conn: Conn) -> dict[tuple[str, str, str], Opening]:
    """The latest opening per (chain, currency code, address) of the refund hot wallets."""
    return {(r["chain"], r["asset"], r["address"]): Opening(int(r["units"]), r["as_of"])
            for r in await queries.wallet_openings(conn)}


def vanished_lines(vanished: Sequence[VanishedTransfer]) -> list[Line]:
    return [Line("vanished_transfer", v.chain, v.asset, v.address, v.units, 0, -v.units,
                 {"transfer_id": v.transfer_id, "tx": v.tx, "actions": ["acknowledge"]})
            for v in vanished]


async def reconcile(
    conn: Conn, *, observations: Sequence[Observation], booked: Mapping[str, int],
    expected: Sequence[AddressExpectation] = (), unmatched: Sequence[UnmatchedPayment] = (),
    vanished: Sequence[VanishedTransfer] = (), holdings: Sequence[Holding] = (),
    wallets: Sequence[RefundWallet] = (), notes: Sequence[str] = (),
) -> Run:
    """Compare, store and return one run (see the module docstring for its lines)."""
    started = await db_now(conn)
    converted = {code.removeprefix("custody:"): units for code, units in
                 (await queries.custody_conversions(conn)).items()}
    refunded = {code.removeprefix("custody:"): units for code, units in
                (await queries.custody_refunds(conn)).items()}
    custody = custody_lines(await _ledger_custody(conn), booked, converted, refunded)
    trial = await ledger.trial_balance(conn)
    lines = [*fetch_errors(observations), *address_lines(expected, observations), *custody,
             *[Line("trial_balance", None, cur, None, None, None, net)
               for cur, net in sorted(trial.items()) if net != 0],
             *await unmatched_lines(conn, unmatched), *vanished_lines(vanished),
             *wallet_lines(wallets, observations)]
    run_id = f"rec_{secrets.token_hex(10)}"
    lines = await _with_decisions(conn, lines, run_id)
    run = Run(run_id, started, run_status(lines), lines, trial,
              [*notes, *wallet_notes(wallets, observations)],
              holding_lines(holdings, observations))
    await _store(conn, run, new_openings(wallets, observations))
    log.info("reconciliation_run", run_id=run.id, status=run.status, differences=len(lines))
    return run


async def _with_decisions(conn: Conn, lines: list[Line], run_id: str) -> list[Line]:
    """The lines, each difference an operator already decided on marked with the decision."""
    identities = [identity_of(line, run_id) for line in lines]
    decided = await queries.decisions(conn, [i for i in identities if i is not None])
    return [replace(line, detail={**line.detail, "decision": decided[identity]})
            if identity in decided else line
            for line, identity in zip(lines, identities, strict=True)]


async def _store(conn: Conn, run: Run,
                 openings: Sequence[tuple[RefundWallet, int]] = ()) -> None:
    cols: list[list[Any]] = [[] for _ in range(10)]
    for seq, line in enumerate(run.lines, start=1):
        values = (seq, line.kind, line.chain, line.asset, line.address, line.ledger_amount,
                  line.chain_amount, line.difference, json.dumps(line.detail),
                  identity_of(line, run.id))
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    async with conn.transaction():
        await queries.insert_run(conn, run.id, run.started_at, run.status, len(run.lines),
                                 {k: str(v) for k, v in run.trial_balance.items()}, run.notes)
        if run.lines:
            await queries.insert_items(conn, run.id, cols)
        if run.holdings:
            await queries.insert_holdings(conn, run.id, _holding_columns(run.holdings))
        for wallet, units in openings:
            await queries.insert_wallet_opening(conn, wallet.chain, wallet.asset,
                                                wallet.address, units, wallet.read_at, run.id)


def _holding_columns(lines: Sequence[HoldingLine]) -> list[list[Any]]:
    rows = [(ln.holding.chain, ln.holding.asset, ln.holding.address, ln.chain_units,
             ln.holding.booked, ln.holding.pending, ln.holding.stranded, ln.holding.unmatched,
             ln.holding.refunded, ln.holding.vanished, ln.difference) for ln in lines]
    return [list(col) for col in zip(*rows, strict=True)]


async def list_runs(conn: Conn, limit: int = 50) -> list[dict[str, Any]]:
    return [_run_json(r) for r in await queries.runs(conn, limit)]


def _run_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "started_at": row["started_at"].isoformat(),
            "status": row["status"], "difference_count": row["difference_count"],
            "trial_balance": json.loads(row["trial_balance"]), "notes": json.loads(row["notes"])}


def _stored_holding(row: Any) -> HoldingLine:
    units = {k: int(row[k]) for k in ("booked", "pending", "stranded", "unmatched",
                                      "refunded", "vanished")}
    chain_units = None if row["chain_units"] is None else int(row["chain_units"])
    return HoldingLine(Holding(row["chain"], row["asset"], row["address"], **units),
                       chain_units)


async def get_run(conn: Conn, run_id: str) -> dict[str, Any]:
    row = await queries.run(conn, run_id)
    if row is None:
        raise RunNotFound(f"no reconciliation run {run_id}")
    out = _run_json(row)
    out["lines"] = [
        {"seq": r["seq"], "kind": r["kind"], "chain": r["chain"], "asset": r["asset"],
         "address": r["address"],
         # int() first: asyncpg may decode numeric(78,0) as Decimal('1.6500E+16').
         **{k: None if r[k] is None else str(int(r[k]))
            for k in ("ledger_amount", "chain_amount", "difference")},
         "detail": json.loads(r["detail"])}
        for r in await queries.items(conn, run_id)
    ]
    out["holdings"] = [_stored_holding(r).as_json()
                       for r in await queries.holdings(conn, run_id)]
    return out


async def acknowledge_difference(conn: Conn, run_id: str, seq: int,
                                 note: str | None = None) -> dict[str, Any]:
    """The operator's `acknowledge` of a difference line: it stands for the same difference
    in every later run (see `identity_of`)."""
    row = await queries.item(conn, run_id, seq)
    if row is None or row["identity"] is None:
        raise DifferenceNotFound(f"run {run_id} has no difference line {seq}")
    decided = await queries.insert_decision(conn, row["identity"], "acknowledge", note,
                                            run_id, seq)
    if decided is None:
        raise AlreadyResolved(f"the difference of line {seq} of {run_id} already has a "
                              "decision")
    if row["kind"] == REFUND_WALLET:
        await _reopen_wallet(conn, row)
    log.info("reconciliation_difference_acknowledged", run_id=run_id, seq=seq,
             kind=row["kind"])
    return {"run_id": run_id, "seq": seq, "kind": row["kind"], "action": "acknowledge",
            "note": note, "decided_at": decided["decided_at"].isoformat()}


async def _reopen_wallet(conn: Conn, row: Any) -> None:
    """An acknowledged refund wallet difference: the balance that run read is the opening
    from the moment its facts were read."""
    read_at = datetime.fromisoformat(json.loads(row["detail"])["read_at"])
    await queries.insert_wallet_opening(conn, row["chain"], row["asset"], row["address"],
                                        int(row["chain_amount"]), read_at, row["run_id"])
    log.info("refund_wallet_reopened", run_id=row["run_id"], chain=row["chain"],
             asset=row["asset"], units=str(row["chain_amount"]))


async def resolve_unmatched(
    conn: Conn, transfer_id: str, *, action: str, invoice_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record the operator's decision: `assign` (to invoice_id) or `refund` to the sender."""
    if action not in ("assign", "refund"):
        raise ReconciliationError(f"action must be assign or refund, got {action!r}")
    if (action == "assign") != (invoice_id is not None):
        raise ReconciliationError("assign needs an invoice id; refund takes none")
    row = await queries.insert_resolution(conn, transfer_id, action, invoice_id, note)
    if row is None:
        raise AlreadyResolved(f"unmatched payment {transfer_id} already has a decision")
    log.info("unmatched_payment_resolved", transfer_id=transfer_id, action=action,
             invoice_id=invoice_id)
    return {"transfer_id": row["transfer_id"], "action": row["action"],
            "invoice_id": row["invoice_id"], "note": row["note"],
            "resolved_at": row["resolved_at"].isoformat()}
