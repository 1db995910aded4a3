"""CPU cost of reading BNB Chain answers, without I/O: the parsers and checks one catch-up
step runs (gateway.chains.bsc: blocks, receipts, Transfer logs, call traces, their
agreement, the seen transfers of the recent ring) over the fake node's exact answers
(tests/bench/watcher_fakenode.py), decoded with the watcher's decoder.

    .venv/bin/python -m tests.bench.bsc_parse_bench [--blocks 500] [--per-block 100]

Prints transfers per CPU second of parsing alone: an upper bound for the watcher's catch-up
on one core, and the share of it the parsers take (watcher_bench measures the whole).
"""

from __future__ import annotations

import argparse
import time

import orjson

from gateway.chains.bsc.evm import parse_block
from gateway.chains.bsc.receipts import check_logs_agree, check_receipts
from gateway.chains.bsc.scan import BlockInfo, BscScanner
from tests.bench import watcher_fakenode as node

SPAN = 50


def answers(spec: node.ChainSpec, lo: int, hi: int) -> tuple[bytes, bytes, bytes, bytes]:
    n = node.Node(spec)

    def batch(method: str, params: list[list[object]]) -> bytes:
        body = ",".join(n.answer({"method": method, "params": p, "id": i})
                        for i, p in enumerate(params))
        return f"[{body}]".encode()

    numbers = range(lo, hi + 1)
    return (batch("eth_getBlockByNumber", [[hex(b), True] for b in numbers]),
            batch("eth_getBlockReceipts", [[hex(b)] for b in numbers]),
            n.answer({"method": "eth_getLogs", "id": 1,
                      "params": [{"fromBlock": hex(lo), "toBlock": hex(hi)}]}).encode(),
            batch("debug_traceBlockByNumber", [[hex(b), {}] for b in numbers]))


def read_span(scanner: BscScanner, raw: tuple[bytes, bytes, bytes, bytes]) -> int:
    """What BscScanner.scan does with a span's answers once they arrived; transfers seen."""
    blocks_raw, receipts_raw, logs_raw, traces_raw = raw
    blocks = [parse_block(a["result"]) for a in orjson.loads(blocks_raw)]
    receipts = [check_receipts(b, a["result"], scanner.tokens)
                for b, a in zip(blocks, orjson.loads(receipts_raw), strict=True)]
    raw_logs = orjson.loads(logs_raw)["result"]
    traces = [a["result"] for a in orjson.loads(traces_raw)]
    check_logs_agree(raw_logs, receipts)
    infos = {b.number: BlockInfo(b.number, b.hash, b.timestamp) for b in blocks}
    seen = (scanner._seen_tokens(raw_logs, infos) + scanner._seen_native(blocks, receipts)
            + scanner._seen_internal(blocks, receipts, traces))
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=500)
    parser.add_argument("--per-block", type=int, default=100)
    args = parser.parse_args()
    spec = node.ChainSpec(mode="replay", blocks=args.blocks, per_block=args.per_block,
                          pay_every=0, payments=0)
    spans = [answers(spec, lo, min(args.blocks, lo + SPAN - 1))
             for lo in range(1, args.blocks + 1, SPAN)]
    scanner = BscScanner(None, {node.USDT: "USDT_BSC"}, None)  # type: ignore[arg-type]
    started = time.process_time()
    seen = sum(read_span(scanner, raw) for raw in spans)
    spent = time.process_time() - started
    transfers = args.blocks * args.per_block
    print(f"{transfers} transfers ({seen} seen incl. internal) in {spent:.2f} CPU s: "
          f"{transfers / spent:,.0f} transfers per CPU second of parsing")


if __name__ == "__main__":
    main()
