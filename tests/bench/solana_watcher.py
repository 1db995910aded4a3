"""Benchmark of the Solana watcher's read path: matching cost vs. open invoices, and the
history -> transactions -> payments pipeline against a devnet.

    .venv/bin/python -m tests.bench.solana_watcher [--transfers 200]

1. parse + validate + match the real mainnet USDC transfer (tests/fixtures/rpc) with a watched
   set of 0, 10 000 and 1 000 000 references: the cost per transaction must not grow with it.
2. starts its own devnet (50 ms slots), pays the treasury `--transfers` times, then times
   getSignaturesForAddress paging + getTransaction (jsonParsed) + parse + match per batch size.
Figures depend heavily on machine load (shared CPUs give noisy numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from pathlib import Path

from solders.pubkey import Pubkey

from gateway.chains.solana.follow import collect
from gateway.chains.solana.match import build_treasury, detect
from gateway.chains.solana.rpc import CONFIRMED, SolanaRpc
from gateway.chains.solana.tx import parse_transaction
from gateway.devnet.solana import constants as c
from gateway.devnet.solana.wallet import pay_uri
from tests.bench.support import temp_solana_devnet

FIXTURE = (Path(__file__).resolve().parents[1] / "fixtures" / "rpc" /
           "solana_getTransaction_jsonParsed_mainnet_usdc_transferChecked_with_ata_create_and_"
           "memo_p2p-key-app-kit.json")


def references(count: int) -> dict[str, str]:
    return {str(Pubkey(secrets.token_bytes(32))): f"inv_{i:08d}" for i in range(count)}


def matching(rounds: int) -> None:
    raw = json.loads(FIXTURE.read_text())["result"]
    treasury = build_treasury("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui", [
        ("SOL", None, 9), ("USDC_SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", 6)])
    for size in (0, 10_000, 1_000_000):
        watched = references(size)
        start = time.perf_counter()
        for _ in range(rounds):
            detect(parse_transaction(raw), treasury, watched.get)
        per_tx = (time.perf_counter() - start) / rounds * 1e6
        print(f"match  open invoices={size:>9,}  {per_tx:7.1f} us per transaction")


async def pipeline(transfers: int) -> None:
    with temp_solana_devnet() as devnet:
        uri = f"solana:{c.TREASURY_PUBKEY}?amount=0.001"
        start = time.perf_counter()
        for i in range(transfers):
            await pay_uri(uri, rpc_url=devnet.rpc_url, wallet=i % 4)
        sent = time.perf_counter() - start
        print(f"paid   {transfers} SOL transfers in {sent:.1f} s")
        await asyncio.sleep(0.2)
        treasury = build_treasury(c.TREASURY_PUBKEY, [("SOL", None, 9)])
        watched = references(100_000)
        for batch in (1, 50):
            rpc = SolanaRpc(devnet.rpc_url)
            start = time.perf_counter()
            infos = await collect(rpc, c.TREASURY_PUBKEY, CONFIRMED, None, first_start=1000)
            raw = await rpc.get_transactions([i.signature for i in infos],
                                             commitment=CONFIRMED, batch_size=batch)
            found = sum(len(detect(parse_transaction(r), treasury, watched.get))
                        for r in raw if r is not None)
            took = time.perf_counter() - start
            await rpc.close()
            print(f"follow batch={batch:<3} {len(infos)} signatures, {found} payments in "
                  f"{took:.2f} s = {len(infos) / took:.0f} tx/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2_000)
    args = parser.parse_args()
    matching(args.rounds)
    asyncio.run(pipeline(args.transfers))


if __name__ == "__main__":
    main()
