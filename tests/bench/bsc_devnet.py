"""Timing of the BNB Chain devnet: start, reset, pay-to-receipt, pay-to-finalized.

    .venv/bin/python -m tests.bench.bsc_devnet [--rounds N]

Runs private anvil instances on free loopback ports in a temp dir (nothing else is touched)
with the default timing (1 s blocks, finality 2 blocks) and the test timing (0.2 s, 2).
Figures on a shared 2-core machine are noisy; compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from gateway.devnet import jsonrpc
from gateway.devnet.bsc import USDT_ADDRESS
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.orchestrator import DevnetConfig, down, reset, up
from gateway.log import configure_logging
from tests.plugins.devnet import free_port, fresh_bsc_address


def _ms(samples: list[float]) -> str:
    return (f"median {statistics.median(samples) * 1000:.0f} ms, "
            f"max {max(samples) * 1000:.0f} ms (n={len(samples)})")


def _finalized(url: str) -> int:
    return int(jsonrpc.call(url, "eth_getBlockByNumber", ["finalized", False])["number"], 16)


async def _pay_until_final(url: str, token: bool) -> tuple[float, float]:
    to = fresh_bsc_address()
    uri = (f"ethereum:{USDT_ADDRESS}@56/transfer?address={to}&uint256=1" if token
           else f"ethereum:{to}@56?value=1")
    began = time.monotonic()
    [tx_hash] = await pay_uri(uri, rpc_url=url)
    mined = time.monotonic() - began
    receipt = jsonrpc.call(url, "eth_getTransactionReceipt", [tx_hash])
    block = int(receipt["blockNumber"], 16)
    deadline = began + 30
    while _finalized(url) < block and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return mined, time.monotonic() - began


async def bench(block_time: Decimal, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ccp-bench-", dir="/tmp") as tmp:
        config = DevnetConfig(run_dir=Path(tmp), bsc_port=free_port(), bsc_block_time=block_time,
                              bsc_finality_blocks=2, with_solana=False, die_with_parent=True)
        starts, resets, mined, final = [], [], [], []
        try:
            for _ in range(rounds):
                began = time.monotonic()
                up(config)
                starts.append(time.monotonic() - began)
                down(config)
            up(config)
            for _ in range(rounds):
                began = time.monotonic()
                reset(config)
                resets.append(time.monotonic() - began)
            for index in range(rounds * 2):
                m, f = await _pay_until_final(config.bsc_rpc_url, token=bool(index % 2))
                mined.append(m)
                final.append(f)
        finally:
            down(config)
    print(f"block time {block_time} s, finality 2 blocks")
    print(f"  up (anvil ready + tokens placed): {_ms(starts)}")
    print(f"  reset (down + wipe + up):         {_ms(resets)}")
    print(f"  pay -> receipt:                   {_ms(mined)}")
    print(f"  pay -> finalized tag covers it:   {_ms(final)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bsc_devnet")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("console", "warning")
    for block_time in (Decimal("0.2"), Decimal("1")):
        asyncio.run(bench(block_time, max(1, min(args.rounds, 20))))


if __name__ == "__main__":
    main()
