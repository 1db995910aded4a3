"""Cost of call tracing (internal BNB transfers) per block on the BNB Chain devnet.

    .venv/bin/python -m tests.bench.bsc_trace_cost [--blocks 20] [--per-block 20] [--rounds 5]

Starts a private anvil (temp dir, free port), mines `--blocks` blocks of `--per-block`
transactions each (half plain BNB payments, half BNB forwarded by a contract to a fresh
address, i.e. internal transactions), then reads every block through the watcher's scanner
(blocks, receipts, logs, matching) with tracing on and off, `--rounds` times, and times the
`debug_traceBlockByNumber` call alone. Reports milliseconds per block: the tracing cost is
the difference. Writes bench-results/bsc_trace_cost.json. Shared machine: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from gateway.chains.bsc.scan import BscScanner
from gateway.chains.bsc.trace import TRACER
from gateway.chains.rpc import RpcClient
from gateway.chains.watched import WatchedSet
from gateway.devnet import jsonrpc
from gateway.devnet.bsc import USDC_ADDRESS, USDT_ADDRESS
from gateway.devnet.orchestrator import DevnetConfig, down, up
from gateway.log import configure_logging
from tests.chains.bsc.test_complete_detection import FORWARDER, FORWARDER_CODE
from tests.plugins.devnet import free_port, fresh_bsc_address

RESULTS = Path("bench-results") / "bsc_trace_cost.json"
TOKENS = {USDT_ADDRESS.lower(): "USDT_BSC", USDC_ADDRESS.lower(): "USDC_BSC"}


def mine_blocks(url: str, blocks: int, per_block: int) -> list[int]:
    """Mine `blocks` blocks of `per_block` transactions; their numbers."""
    jsonrpc.call(url, "anvil_setCode", [FORWARDER, FORWARDER_CODE])
    senders = jsonrpc.call(url, "eth_accounts")[:4]
    jsonrpc.call(url, "evm_setAutomine", [False])
    numbers = []
    for _ in range(blocks):
        for k in range(per_block):
            to = fresh_bsc_address()
            call: dict[str, Any] = {"from": senders[k % len(senders)], "value": hex(10**12)}
            if k % 2:
                call |= {"to": FORWARDER, "data": "0x" + "00" * 12 + to[2:].lower()}
            else:
                call |= {"to": to}
            jsonrpc.call(url, "eth_sendTransaction", [call])
        jsonrpc.call(url, "evm_mine", [])
        numbers.append(int(jsonrpc.call(url, "eth_blockNumber"), 16))
    return numbers


async def _ms_per_block(scanner: BscScanner, numbers: list[int], rounds: int) -> float:  # float-ok
    samples = []
    for _ in range(rounds):
        for number in numbers:
            began = time.perf_counter()
            scan = await scanner.scan(number, number, None)
            samples.append(time.perf_counter() - began)
            assert len(scan.blocks) == 1
    return round(statistics.median(samples) * 1000, 2)


async def _trace_ms(rpc: RpcClient, numbers: list[int], rounds: int
                    ) -> tuple[float, int]:  # float-ok
    samples, internal = [], 0
    for _ in range(rounds):
        for number in numbers:
            began = time.perf_counter()
            answer = await rpc.call("debug_traceBlockByNumber", [hex(number), TRACER])
            samples.append(time.perf_counter() - began)
            internal += sum(len(t["result"].get("calls") or []) for t in answer)
    return round(statistics.median(samples) * 1000, 2), internal // rounds


async def measure(url: str, numbers: list[int], rounds: int, per_block: int) -> dict[str, Any]:
    rpc = RpcClient(url, timeout=30)
    watched = WatchedSet("postgresql://unused", None)  # type: ignore[arg-type]  # no lookups
    try:
        traced = BscScanner(rpc, TOKENS, watched, trace_internal=True)
        plain = BscScanner(rpc, TOKENS, watched, trace_internal=False)
        await _ms_per_block(traced, numbers[:2], 1)  # warm up the connection
        on = await _ms_per_block(traced, numbers, rounds)
        off = await _ms_per_block(plain, numbers, rounds)
        trace_alone, internal = await _trace_ms(rpc, numbers, rounds)
        scan = await traced.scan(numbers[0], numbers[-1], None)
        found = sum(1 for s in scan.seen if getattr(s.transfer, "index", -1) < -1)
    finally:
        await rpc.close()
    return {"blocks": len(numbers), "transactions_per_block": per_block,
            "internal_transfers_per_block": internal / len(numbers),
            "internal_transfers_found": found,
            "scan_ms_per_block_traced": on, "scan_ms_per_block_untraced": off,
            "tracing_cost_ms_per_block": round(on - off, 2),
            "trace_call_ms_per_block": trace_alone}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bsc_trace_cost")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    configure_logging("console", "warning")
    with tempfile.TemporaryDirectory(prefix="ccp-bench-", dir="/tmp") as tmp:
        config = DevnetConfig(run_dir=Path(tmp), bsc_port=free_port(),
                              bsc_block_time=Decimal("1"), bsc_finality_blocks=2,
                              with_solana=False, die_with_parent=True)
        try:
            up(config)
            numbers = mine_blocks(config.bsc_rpc_url, args.blocks, args.per_block)
            row = asyncio.run(measure(config.bsc_rpc_url, numbers, args.rounds,
                                      args.per_block))
        finally:
            down(config)
    print(f"devnet, {row['blocks']} blocks of {row['transactions_per_block']} transactions "
          f"({row['internal_transfers_per_block']:.0f} internal): scan "
          f"{row['scan_ms_per_block_traced']} ms/block traced, "
          f"{row['scan_ms_per_block_untraced']} ms untraced; tracing costs "
          f"{row['tracing_cost_ms_per_block']} ms/block "
          f"(debug_traceBlockByNumber alone {row['trace_call_ms_per_block']} ms)", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
