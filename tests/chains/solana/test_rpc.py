"""The Solana JSON-RPC client, history paging and the finality sweep, against a local server
answering in the standard JSON-RPC 2.0 shapes (faults injected on purpose)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from gateway.chains.errors import MalformedResponse, NodeError
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.chains.rpc import RetryPolicy
from gateway.chains.solana.follow import collect, covered
from gateway.chains.solana.match import build_treasury
from gateway.chains.solana.rpc import CONFIRMED, SignatureInfo, SolanaRpc
from gateway.chains.solana.watcher import DROP_AFTER_SLOTS, SolanaWatcher
from gateway.errors import RpcError, RpcTimeout
from gateway.pipeline import fact_sink
from gateway.transfers import store
from tests.chains.solana.solana_support import KnowsNothing
from tests.plugins.app import free_port
from tests.plugins.local_server import serve


class FakeNode:
    """A JSON-RPC server whose answers the test scripts per method."""

    def __init__(self) -> None:
        self.methods: dict[str, Callable[[list[Any]], Any]] = {}
        self.raw: list[Callable[[Any], Any]] = []  # one-shot overrides (may be async)
        self.requests = 0
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        result = self.methods[request["method"]](request.get("params", []))
        return {"jsonrpc": "2.0", "id": request["id"], "result": result}

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = json.loads(await request.read())
        if self.raw:
            override = await _maybe_await(self.raw.pop(0)(body))
            if isinstance(override, web.Response):
                return override
        if isinstance(body, list):
            return web.json_response([self.answer(r) for r in reversed(body)])
        return web.json_response(self.answer(body))

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeNode]:
        app = web.Application()
        app.router.add_post("/", self.handle)
        async with serve(app, port=self.port):
            yield self


async def _maybe_await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


@pytest.fixture
async def node() -> AsyncIterator[FakeNode]:
    async with FakeNode().serving() as fake:
        yield fake


@pytest.fixture
async def rpc(node: FakeNode) -> AsyncIterator[SolanaRpc]:
    client = SolanaRpc(node.url, timeout=0.3,
                       retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
    yield client
    await client.close()


async def test_transient_faults_are_retried(node: FakeNode, rpc: SolanaRpc) -> None:
    node.methods["getSlot"] = lambda params: 42
    node.raw = [lambda body: web.Response(status=503, text="busy")]
    assert await rpc.get_slot("finalized") == 42
    assert node.requests == 2


@pytest.mark.parametrize("fault", [
    lambda body: web.Response(status=500, text="oops"),
    lambda body: web.Response(text="<html>gateway</html>", content_type="text/html"),
    lambda body: web.Response(text='{"jsonrpc":"2.0","result":', content_type="application/json"),
    lambda body: web.json_response({"id": 1, "result": 5}),  # not JSON-RPC 2.0
])
async def test_garbage_raises_rpc_error(node: FakeNode, rpc: SolanaRpc,
                                        fault: Callable[[Any], web.Response]) -> None:
    node.methods["getSlot"] = lambda params: 1
    node.raw = [fault, fault]
    with pytest.raises(RpcError):
        await rpc.get_slot("confirmed")


async def test_stall_raises_timeout(node: FakeNode, rpc: SolanaRpc) -> None:
    async def stall(body: Any) -> None:
        await asyncio.sleep(0.6)

    node.methods["getSlot"] = lambda params: 1
    node.raw = [stall, stall]
    with pytest.raises(RpcTimeout):
        await rpc.get_slot("confirmed")


async def test_node_error_keeps_code_and_is_not_retried(node: FakeNode, rpc: SolanaRpc) -> None:
    def refuse(body: Any) -> web.Response:
        return web.json_response({"jsonrpc": "2.0", "id": body["id"],
                                  "error": {"code": -32602, "message": "Invalid param"}})

    node.raw = [refuse]
    with pytest.raises(NodeError) as caught:
        await rpc.call("getTransaction", ["x"])
    assert caught.value.code == -32602 and node.requests == 1


async def test_batches_are_matched_by_id(node: FakeNode, rpc: SolanaRpc) -> None:
    node.methods["getTransaction"] = lambda params: {"sig": params[0]}
    # The fake answers batches in reverse order; results come back in call order.
    got = await rpc.get_transactions(["a", "b", "c"], commitment=CONFIRMED, batch_size=2)
    assert got == [{"sig": "a"}, {"sig": "b"}, {"sig": "c"}]
    node.raw = [lambda body: web.json_response([{"jsonrpc": "2.0", "id": body[0]["id"],
                                                 "result": None}]),
                lambda body: web.json_response([])]
    with pytest.raises(MalformedResponse):
        await rpc.get_transactions(["a", "b"], commitment=CONFIRMED, batch_size=2)


async def test_signature_statuses(node: FakeNode, rpc: SolanaRpc) -> None:
    node.methods["getSignatureStatuses"] = lambda params: {"context": {"slot": 9}, "value": [
        None,
        {"slot": 3, "confirmations": None, "err": None, "confirmationStatus": "finalized"},
        {"slot": 4, "confirmations": 1, "err": {"InstructionError": [0, "x"]},
         "confirmationStatus": "confirmed"},
    ]}
    assert await rpc.get_signature_statuses(["a", "b", "c"]) == [None, "finalized", "failed"]


def _history(count: int) -> list[dict[str, Any]]:
    """Signatures s0 (oldest) .. s<count-1>, two per slot, newest first like the node."""
    return [{"signature": f"s{i}", "slot": 100 + i // 2, "err": None, "memo": None,
             "blockTime": None, "confirmationStatus": "confirmed"}
            for i in reversed(range(count))]


def _signatures_for_address(history: list[dict[str, Any]]) -> Callable[[list[Any]], Any]:
    def answer(params: list[Any]) -> Any:
        config = params[1]
        names = [h["signature"] for h in history]
        start = names.index(config["before"]) + 1 if config.get("before") else 0
        page: list[dict[str, Any]] = []
        for entry in history[start:]:
            if entry["signature"] == config.get("until") or len(page) == config["limit"]:
                break
            page.append(entry)
        return page

    return answer


async def test_collect_pages_back_to_the_cursor(node: FakeNode, rpc: SolanaRpc) -> None:
    node.methods["getSignaturesForAddress"] = _signatures_for_address(_history(25))
    found = await collect(rpc, "addr", CONFIRMED, BlockRef(101, "s3"), first_start=5,
                          page_limit=10)
    assert [i.signature for i in found] == [f"s{i}" for i in range(4, 25)]  # oldest first
    first = await collect(rpc, "addr", CONFIRMED, None, first_start=5)
    assert [i.signature for i in first] == ["s20", "s21", "s22", "s23", "s24"]


async def test_collect_stops_at_the_cursor_slot_when_until_is_gone(
        node: FakeNode, rpc: SolanaRpc) -> None:
    # A cursor signature the node no longer knows: `until` matches nothing.
    node.methods["getSignaturesForAddress"] = _signatures_for_address(_history(40))
    found = await collect(rpc, "addr", CONFIRMED, BlockRef(115, "dropped"), first_start=5,
                          page_limit=10)
    assert [i.signature for i in found] == [f"s{i}" for i in range(30, 40)]
    assert node.requests == 2  # the second page reached slot 114: not the whole history


def _info(signature: str, slot: int) -> SignatureInfo:
    return SignatureInfo(signature, slot, None, None, "finalized")


def test_covered_stops_at_what_detection_processed() -> None:
    final = [_info("a", 10), _info("b", 11), _info("c", 11), _info("d", 12)]
    assert [i.signature for i in covered(final, BlockRef(11, "b"))] == ["a", "b"]
    # The confirmed cursor is not final yet: only strictly older slots are surely processed.
    assert [i.signature for i in covered(final, BlockRef(12, "x"))] == ["a", "b", "c"]
    assert covered(final, BlockRef(10, "y")) == []


def _transfer(signature: str, slot: int) -> DetectedTransfer:
    return DetectedTransfer("solana", signature, 0, slot, "", None, "SOL", None, "payer",
                            "treasury", 1_000, None)


async def test_sweep_settles_final_and_removes_dropped(node: FakeNode, rpc: SolanaRpc,
                                                       db_pool: asyncpg.Pool) -> None:
    final_slot = 50_000_000 + secrets.randbelow(10**6)
    sigs = {name: f"sweep{name}{secrets.token_hex(8)}" for name in
            ("final", "dropped", "pending", "recent")}
    slots = {"final": 5, "dropped": 5, "pending": 5, "recent": final_slot - 10}
    statuses = {sigs["final"]: "finalized", sigs["pending"]: "confirmed"}

    def answer(params: list[Any]) -> Any:
        value = [None if statuses.get(s) is None and s in sigs.values() else
                 {"slot": 1, "err": None, "confirmationStatus": statuses.get(s, "confirmed")}
                 for s in params[0]]
        return {"context": {"slot": final_slot}, "value": value}

    node.methods["getSlot"] = lambda params: final_slot
    node.methods["getSignatureStatuses"] = answer
    async with db_pool.acquire() as conn:
        await store.record_transfers(conn, "solana", [_transfer(sigs[n], slots[n]) for n in sigs])
    sink = fact_sink(db_pool)
    watcher = SolanaWatcher(sink, rpc, build_treasury("treasury", []), KnowsNothing())
    await watcher.sweep()
    rows = await db_pool.fetch("SELECT tx_hash, status FROM chain_transfers "
                               "WHERE tx_hash = ANY($1::text[])", list(sigs.values()))
    got = {r["tx_hash"]: r["status"] for r in rows}
    assert got == {sigs["final"]: "finalized", sigs["dropped"]: "removed",
                   sigs["pending"]: "detected", sigs["recent"]: "detected"}
    assert slots["recent"] + DROP_AFTER_SLOTS > final_slot  # too young to call dropped
    # These made-up signatures live in the session database: take them out so the real
    # watchers of later tests do not ask the devnet about them.
    await db_pool.execute("DELETE FROM chain_transfers WHERE tx_hash = ANY($1::text[])",
                          list(sigs.values()))
