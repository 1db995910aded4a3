"""A generated BNB Chain for the watcher benchmark, served as geth-shaped JSON-RPC.

Every block holds `per_block` BEP-20 (USDT) transfer transactions to addresses nobody
watches, plus in "payment" blocks one transfer to an invoice's deposit address. Responses are
written in the exact shapes a geth/BSC node returns (full transaction objects, logs with
blockHash/logIndex/removed), generated on request from the block number, so 10,000 blocks of
100 transfers need no gigabyte of fixtures. Runs in its own process (a second core).

Every block also has its receipts (`eth_getBlockReceipts`: one receipt per transaction, its
Transfer log inside, as the watcher checks them against eth_getLogs) and its call traces
(`debug_traceBlockByNumber` with the call tracer: one top frame per transaction; with
`internal_every` N, every Nth transaction's frame holds a contract call forwarding BNB to an
address nobody watches, so the watcher walks nested frames too).

Head and finality: in "live" mode the head grows one block per `block_time` from start and
`finalized` trails it by `depth`; the moment block b became final is t0 + (b + depth) *
block_time, which the benchmark compares with the `invoice.settled` event time. In "replay"
mode the head is fixed and `finalized` stays at 0.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import multiprocessing.context
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
USDT = "0x55d398326f99059ff775485246999027b3197955"
SENDER = "0x" + "5e" * 20
AMOUNT_WORD = "0x" + format(3 * 10**18, "064x")


@dataclass(frozen=True)
class ChainSpec:
    mode: str  # "live" or "replay"
    blocks: int
    per_block: int
    pay_every: int  # a payment to an invoice every N blocks (0: none)
    payments: int  # how many invoices get paid (invoice k in block (k+1)*pay_every)
    block_time: float = 0.1
    depth: int = 2
    t0: float = 0.0
    internal_every: int = 10


def invoice_address(k: int) -> str:
    return "0x" + "a1" * 4 + format(k, "032x")


def block_hash(b: int) -> str:
    return "0x" + format(b, "060x") + "beef"


def _tx_hash(b: int, j: int) -> str:
    return "0x" + format(b, "032x") + format(j, "032x")


def _recipients(spec: ChainSpec, b: int) -> list[str]:
    to = ["0x" + format(b, "020x") + format(j, "020x") for j in range(spec.per_block)]
    if spec.pay_every and b % spec.pay_every == 0 and 0 < b // spec.pay_every <= spec.payments:
        to.append(invoice_address(b // spec.pay_every - 1))
    return to


def _word(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def _tx(b: int, j: int, to: str) -> str:
    data = "0xa9059cbb" + "0" * 24 + to[2:] + AMOUNT_WORD[2:]
    return (f'{{"blockHash":"{block_hash(b)}","blockNumber":"{hex(b)}","from":"{SENDER}",'
            f'"gas":"0xea60","gasPrice":"0x3b9aca00","hash":"{_tx_hash(b, j)}",'
            f'"input":"{data}","nonce":"{hex(b * 1000 + j)}","to":"{USDT}",'
            f'"transactionIndex":"{hex(j)}","value":"0x0","type":"0x0","chainId":"0x38",'
            f'"v":"0x94","r":"0x1","s":"0x2"}}')


def block_json(spec: ChainSpec, b: int, full: bool) -> str:
    to = _recipients(spec, b)
    txs = ",".join(_tx(b, j, a) if full else f'"{_tx_hash(b, j)}"' for j, a in enumerate(to))
    parent = block_hash(b - 1) if b > 0 else "0x" + "0" * 64
    return (f'{{"number":"{hex(b)}","hash":"{block_hash(b)}","parentHash":"{parent}",'
            f'"timestamp":"{hex(1_700_000_000 + b)}","miner":"0x{"0" * 40}",'
            f'"gasLimit":"0x8f0d180","gasUsed":"0x0","transactions":[{txs}]}}')


def _log(b: int, j: int, to: str) -> str:
    return (f'{{"address":"{USDT}","topics":["{TRANSFER}","{_word(SENDER)}","{_word(to)}"],'
            f'"data":"{AMOUNT_WORD}","blockNumber":"{hex(b)}","blockHash":"{block_hash(b)}",'
            f'"transactionHash":"{_tx_hash(b, j)}","transactionIndex":"{hex(j)}",'
            f'"logIndex":"{hex(j)}","removed":false}}')


def logs_json(spec: ChainSpec, lo: int, hi: int) -> str:
    return "[" + ",".join(_log(b, j, a) for b in range(lo, hi + 1)
                          for j, a in enumerate(_recipients(spec, b))) + "]"


def _receipt(b: int, j: int, to: str) -> str:
    return (f'{{"blockHash":"{block_hash(b)}","blockNumber":"{hex(b)}",'
            f'"contractAddress":null,"cumulativeGasUsed":"{hex(60_000 * (j + 1))}",'
            f'"effectiveGasPrice":"0x3b9aca00","from":"{SENDER}","gasUsed":"0xea60",'
            f'"logs":[{_log(b, j, to)}],"logsBloom":"0x{"0" * 512}","status":"0x1",'
            f'"to":"{USDT}","transactionHash":"{_tx_hash(b, j)}",'
            f'"transactionIndex":"{hex(j)}","type":"0x0"}}')


def receipts_json(spec: ChainSpec, b: int) -> str:
    return "[" + ",".join(_receipt(b, j, a) for j, a in enumerate(_recipients(spec, b))) + "]"


def _trace(spec: ChainSpec, b: int, j: int, to: str) -> str:
    calls = ""
    if spec.internal_every and j % spec.internal_every == 0:
        calls = (f',"calls":[{{"type":"CALL","from":"{USDT}","to":"0x{"c4" * 20}",'
                 f'"value":"0x1","gas":"0x8fc","gasUsed":"0x0","input":"0x"}}]')
    data = "0xa9059cbb" + "0" * 24 + to[2:] + AMOUNT_WORD[2:]
    return (f'{{"txHash":"{_tx_hash(b, j)}","result":{{"type":"CALL","from":"{SENDER}",'
            f'"to":"{USDT}","value":"0x0","gas":"0xea60","gasUsed":"0x8fc0",'
            f'"input":"{data}","output":"0x"{calls}}}}}')


def traces_json(spec: ChainSpec, b: int) -> str:
    return "[" + ",".join(_trace(spec, b, j, a)
                          for j, a in enumerate(_recipients(spec, b))) + "]"


class Node:
    def __init__(self, spec: ChainSpec) -> None:
        self.spec = spec

    def head(self) -> int:
        if self.spec.mode == "replay":
            return self.spec.blocks
        grown = int((time.time() - self.spec.t0) / self.spec.block_time)
        return max(0, min(self.spec.blocks, grown))

    def finalized(self) -> int:
        return 0 if self.spec.mode == "replay" else max(0, self.head() - self.spec.depth)

    def _block(self, params: list[Any]) -> str:
        tag, full = params[0], bool(params[1])
        number = {"latest": self.head(), "finalized": self.finalized(),
                  "safe": self.finalized()}.get(tag)
        number = int(tag, 16) if number is None else number
        return "null" if number > self.head() else block_json(self.spec, number, full)

    def result(self, method: str, params: list[Any]) -> str:
        if method == "eth_blockNumber":
            return f'"{hex(self.head())}"'
        if method == "eth_chainId":
            return '"0x38"'
        if method == "eth_getBlockByNumber":
            return self._block(params)
        if method == "eth_getLogs":
            query = params[0]
            hi = min(int(query["toBlock"], 16), self.head())
            return logs_json(self.spec, int(query["fromBlock"], 16), hi)
        if method == "eth_getBlockReceipts":
            number = int(params[0], 16)
            return "null" if number > self.head() else receipts_json(self.spec, number)
        if method == "debug_traceBlockByNumber":
            number = int(params[0], 16)
            return "null" if number > self.head() else traces_json(self.spec, number)
        raise KeyError(method)

    def answer(self, call: dict[str, Any]) -> str:
        try:
            body = self.result(call["method"], call.get("params", []))
        except KeyError:
            return json.dumps({"jsonrpc": "2.0", "id": call.get("id"),
                               "error": {"code": -32601, "message": "method not found"}})
        return f'{{"jsonrpc":"2.0","id":{json.dumps(call.get("id"))},"result":{body}}}'

    async def handle(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        if isinstance(payload, list):
            text = "[" + ",".join(self.answer(c) for c in payload) + "]"
        else:
            text = self.answer(payload)
        return web.Response(text=text, content_type="application/json")


def _serve(spec: ChainSpec, port: int) -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/", Node(spec).handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def start(spec: ChainSpec, port: int) -> multiprocessing.context.ForkProcess:
    proc = multiprocessing.get_context("fork").Process(target=_serve, args=(spec, port),
                                                       daemon=True)
    proc.start()
    return proc


async def wait_ready(url: str, timeout: float = 10.0) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(url, json={"jsonrpc": "2.0", "id": 1,
                                                   "method": "eth_chainId"}) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake node at {url} did not start")
            await asyncio.sleep(0.05)
