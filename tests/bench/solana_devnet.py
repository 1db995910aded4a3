"""Benchmark of the Solana devnet: sendTransaction throughput and history reads.

    .venv/bin/python -m tests.bench.solana_devnet [--transfers 300]

Starts its own devnet process (50 ms slots), sends SOL transfers one after another from one
payer over a shared HTTP session, then times getSignaturesForAddress and getTransaction.
Figures depend heavily on machine load (shared CPUs give noisy numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import time
from typing import Any

import aiohttp
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from tests.bench.support import temp_solana_devnet


async def _call(session: aiohttp.ClientSession, url: str, method: str,
                params: list[Any]) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(url, json=body) as resp:
        payload = await resp.json()
    if "error" in payload:
        raise SystemExit(f"{method} failed: {payload['error']}")
    return payload["result"]


async def _send_all(session: aiohttp.ClientSession, url: str, payer: Keypair,
                    to: Pubkey, count: int) -> tuple[list[str], list[float]]:
    latest = await _call(session, url, "getLatestBlockhash", [{"commitment": "processed"}])
    recent = Hash.from_string(latest["value"]["blockhash"])
    signatures, timings = [], []
    for lamports in range(1, count + 1):
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to,
                                     lamports=1_000_000 + lamports))
        tx = VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), recent),
                                  [payer])
        wire = base64.b64encode(bytes(tx)).decode()
        started = time.perf_counter()
        signatures.append(await _call(session, url, "sendTransaction",
                                      [wire, {"encoding": "base64"}]))
        timings.append(time.perf_counter() - started)
    return signatures, timings


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


async def run(count: int) -> None:
    with temp_solana_devnet() as net:
        url, payer, to = net.rpc_url, c.wallet_keypair(0), Pubkey.new_unique()
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            signatures, sends = await _send_all(session, url, payer, to, count)
            elapsed = time.perf_counter() - started
            print(f"sendTransaction: {count} transfers in {elapsed:.2f} s "
                  f"({count / elapsed:.0f} tx/s sequential), {_ms(sends)}")
            await asyncio.sleep(net.slot_ms * 3 / 1000)
            reads = []
            for _ in range(50):
                t0 = time.perf_counter()
                await _call(session, url, "getSignaturesForAddress",
                            [str(to), {"commitment": "confirmed", "limit": 1000}])
                reads.append(time.perf_counter() - t0)
            print(f"getSignaturesForAddress ({count} entries): {_ms(reads)}")
            fetches = []
            for signature in signatures[:100]:
                t0 = time.perf_counter()
                await _call(session, url, "getTransaction",
                            [signature, {"commitment": "confirmed", "encoding": "jsonParsed"}])
                fetches.append(time.perf_counter() - t0)
            print(f"getTransaction jsonParsed: {_ms(fetches)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=300)
    asyncio.run(run(parser.parse_args().transfers))


if __name__ == "__main__":
    main()
