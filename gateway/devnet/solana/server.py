"""The devnet's JSON-RPC 2.0 server (aiohttp) and its slot clock.

One process, one event loop: every method runs synchronously on the loop, so LiteSVM is only
ever touched by one request at a time and the ledger needs no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.errors import (
    InvalidRpcRequest,
    MethodNotFound,
    ParseError,
    RpcMethodError,
)
from gateway.devnet.solana.genesis import mint_specs
from gateway.devnet.solana.ledger import Ledger
from gateway.devnet.solana.methods_accounts import METHODS as ACCOUNT_METHODS
from gateway.devnet.solana.methods_chain import METHODS as CHAIN_METHODS
from gateway.devnet.solana.methods_devnet import METHODS as DEVNET_METHODS
from gateway.devnet.solana.methods_history import METHODS as HISTORY_METHODS
from gateway.devnet.solana.methods_tx import METHODS as TX_METHODS
from gateway.devnet.solana.params import Params
from gateway.log import get_logger

log = get_logger(__name__)

Handler = Callable[[Ledger, Params], Any]
METHODS: dict[str, Handler] = {
    **CHAIN_METHODS, **ACCOUNT_METHODS, **TX_METHODS, **HISTORY_METHODS, **DEVNET_METHODS,
}
LEDGER = web.AppKey("ledger", Ledger)
CONFIG: web.AppKey[DevnetConfig] = web.AppKey("devnet_config")


@dataclass(frozen=True)
class DevnetConfig:
    host: str = c.DEFAULT_HOST
    port: int = c.DEFAULT_PORT
    slot_ms: int = c.DEFAULT_SLOT_MS
    finality_slots: int = c.DEFAULT_FINALITY_SLOTS
    kzte_decimals: int = c.DEFAULT_KZTE_DECIMALS
    state_dir: Path = Path(".data/solana-devnet")

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _response(request_id: Any, *, result: Any = None,
              error: RpcMethodError | None = None) -> dict[str, Any]:
    if error is not None:
        return {"jsonrpc": "2.0", "error": error.payload(), "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def dispatch(ledger: Ledger, request: Any) -> dict[str, Any]:
    """Answer one JSON-RPC request object."""
    if not isinstance(request, dict):
        return _response(None, error=InvalidRpcRequest("Invalid request"))
    request_id = request.get("id")
    method = request.get("method")
    if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
        return _response(request_id, error=InvalidRpcRequest("Invalid request"))
    handler = METHODS.get(method)
    if handler is None:
        return _response(request_id, error=MethodNotFound("Method not found"))
    try:
        result = handler(ledger, Params(request.get("params")))
    except RpcMethodError as exc:
        log.debug("rpc_error", method=method, code=exc.code, message=exc.message)
        return _response(request_id, error=exc)
    return _response(request_id, result=result)


def answer(ledger: Ledger, body: bytes) -> Any:
    """Answer a request body: one request object or a batch (a non-empty list)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _response(None, error=ParseError("Parse error"))
    if isinstance(payload, list):
        if not payload:
            return _response(None, error=InvalidRpcRequest("Invalid request"))
        return [dispatch(ledger, item) for item in payload]
    return dispatch(ledger, payload)


async def _rpc(request: web.Request) -> web.Response:
    result = answer(request.app[LEDGER], await request.read())
    return web.Response(text=json.dumps(result), content_type="application/json")


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _tick(ledger: Ledger, slot_ms: int) -> None:
    """Advance a slot every `slot_ms`, on a fixed schedule so slots do not drift."""
    period = slot_ms / 1000
    deadline = time.monotonic()
    while True:
        deadline += period
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        ledger.advance()


async def _clock_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_tick(app[LEDGER], app[CONFIG].slot_ms))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def reset_state_dir(config: DevnetConfig) -> Path:
    """Start from a clean state directory and describe this devnet in its state file."""
    state_dir = config.state_dir
    if state_dir.exists():
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True)
    state = {
        "rpcUrl": config.rpc_url,
        "pid": os.getpid(),
        "startedAt": time.time(),
        "slotMs": config.slot_ms,
        "finalitySlots": config.finality_slots,
        "mints": {m.symbol: {"address": m.address, "decimals": m.decimals}
                  for m in mint_specs(config.kzte_decimals)},
        "treasury": c.TREASURY_PUBKEY,
        "testWallets": list(c.TEST_WALLETS),
    }
    path = state_dir / c.STATE_FILE
    path.write_text(json.dumps(state, indent=2) + "\n")
    return path


def create_app(config: DevnetConfig) -> web.Application:
    """The devnet app with a fresh genesis ledger (the state dir is reset by the caller)."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[CONFIG] = config
    app[LEDGER] = Ledger(
        finality_slots=config.finality_slots, kzte_decimals=config.kzte_decimals
    )
    app.router.add_post("/", _rpc)
    app.router.add_get("/health", _health)
    app.cleanup_ctx.append(_clock_ctx)
    return app
