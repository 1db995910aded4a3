"""`solana_devnet` (session): the Solana JSON-RPC devnet as a subprocess on a free port.

Started through the process contract (`python -m gateway.devnet.solana ...`) with fast slots
(50 ms, finality 8) and a temporary --state-dir; ready when getHealth answers "ok".
`start_solana_devnet(state_dir)` starts another one (a context manager) for tests that need
their own, e.g. restarts. `rpc_call` / `rpc_result` make raw JSON-RPC calls.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.devnet.errors import DevnetStartError
from tests.plugins.devnet import free_port

SLOT_MS = 50
FINALITY_SLOTS = 8
KZTE_DECIMALS = 2
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SolanaDevnet:
    rpc_url: str
    state_dir: Path
    slot_ms: int
    finality_slots: int
    kzte_decimals: int
    process: subprocess.Popen[bytes]


def _healthy(rpc_url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
    request = urllib.request.Request(rpc_url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(json.load(response).get("result") == "ok")
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


@contextlib.contextmanager
def start_solana_devnet(state_dir: Path) -> Iterator[SolanaDevnet]:
    port = free_port()
    command = [
        sys.executable, "-m", "gateway.devnet.solana", "--host", "127.0.0.1",
        "--port", str(port), "--slot-ms", str(SLOT_MS), "--finality-slots",
        str(FINALITY_SLOTS), "--kzte-decimals", str(KZTE_DECIMALS),
        "--state-dir", str(state_dir), "--log-level", "warning",
    ]
    # The log lives beside the state dir: the devnet wipes its state dir on start.
    log_path = state_dir.parent / f"{state_dir.name}-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    rpc_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _healthy(rpc_url):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                raise DevnetStartError(f"solana devnet did not start: {output}")
            time.sleep(0.05)
        yield SolanaDevnet(rpc_url, state_dir, SLOT_MS, FINALITY_SLOTS, KZTE_DECIMALS, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def solana_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SolanaDevnet]:
    with start_solana_devnet(tmp_path_factory.mktemp("solana-devnet")) as devnet:
        yield devnet


async def rpc_call(rpc_url: str, method: str, params: list[Any] | None = None) -> dict[str, Any]:
    """One raw JSON-RPC call; the whole response object (result or error)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    async with aiohttp.ClientSession() as session, session.post(rpc_url, json=body) as resp:
        payload: dict[str, Any] = await resp.json()
        return payload


async def rpc_result(rpc_url: str, method: str, params: list[Any] | None = None) -> Any:
    payload = await rpc_call(rpc_url, method, params)
    assert "error" not in payload, payload
    return payload["result"]
