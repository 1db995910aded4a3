"""EIP-681 shopper wallet simulator for the BNB Chain devnet.

It reads the URI the checkout shows and pays it as a wallet would: `ethereum:<addr>@56?value=`
becomes a plain BNB transfer, `ethereum:<token>@56/transfer?address=&uint256=` a call of the
token's `transfer(address,uint256)`. The grammar comes from `gateway.payments.uri` (the
gateway's own parser); on top of it the simulator insists on what our URIs always carry and
what a careful wallet checks: chain id 56 written out, an amount in plain digits (no exponent,
which wallets misread), more than zero. Transactions are EIP-155 legacy transactions (what
BNB Chain wallets send), gas estimated by the node, signed locally with a test wallet's key.

Test knobs: `amount` pays another amount (asset units), `split` sends N transfers summing
exactly to it, `after` waits first, `wallet` picks the test wallet.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import TimeExhausted, Web3Exception

from gateway.devnet import bsc
from gateway.devnet.errors import InvalidPaymentUri, PaymentFailed
from gateway.devnet.split import split_units
from gateway.log import get_logger
from gateway.payments.amounts import parse_units
from gateway.payments.errors import PaymentUriError
from gateway.payments.uri import parse_eip681

log = get_logger(__name__)

TRANSFER_SELECTOR = keccak(text="transfer(address,uint256)")[:4]
DECIMALS_SELECTOR = keccak(text="decimals()")[:4]
BNB_DECIMALS = 18
_PLAIN_DIGITS = re.compile(r"[0-9]+")
_AMOUNT_KEYS = ("value", "uint256")
RECEIPT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BscPayment:
    """What a URI asks for: `token` None means native BNB."""

    to: str
    units: int
    token: str | None


def _raw_amounts(uri: str) -> dict[str, str]:
    query = uri.partition("?")[2]
    pairs = (part.partition("=") for part in query.split("&") if part)
    return {key: value for key, _, value in pairs if key in _AMOUNT_KEYS}


def parse_payment_uri(uri: str) -> BscPayment:
    """Parse strictly; InvalidPaymentUri says in one line what is wrong."""
    text = uri.strip()
    try:
        request = parse_eip681(text)
    except PaymentUriError as exc:
        raise InvalidPaymentUri(str(exc)) from exc
    if request.chain_id is None:
        raise InvalidPaymentUri(f"the URI names no chain id; expected @{bsc.CHAIN_ID}")
    if request.chain_id != bsc.CHAIN_ID:
        raise InvalidPaymentUri(
            f"chain id {request.chain_id} is not BNB Chain ({bsc.CHAIN_ID}); refusing to pay"
        )
    for key, raw in _raw_amounts(text).items():
        if not _PLAIN_DIGITS.fullmatch(raw):
            raise InvalidPaymentUri(f"{key}={raw!r} is not an integer in plain digits")
    if request.amount is None:
        key = "value" if request.function is None else "uint256"
        raise InvalidPaymentUri(f"the URI has no amount ({key}=...)")
    if request.amount <= 0:
        raise InvalidPaymentUri("the amount must be more than zero")
    token = request.target if request.function == "transfer" else None
    return BscPayment(to=request.to, units=request.amount, token=token)


def to_units(amount: Decimal, decimals: int) -> int:
    """An amount in asset units as base units; refuses more decimals than the asset has."""
    try:
        return parse_units(format(amount, "f"), decimals)
    except PaymentUriError as exc:
        raise InvalidPaymentUri(f"--amount: {exc}") from exc


def transfer_data(to: str, units: int) -> bytes:
    """ABI-encoded `transfer(to, units)` call data."""
    return (TRANSFER_SELECTOR + bytes.fromhex(to[2:].rjust(64, "0"))
            + units.to_bytes(32, "big"))


class _Payer:
    """One test wallet talking to one node."""

    def __init__(self, w3: AsyncWeb3[Any], wallet: int) -> None:
        try:
            address, self.key = bsc.wallet(wallet)
        except IndexError as exc:
            raise PaymentFailed(str(exc)) from exc
        self.address = to_checksum_address(address)
        self.w3 = w3

    async def check_chain(self) -> None:
        chain_id = await self.w3.eth.chain_id
        if chain_id != bsc.CHAIN_ID:
            raise PaymentFailed(f"the node is chain {chain_id}, not BNB Chain {bsc.CHAIN_ID}")

    async def decimals(self, token: str) -> int:
        raw = await self.w3.eth.call({"to": token, "data": DECIMALS_SELECTOR})
        if len(raw) != 32:
            raise PaymentFailed(f"{token} does not answer decimals(); is it a BEP-20 token?")
        return int.from_bytes(raw, "big")

    def _call(self, payment: BscPayment, units: int) -> dict[str, Any]:
        if payment.token is None:
            return {"to": payment.to, "value": units, "data": b""}
        return {"to": payment.token, "value": 0, "data": transfer_data(payment.to, units)}

    async def send(self, payment: BscPayment, parts: list[int]) -> list[str]:
        nonce = await self.w3.eth.get_transaction_count(self.address, "pending")
        gas_price = await self.w3.eth.gas_price
        hashes = []
        for offset, units in enumerate(parts):
            call = {"from": self.address, **self._call(payment, units)}
            gas = await self.w3.eth.estimate_gas(call)  # type: ignore[arg-type]
            tx = {**call, "gas": gas, "gasPrice": gas_price, "nonce": nonce + offset,
                  "chainId": bsc.CHAIN_ID}
            del tx["from"]
            signed = Account.sign_transaction(tx, self.key)
            tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            hashes.append("0x" + bytes(tx_hash).hex())
        return hashes

    async def wait(self, hashes: list[str], timeout: float) -> None:  # float-ok
        for tx_hash in hashes:
            receipt = await self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=timeout, poll_latency=0.05  # type: ignore[arg-type]
            )
            if receipt["status"] != 1:
                raise PaymentFailed(f"transaction {tx_hash} reverted")


async def pay_uri(
    uri: str,
    *,
    rpc_url: str,
    amount: Decimal | None = None,
    split: int = 1,
    wallet: int = 0,
    after: float = 0.0,  # float-ok
    wait: bool = True,
) -> list[str]:
    """Pay the EIP-681 `uri` from test wallet `wallet`; returns the transaction hashes.

    With `wait` the call returns once every transfer is mined (and fails if one reverted).
    """
    payment = parse_payment_uri(uri)
    w3 = AsyncWeb3(AsyncHTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    try:
        return await _pay(w3, payment, amount, split, wallet, after, wait)
    except (Web3Exception, aiohttp.ClientError, TimeExhausted, ValueError) as exc:
        raise PaymentFailed(f"paying {payment.to} failed: {exc}") from exc
    finally:
        await w3.provider.disconnect()


async def _pay(w3: AsyncWeb3[Any], payment: BscPayment, amount: Decimal | None, split: int,
               wallet: int, after: float, wait: bool) -> list[str]:  # float-ok
    payer = _Payer(w3, wallet)
    await payer.check_chain()
    units = payment.units
    if amount is not None:
        decimals = BNB_DECIMALS if payment.token is None else await payer.decimals(payment.token)
        units = to_units(amount, decimals)
    parts = split_units(units, split)
    if after > 0:
        await asyncio.sleep(after)
    hashes = await payer.send(payment, parts)
    log.info("bsc_pay_sent", chain="bsc", to=payment.to, token=payment.token, units=units,
             wallet=wallet, tx_hashes=hashes)
    if wait:
        await payer.wait(hashes, RECEIPT_TIMEOUT_S)
    return hashes
