"""Shoppers' wallets: real signed transactions on both devnets, each one remembered.

BNB Chain: the checkout's EIP-681 URI is read by the devnet wallet's own parser and the
transaction is signed here (legacy EIP-155, as `gateway.devnet.bsc_wallet` does) so that its
raw bytes are kept: after a reorg the chaos run can broadcast a dropped transaction again (the
same hash mined in another block). One lock per wallet keeps nonces in order; the reorg takes
them all. Solana: `gateway.devnet.solana.wallet.pay_uri` as is.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from eth_account import Account
from eth_utils.address import to_checksum_address

from gateway.devnet import bsc as devnet_bsc
from gateway.devnet.bsc_wallet import parse_payment_uri, transfer_data
from gateway.devnet.solana import wallet as solana_wallet
from gateway.devnet.split import split_units
from tests.chaos.chains import Bsc

NATIVE_GAS = 21_000
TOKEN_GAS = 120_000
BNB_WALLETS = tuple(range(devnet_bsc.TOKEN_FUNDED_WALLETS, devnet_bsc.WALLET_COUNT))
TOKEN_WALLETS = tuple(range(devnet_bsc.TOKEN_FUNDED_WALLETS))
SOLANA_WALLETS = (0, 1, 2, 3)


@dataclass(frozen=True)
class Sent:
    """One transfer the simulator broadcast (a transaction carries exactly one)."""

    chain: str
    asset_id: str
    tx: str
    invoice_id: str
    units: int
    kind: str  # the scenario's payment kind, for the counts


@dataclass
class Broadcast:
    wallet: int
    nonce: int
    raw: bytes
    tx: str
    at: float  # monotonic  # float-ok


@dataclass
class BscWallets:
    rpc: Bsc
    locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    recent: list[Broadcast] = field(default_factory=list)
    gas_price: int | None = None
    _bnb: itertools.cycle[int] = field(default_factory=lambda: itertools.cycle(BNB_WALLETS))
    _token: itertools.cycle[int] = field(
        default_factory=lambda: itertools.cycle(TOKEN_WALLETS))

    def __post_init__(self) -> None:
        self.locks = {i: asyncio.Lock() for i in (*BNB_WALLETS, *TOKEN_WALLETS)}

    async def pay(self, uri: str, units: int) -> str:
        """Send `units` base units as the URI asks (its token or BNB); the tx hash."""
        payment = parse_payment_uri(uri)
        return await self.pay_to(payment.to, payment.token, units)

    async def pay_to(self, to: str, token: str | None, units: int) -> str:
        """Send `units` of `token` (None: BNB) to `to`; the tx hash."""
        wallet = next(self._bnb if token is None else self._token)
        address, key = devnet_bsc.wallet(wallet)
        if token is None:
            call: dict[str, Any] = {"to": to_checksum_address(to), "value": units,
                                    "data": b"", "gas": NATIVE_GAS}
        else:
            call = {"to": to_checksum_address(token), "value": 0,
                    "data": transfer_data(to, units), "gas": TOKEN_GAS}
        async with self.locks[wallet]:
            if self.gas_price is None:
                self.gas_price = int(await self.rpc.call("eth_gasPrice"), 16)
            nonce = int(await self.rpc.call(
                "eth_getTransactionCount", [to_checksum_address(address), "pending"]), 16)
            signed = Account.sign_transaction(
                {**call, "gasPrice": self.gas_price, "nonce": nonce,
                 "chainId": devnet_bsc.CHAIN_ID}, key)
            tx: str = await self.rpc.call("eth_sendRawTransaction",
                                          ["0x" + bytes(signed.raw_transaction).hex()])
            self.recent.append(Broadcast(wallet, nonce, bytes(signed.raw_transaction),
                                         tx.lower(), time.monotonic()))
        return tx.lower()

    def forget_before(self, moment: float) -> None:  # float-ok
        self.recent = [b for b in self.recent if b.at >= moment]


async def pay_solana(rpc_url: str, uri: str, units: int, decimals: int, wallet: int,
                     split: int = 1, drop_reference: bool = False) -> list[tuple[str, int]]:
    """(signature, units) of each transfer paying `units` to the Solana Pay URI."""
    amount = Decimal(units).scaleb(-decimals)
    signatures = await solana_wallet.pay_uri(uri, rpc_url=rpc_url, amount=amount, split=split,
                                             wallet=wallet, drop_reference=drop_reference)
    return list(zip(signatures, split_units(units, split), strict=True))


def with_mint(uri: str, mint: str | None) -> str:
    """The Solana Pay URI asking for another SPL token (None: SOL) instead of its own."""
    head, _, query = uri.partition("?")
    pairs = [(k, v) for k, v in parse_qsl(query) if k != "spl-token"]
    if mint is not None:
        pairs.append(("spl-token", mint))
    return f"{head}?{urlencode(pairs, quote_via=quote)}"
