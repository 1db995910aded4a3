"""Balances from chain nodes over standard JSON-RPC, for reconciliation.

BNB Chain: `eth_getBalance` (BNB) and ERC-20 `balanceOf` through `eth_call` per deposit
address, at the block the watcher has finalized (so the balance and the transfers it holds
describe the same instant). Solana: `getBalance` of the treasury (SOL) and
`getTokenAccountBalance` of the treasury's associated token account per mint (a missing
account holds 0), at `finalized` commitment. The same code runs against the local devnets,
testnet or mainnet: only the URLs differ. At most `concurrency` calls are in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from solders.pubkey import Pubkey

from gateway.errors import ChainError, RpcError, RpcTimeout
from settlement.assets import native_of
from settlement.reconciliation.service import AddressExpectation, Observation

BALANCE_OF = "0x70a08231"  # keccak("balanceOf(address)")[:4]
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SOLANA_ACCOUNT_MISSING = -32602
BNB = native_of("bsc").currency_code
SOL = native_of("solana").currency_code


@dataclass(frozen=True, slots=True)
class ChainSources:
    """Where balances come from: RPC URLs, token contracts/mints by currency code."""

    bsc_rpc_url: str | None
    bsc_tokens: dict[str, str]  # "bsc:USDT" -> contract address
    solana_rpc_url: str | None
    solana_treasury: str | None
    solana_mints: dict[str, str]  # "solana:USDT" -> mint address
    # The refund hot wallets (chain -> sending address), read like any other address.
    refund_wallets: dict[str, str] = field(default_factory=dict)

    def checked_assets(self) -> set[str]:
        assets: set[str] = set()
        if self.bsc_rpc_url:
            assets |= {BNB, *self.bsc_tokens}
        if self.solana_rpc_url and self.solana_treasury:
            assets |= {SOL, *self.solana_mints}
        return assets


class JsonRpc:
    """One node endpoint; errors become RpcError / RpcTimeout (gateway.errors)."""

    def __init__(self, session: aiohttp.ClientSession, url: str,
                 timeout: float) -> None:  # float-ok
        self.session, self.url, self.timeout = session, url, timeout

    async def call(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        try:
            async with asyncio.timeout(self.timeout), self.session.post(self.url, json=body) as r:
                if r.status != 200:
                    raise RpcError(f"{method}: HTTP {r.status} from {self.url}")
                reply = await r.json(content_type=None)
        except TimeoutError as exc:
            raise RpcTimeout(f"{method}: no answer from {self.url} in {self.timeout}s") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise RpcError(f"{method}: {exc}") from exc
        if not isinstance(reply, dict):
            raise RpcError(f"{method}: malformed reply")
        if reply.get("error"):
            err = reply["error"]
            raise RpcError(f"{method}: {err.get('message')}", code=err.get("code"))
        return reply.get("result")


def _hex_int(value: Any, method: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcError(f"{method}: expected a hex quantity, got {value!r}")
    return int(value, 16) if len(value) > 2 else 0


async def bnb_balance(rpc: JsonRpc, address: str, block: str = "latest") -> int:
    return _hex_int(await rpc.call("eth_getBalance", [address, block]), "eth_getBalance")


async def erc20_balance(rpc: JsonRpc, contract: str, address: str,
                        block: str = "latest") -> int:
    data = BALANCE_OF + address.lower().removeprefix("0x").rjust(64, "0")
    result = await rpc.call("eth_call", [{"to": contract, "data": data}, block])
    return _hex_int(result, "eth_call")


async def sol_balance(rpc: JsonRpc, owner: str) -> int:
    result = await rpc.call("getBalance", [owner, {"commitment": "finalized"}])
    return int(result["value"])


def associated_token_address(owner: str, mint: str) -> str:
    seeds = [bytes(Pubkey.from_string(owner)), bytes(TOKEN_PROGRAM),
             bytes(Pubkey.from_string(mint))]
    return str(Pubkey.find_program_address(seeds, ATA_PROGRAM)[0])


async def spl_balance(rpc: JsonRpc, token_account: str) -> int:
    try:
        result = await rpc.call("getTokenAccountBalance",
                                [token_account, {"commitment": "finalized"}])
    except RpcError as exc:
        if exc.code == SOLANA_ACCOUNT_MISSING:
            return 0
        raise
    return int(result["value"]["amount"])


async def _observe(chain: str, asset: str, address: str, fetch: Awaitable[int],
                   gate: asyncio.Semaphore) -> Observation:
    try:
        async with gate:
            return Observation(chain, asset, address, await fetch)
    except ChainError as exc:
        return Observation(chain, asset, address, None, str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        return Observation(chain, asset, address, None, f"malformed answer: {exc}")


def _bsc_fetch(rpc: JsonRpc, sources: ChainSources, e: AddressExpectation,
               block: str) -> Awaitable[int] | None:
    if e.asset == BNB:
        return bnb_balance(rpc, e.address, block)
    if e.asset in sources.bsc_tokens:
        return erc20_balance(rpc, sources.bsc_tokens[e.asset], e.address, block)
    return None


def _solana_fetch(rpc: JsonRpc, e: AddressExpectation) -> Awaitable[int]:
    return sol_balance(rpc, e.address) if e.asset == SOL else spl_balance(rpc, e.address)


async def observe(
    sources: ChainSources, expected: Sequence[AddressExpectation], timeout: float, *,  # float-ok
    bsc_block: int | None = None, concurrency: int = 16,
) -> list[Observation]:
    """The balance of every expectation's address and asset, fetched concurrently; BNB
    Chain at `bsc_block` (None: latest)."""
    gate = asyncio.Semaphore(concurrency)
    block = "latest" if bsc_block is None else hex(bsc_block)
    async with aiohttp.ClientSession() as session:
        bsc = JsonRpc(session, sources.bsc_rpc_url, timeout) if sources.bsc_rpc_url else None
        sol = JsonRpc(session, sources.solana_rpc_url, timeout) \
            if sources.solana_rpc_url else None
        tasks = []
        for e in expected:
            fetch = _bsc_fetch(bsc, sources, e, block) if e.chain == "bsc" and bsc else \
                _solana_fetch(sol, e) if e.chain == "solana" and sol else None
            if fetch is not None:
                tasks.append(_observe(e.chain, e.asset, e.address, fetch, gate))
        return list(await asyncio.gather(*tasks))
