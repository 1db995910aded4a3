"""What the chains themselves say, read over plain JSON-RPC (never through the gateway).

BNB Chain (anvil): receipts, balances of deposit addresses (`eth_getBalance`, BEP-20
`balanceOf`), and the reorg knobs `evm_snapshot` / `evm_revert`. Solana (the project's
devnet): signature statuses and the treasury's balances (SOL, and each mint's associated token
account). The Solana devnet has a single fork (no skipped slots, no rollback method), so the
chaos run reorgs BNB Chain only.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from gateway.devnet import bsc as devnet_bsc
from gateway.devnet.solana import constants as devnet_solana

BALANCE_OF = "0x70a08231"
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
BSC_TOKENS = {"USDT_BSC": devnet_bsc.USDT_ADDRESS, "USDC_BSC": devnet_bsc.USDC_ADDRESS}
SOLANA_MINTS = {"USDT_SOL": devnet_solana.USDT_MINT, "USDC_SOL": devnet_solana.USDC_MINT,
                "KZTE": devnet_solana.KZTE_MINT}


class RpcFailed(Exception):
    pass


class JsonRpc:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        async with self.session.post(self.url, json=body,
                                     timeout=aiohttp.ClientTimeout(total=10)) as answer:
            reply = await answer.json(content_type=None)
        if reply.get("error"):
            raise RpcFailed(f"{method}: {reply['error']}")
        return reply.get("result")


class Bsc(JsonRpc):
    async def head(self) -> int:
        return int(await self.call("eth_blockNumber"), 16)

    async def snapshot(self) -> str:
        snapshot: str = await self.call("evm_snapshot")
        return snapshot

    async def revert(self, snapshot: str) -> bool:
        """Back to the snapshot; False when it is gone (a revert to an earlier one drops it)."""
        try:
            return bool(await self.call("evm_revert", [snapshot]))
        except RpcFailed:
            return False

    async def mined_ok(self, tx: str) -> bool:
        """The transaction is in the current chain and succeeded."""
        receipt = await self.call("eth_getTransactionReceipt", [tx])
        return receipt is not None and int(receipt["status"], 16) == 1

    async def balance(self, asset_id: str, address: str) -> int:
        if asset_id == "BNB":
            return int(await self.call("eth_getBalance", [address, "latest"]), 16)
        data = BALANCE_OF + address.lower().removeprefix("0x").rjust(64, "0")
        raw = await self.call("eth_call", [{"to": BSC_TOKENS[asset_id], "data": data}, "latest"])
        return int(raw, 16)


class Solana(JsonRpc):
    async def landed_ok(self, signature: str) -> bool:
        """The transaction is in the ledger and succeeded."""
        found = await self.call("getSignatureStatuses",
                                [[signature], {"searchTransactionHistory": True}])
        status = found["value"][0]
        return status is not None and status.get("err") is None

    async def slot(self) -> int:
        return int(await self.call("getSlot", [{"commitment": "confirmed"}]))

    async def treasury_balance(self, asset_id: str) -> int:
        treasury = Pubkey.from_string(devnet_solana.TREASURY)
        if asset_id == "SOL":
            found = await self.call("getBalance", [str(treasury), {"commitment": "finalized"}])
            return int(found["value"])
        account = get_associated_token_address(treasury, Pubkey.from_string(SOLANA_MINTS[asset_id]),
                                               TOKEN_PROGRAM)
        try:
            found = await self.call("getTokenAccountBalance",
                                    [str(account), {"commitment": "finalized"}])
        except RpcFailed:
            return 0  # no token account yet: nothing received
        return int(found["value"]["amount"])
