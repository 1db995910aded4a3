"""The end-of-run verdict: every coin on chain accounted for, nothing booked twice.

The chains are the truth: each transfer the simulator broadcast is looked up on its chain.
One still there must be listed `final` on its invoice (`payments`) and be either booked
(`counted` on a settled invoice) or stranded/unmatched and visible (`counted: false` and an
item of the exceptions queue with its tx and units, or its address's dust line). One that a
reorg removed must not be final or counted anywhere. Then, per asset, three figures must agree
to the base unit: what the chain holds on our addresses (BNB Chain: every deposit address the
run's invoices got; Solana: the treasury's balances less their value before the run) = the
ledger's custody:<chain>:<asset> + the exceptions queue's units, and the ledger's custody =
the units of the transfers found booked. Finally the books: one settlement entry and one
`invoice.settled` event per settled invoice and none for the others, unique journal
idempotency keys, one invoice per order id (the merchant's retries across API deaths),
nothing left `processing`, every chain `live` in GET /v1/status, a payment made before
expiry and mined again after it (a reorg between) judged on time, and a reconciliation run with
no address, custody, trial-balance or fetch difference (but the Solana treasury's own balance
from before the run).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from settlement.assets import ASSETS, by_currency_code, on_chain
from tests.chaos.api import Api
from tests.chaos.chains import Bsc, Solana
from tests.chaos.payers import Sent

CUSTODY = """
SELECT a.code, sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END) AS units
  FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
 WHERE a.code LIKE 'custody:%' GROUP BY a.code
"""
SETTLEMENT_ENTRIES = """
SELECT reference, count(*) AS entries FROM journal_entries
 WHERE kind = 'invoice_settlement' GROUP BY reference
"""
DUPLICATE_KEYS = "SELECT count(*) - count(DISTINCT idempotency_key) FROM journal_entries"
DUPLICATE_ORDERS = """
SELECT order_id, count(*) AS invoices FROM invoices WHERE order_id LIKE 'chaos-%'
 GROUP BY order_id HAVING count(*) > 1
"""
SETTLED_EVENTS = """
SELECT invoice_id, count(*) AS events FROM events WHERE type = 'invoice.settled'
 GROUP BY invoice_id
"""
PROBLEM_LINES = frozenset({"address", "custody", "trial_balance", "fetch_error"})


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    transfers: Counter[str] = field(default_factory=Counter)  # booked/stranded/... counts
    statuses: Counter[str] = field(default_factory=Counter)
    custody: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # chain/ledger/exc

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


def tx_key(chain: str, tx: str | None) -> str:
    return f"{chain}:{(tx or '').lower() if chain == 'bsc' else tx}"


@dataclass
class Facts:
    sent: list[Sent]
    invoices: dict[str, dict[str, Any]]
    on_chain: dict[str, bool]  # tx_key -> still in the chain, succeeded
    exceptions: list[dict[str, Any]]
    chain_units: dict[str, int]  # asset id -> units on our addresses (run's own)
    solana_before: dict[str, int]  # asset id -> the treasury's balance before the run
    ledger_units: dict[str, int]  # asset id -> custody
    reconciliation: dict[str, Any]
    chain_status: dict[str, dict[str, Any]]


async def gather_facts(sent: list[Sent], invoice_ids: list[str], api: Api, bsc: Bsc,
                       solana: Solana, pool: asyncpg.Pool, solana_before: dict[str, int],
                       reconciliation: dict[str, Any]) -> Facts:
    still_there = {}
    for s in sent:
        ok = await (bsc.mined_ok(s.tx) if s.chain == "bsc" else solana.landed_ok(s.tx))
        still_there[tx_key(s.chain, s.tx)] = ok
    invoices = {i: await api.invoice(i) for i in invoice_ids}
    chain_units = Counter[str]()
    addresses = {o["address"] for i in invoices.values() for o in i["payment_options"]
                 if o["chain"] == "bsc"}
    for address in addresses:  # every BNB Chain asset: a wrong one lands there too
        for asset in on_chain("bsc"):
            chain_units[asset.id] += await bsc.balance(asset.id, address)
    for asset_id, asset in ASSETS.items():
        if asset.chain == "solana":
            now = await solana.treasury_balance(asset_id)
            chain_units[asset_id] = now - solana_before[asset_id]
    async with pool.acquire() as conn:
        custody = await conn.fetch(CUSTODY)
    ledger_units = {}
    for row in custody:
        asset = by_currency_code(row["code"].removeprefix("custody:"))
        assert asset is not None, f"custody account of no asset: {row['code']}"
        ledger_units[asset.id] = int(row["units"])
    return Facts(sent, invoices, still_there, await api.exceptions(), dict(chain_units),
                 solana_before, ledger_units, reconciliation, (await api.status())["chains"])


async def solana_balances(solana: Solana) -> dict[str, int]:
    return {a: await solana.treasury_balance(a) for a, asset in ASSETS.items()
            if asset.chain == "solana"}


def check_transfers(facts: Facts, verdict: Verdict) -> dict[str, int]:
    """Each broadcast transfer: booked, stranded-and-visible or gone; booked units per asset."""
    items = [i for i in facts.exceptions if i["key"].startswith("tr_")]
    by_tx = Counter(tx_key(i["chain"], i["tx"]) for i in items)
    for key, times in by_tx.items():
        if times > 1:
            verdict.fail(f"{key} is {times} items of the exceptions queue")
    listed = {tx_key(i["chain"], i["tx"]): i for i in items}
    dust = {i["asset"] for i in facts.exceptions if i["kind"] == "dust"}
    listed_on: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for invoice in facts.invoices.values():
        for payment in invoice["payments"]:
            listed_on.setdefault(tx_key(payment["chain"], payment["tx"]), []).append(
                (invoice, payment))
    booked = Counter[str]()
    for s in facts.sent:
        key = tx_key(s.chain, s.tx)
        what = f"{key} ({s.units} {s.asset_id} meant for {s.invoice_id}, {s.kind})"
        found = listed_on.get(key, [])
        if not facts.on_chain[key]:
            verdict.transfers["reorged_away"] += 1
            if any(p["status"] != "reverted" or p["counted"] for _, p in found):
                verdict.fail(f"{what} is not on chain but listed {[p for _, p in found]}")
            if key in listed:
                verdict.fail(f"{what} is not on chain but is in the exceptions queue")
            continue
        # Mined again after a reorg, a transfer may have a new log index: a new payment
        # beside the reverted one, which must count for nothing.
        if any(p["counted"] for _, p in found if p["status"] == "reverted"):
            verdict.fail(f"{what}: a reverted payment counts: {[p for _, p in found]}")
        live = [(i, p) for i, p in found if p["status"] != "reverted"]
        if not live:
            _visible_unmatched(s, what, listed.get(key), dust, verdict)
            continue
        invoice, payment = live[0]
        if len(live) != 1 or payment["status"] != "final" \
                or int(payment["amount_units"]) != s.units:
            verdict.fail(f"{what} is on chain but listed as {[p for _, p in found]}")
            verdict.transfers["lost"] += 1
            continue
        if len(found) > 1:
            verdict.transfers["mined_again"] += 1
        if payment["counted"]:
            if invoice["status"] != "settled":
                verdict.fail(f"{what} counted on {invoice['id']} which is {invoice['status']}: "
                             "neither booked nor stranded")
            booked[s.asset_id] += s.units
            verdict.transfers["booked"] += 1
            continue
        _visible_stranded(s, what, listed.get(key), dust, verdict)
        if not invoice["amount_refundable"] and payment["value"]:
            verdict.fail(f"{invoice['id']} has {what} not counted but amount_refundable 0")
    on_chain_keys = {k for k, ok in facts.on_chain.items() if ok}
    for key in listed:
        if key not in on_chain_keys:
            verdict.fail(f"exceptions queue lists {key}, which the run never sent on chain")
    return dict(booked)


def _visible_stranded(s: Sent, what: str, item: dict[str, Any] | None,
                      dust: set[str], verdict: Verdict) -> None:
    if item is not None and int(item["amount_units"]) == s.units:
        verdict.transfers[f"visible:{item['kind']}"] += 1
    elif s.asset_id in dust:
        verdict.transfers["visible:dust"] += 1
    else:
        verdict.fail(f"{what} is on chain, not counted and not in the exceptions queue "
                     f"({item})")
        verdict.transfers["invisible"] += 1


def _visible_unmatched(s: Sent, what: str, item: dict[str, Any] | None,
                       dust: set[str], verdict: Verdict) -> None:
    """On chain and on no invoice: it must be an `unmatched` item of the queue."""
    if item is not None and item["kind"] == "unmatched":
        _visible_stranded(s, what, item, dust, verdict)
    else:
        verdict.fail(f"{what} is on chain but on no invoice and not unmatched ({item})")
        verdict.transfers["lost"] += 1


def check_custody(facts: Facts, booked: dict[str, int], verdict: Verdict) -> None:
    stranded = Counter[str]()
    for item in facts.exceptions:
        if item["key"].startswith("tr_") or item["kind"] == "dust":
            stranded[item["asset"]] += int(item["amount_units"])
    for asset_id in ASSETS:
        chain = facts.chain_units.get(asset_id, 0)
        ledger = facts.ledger_units.get(asset_id, 0)
        verdict.custody[asset_id] = (chain, ledger, stranded[asset_id])
        if chain != ledger + stranded[asset_id]:
            verdict.fail(f"{asset_id}: chain holds {chain}, ledger custody {ledger} + "
                         f"exceptions {stranded[asset_id]} = {ledger + stranded[asset_id]}")
        if ledger != booked.get(asset_id, 0):
            verdict.fail(f"{asset_id}: ledger custody {ledger} but the transfers found booked "
                         f"sum to {booked.get(asset_id, 0)}")


async def check_books(facts: Facts, pool: asyncpg.Pool, verdict: Verdict) -> None:
    async with pool.acquire() as conn:
        entries = {r["reference"]: r["entries"] for r in await conn.fetch(SETTLEMENT_ENTRIES)}
        duplicate_keys = await conn.fetchval(DUPLICATE_KEYS)
        duplicate_orders = await conn.fetch(DUPLICATE_ORDERS)
        settled_events = {r["invoice_id"]: r["events"] for r in await conn.fetch(SETTLED_EVENTS)}
    for invoice in facts.invoices.values():
        verdict.statuses[invoice["status"]] += 1
        want = 1 if invoice["status"] == "settled" else 0
        if entries.get(invoice["id"], 0) != want:
            verdict.fail(f"{invoice['id']} is {invoice['status']} with "
                         f"{entries.get(invoice['id'], 0)} settlement entries")
        if settled_events.get(invoice["id"], 0) != want:
            verdict.fail(f"{invoice['id']} is {invoice['status']} with "
                         f"{settled_events.get(invoice['id'], 0)} invoice.settled events")
        if invoice["status"] == "processing":
            verdict.fail(f"{invoice['id']} is still processing after the run settled")
    if duplicate_keys:
        verdict.fail(f"{duplicate_keys} journal idempotency keys are used twice")
    for row in duplicate_orders:
        verdict.fail(f"order {row['order_id']} has {row['invoices']} invoices")


def check_reconciliation(facts: Facts, verdict: Verdict) -> None:
    """No difference but the Solana treasury's own balance from before the run (the devnet's
    genesis funds it; no transfer of the run explains it, rightly)."""
    for line in facts.reconciliation.get("lines", []):
        if line["kind"] not in PROBLEM_LINES:
            continue
        asset = by_currency_code(line["asset"] or "")
        genesis = facts.solana_before.get(asset.id, 0) if asset is not None else 0
        if not (line["kind"] == "address" and line["chain"] == "solana"
                and int(line["difference"]) == genesis):
            verdict.fail(f"reconciliation: {json.dumps(line)}")


def check_chains_live(facts: Facts, verdict: Verdict) -> None:
    """No watcher left halted or lagging by the kills and reorgs (GET /v1/status)."""
    for chain, state in facts.chain_status.items():
        if state["state"] != "live":
            verdict.fail(f"chain {chain} is {state['state']} after the run: {state}")


def check_on_time(facts: Facts, on_time: list[str], verdict: Verdict) -> None:
    """Invoices paid in full before expiry whose payment a reorg dropped and the chain mined
    again after expiry: settled as on time, not stranded as late."""
    for invoice_id in on_time:
        mined = [s for s in facts.sent if s.invoice_id == invoice_id and s.kind == "remined"
                 and facts.on_chain[tx_key(s.chain, s.tx)]]
        if not mined:
            continue  # a later reorg dropped it for good
        invoice = facts.invoices[invoice_id]
        verdict.transfers["remined_on_time_checked"] += 1
        outcome = (invoice["status"], invoice["exception"])
        if outcome == ("settled", None):
            continue
        verdict.fail(f"{invoice_id} was paid before expiry and its payment mined again "
                     f"after: {outcome[0]} / {outcome[1]}, not on time")


async def verdict_of(facts: Facts, pool: asyncpg.Pool, on_time: list[str]) -> Verdict:
    verdict = Verdict()
    check_chains_live(facts, verdict)
    check_on_time(facts, on_time, verdict)
    booked = check_transfers(facts, verdict)
    check_custody(facts, booked, verdict)
    await check_books(facts, pool, verdict)
    check_reconciliation(facts, verdict)
    return verdict
