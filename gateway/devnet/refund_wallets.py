"""Funding the refund hot wallets on the local devnets (`make run`, and the refund tests).

BNB Chain: the wallet's BNB is set by `anvil_setBalance`, the BEP-20 test tokens come from a
token-funded test wallet. Solana: SOL by airdrop (the devnet's faucet), the SPL tokens from a
test wallet (the recipient's token account is created on the way). A wallet already holding
at least half of a target is left alone, so restarts do not pile up funds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from gateway.config import Settings
from gateway.devnet import bsc, jsonrpc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.solana import constants as sol
from gateway.devnet.solana.wallet import pay_uri as pay_solana_uri
from gateway.log import get_logger
from gateway.refunds.sending.signers import HOT, wallet_address

log = get_logger(__name__)

BNB_TARGET = 100 * 10**18
TOKEN_TARGET_WHOLE = 100_000
SOL_TARGET = 100 * sol.LAMPORTS_PER_SOL
BSC_TOKEN_WALLET = bsc.TOKEN_FUNDED_WALLETS - 1  # the last token-funded test wallet
SOLANA_TOKEN_WALLET = len(sol.TEST_WALLETS) - 1
BALANCE_OF = bytes.fromhex("70a08231")  # balanceOf(address)


def _token_balance(rpc_url: str, token: str, owner: str) -> int:
    data = "0x" + BALANCE_OF.hex() + owner.lower().removeprefix("0x").rjust(64, "0")
    return int(jsonrpc.call(rpc_url, "eth_call", [{"to": token, "data": data}, "latest"]), 16)


async def fund_bsc(rpc_url: str, address: str) -> None:
    """BNB and every BEP-20 test token up to their targets."""
    balance = int(jsonrpc.call(rpc_url, "eth_getBalance", [address, "latest"]), 16)
    if balance < BNB_TARGET // 2:
        jsonrpc.call(rpc_url, "anvil_setBalance", [address, hex(BNB_TARGET)])
    for token in bsc.TOKENS:
        target = TOKEN_TARGET_WHOLE * 10**token.decimals
        if _token_balance(rpc_url, token.address, address) < target // 2:
            await pay_uri(f"ethereum:{token.address}@56/transfer?address={address}"
                          f"&uint256={target}", rpc_url=rpc_url, wallet=BSC_TOKEN_WALLET)


def _lamports(rpc_url: str, address: str) -> int:
    return int(jsonrpc.call(rpc_url, "getBalance", [address])["value"])


def _token_units(rpc_url: str, owner: str, mint: str) -> int:
    answer = jsonrpc.call(rpc_url, "getTokenAccountsByOwner",
                          [owner, {"mint": mint}, {"encoding": "jsonParsed"}])
    return sum(int(a["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"])
               for a in answer["value"])


async def fund_solana(rpc_url: str, address: str, mints: Mapping[str, str]) -> None:
    """SOL and every SPL test mint up to their targets."""
    if _lamports(rpc_url, address) < SOL_TARGET // 2:
        jsonrpc.call(rpc_url, "requestAirdrop", [address, SOL_TARGET])
    for mint in mints.values():
        if _token_units(rpc_url, address, mint) == 0:
            await pay_solana_uri(f"solana:{address}?amount={TOKEN_TARGET_WHOLE}&spl-token={mint}",
                                 rpc_url=rpc_url, wallet=SOLANA_TOKEN_WALLET)
    # Let the funding reach `confirmed` before the first refund builds against it.
    await asyncio.sleep(0.5)


def devnet_mints() -> dict[str, str]:
    return {"USDT": sol.USDT_MINT, "USDC": sol.USDC_MINT, "KZTE": sol.KZTE_MINT}


async def refund_wallets_startup(settings: Settings) -> list[str]:
    """The `make run` step: fund the hot wallets on the local devnets (hot signing only)."""
    if not settings.dev or settings.refund_sending.signer != HOT:
        return []
    lines = []
    bsc_address = wallet_address("bsc", settings.refund_sending)
    solana_address = wallet_address("solana", settings.refund_sending)
    if jsonrpc.answers(settings.bsc_rpc_url, "eth_chainId"):
        await fund_bsc(settings.bsc_rpc_url, bsc_address)
        lines.append(f"refunds:   BNB Chain hot wallet {bsc_address} (funded)")
    if jsonrpc.answers(settings.solana_rpc_url, "getHealth", "ok"):
        await fund_solana(settings.solana_rpc_url, solana_address, devnet_mints())
        lines.append(f"refunds:   Solana hot wallet {solana_address} (funded)")
    log.info("refund_wallets_funded", bsc=bsc_address, solana=solana_address)
    return lines
