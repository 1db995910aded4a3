"""A tiny JSON-RPC proxy in front of a node that injects faults on demand (tests only).

Modes: "ok" (forward), "500" (HTTP 500), "timeout" (hold the request past the client's
timeout), "garbage" (200 with a body that is not JSON), "refuse_logs" (eth_getLogs spanning
more than `max_log_span` blocks answers the JSON-RPC error real nodes send), and the answers of
a lagging node or load-balancer replica that has a block but not yet its receipts or logs:
"null_receipts" (eth_getBlockReceipts and eth_getTransactionReceipt answer `null`),
"null_receipt_items" (eth_getBlockReceipts lists `null` for each receipt), "empty_logs"
(eth_getLogs answers `[]`); "no_block_receipts" answers eth_getBlockReceipts like a node
without the method (the watcher falls back to per-transaction receipts).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

RECEIPTS = frozenset({"eth_getBlockReceipts", "eth_getTransactionReceipt"})
NO_METHOD = {"code": -32601, "message": "the method eth_getBlockReceipts does not exist"}


def _lagging(mode: str, method: str, answer: dict[str, Any]) -> dict[str, Any]:
    """`answer` as a lagging replica in `mode` would give it."""
    if mode == "null_receipts" and method in RECEIPTS:
        return {**answer, "result": None}
    if mode == "null_receipt_items" and method == "eth_getBlockReceipts" \
            and isinstance(answer.get("result"), list):
        return {**answer, "result": [None] * len(answer["result"])}
    if mode == "empty_logs" and method == "eth_getLogs":
        return {**answer, "result": []}
    if mode == "no_block_receipts" and method == "eth_getBlockReceipts":
        return {"jsonrpc": "2.0", "id": answer.get("id"), "error": NO_METHOD}
    return answer


LAGGING_MODES = ("null_receipts", "null_receipt_items", "empty_logs", "no_block_receipts")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "ok"
        self.hold_seconds = 2.0
        self.max_log_span: int | None = None
        self.served: Counter[str] = Counter()
        self.refused_spans: list[int] = []
        self.lagged = 0  # answers rewritten by a lagging mode
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _refused_log_span(self, body: Any) -> int | None:
        calls = body if isinstance(body, list) else [body]
        for call in calls:
            if call.get("method") == "eth_getLogs" and self.max_log_span is not None:
                query = call["params"][0]
                span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
                if span > self.max_log_span:
                    return span
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.served[self.mode] += 1
        if self.mode == "500":
            return web.Response(status=500, text="upstream exploded")
        if self.mode == "timeout":
            await asyncio.sleep(self.hold_seconds)
        if self.mode == "garbage":
            return web.Response(status=200, text='{"jsonrpc": "2.0", "result": [tru',
                                content_type="application/json")
        body = json.loads(raw)
        span = self._refused_log_span(body)
        if span is not None and not isinstance(body, list):
            self.refused_spans.append(span)
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "error": {
                "code": -32005, "message": "query returned more than 10000 results"}})
        assert self._session is not None
        async with self._session.post(self.upstream, data=raw,
                                      headers={"Content-Type": "application/json"}) as resp:
            answer = await resp.read()
            if self.mode in LAGGING_MODES and resp.status == 200:
                answer = self._rewrite(body, json.loads(answer))
            return web.Response(status=resp.status, body=answer,
                                content_type="application/json")

    def _rewrite(self, body: Any, answer: Any) -> bytes:
        calls = body if isinstance(body, list) else [body]
        methods = {call.get("id"): call.get("method", "") for call in calls}
        answers = answer if isinstance(answer, list) else [answer]
        rewritten = [_lagging(self.mode, methods.get(a.get("id"), ""), a) for a in answers]
        self.lagged += sum(a is not b for a, b in zip(answers, rewritten, strict=True))
        return json.dumps(rewritten if isinstance(answer, list) else rewritten[0]).encode()
