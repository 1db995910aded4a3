"""Refund transactions on BNB Chain: EIP-155 legacy transactions (what BNB Chain wallets
send), native BNB or a BEP-20 `transfer(address,uint256)`.

The unsigned form (stored, and printed for offline signing) is the EIP-155 signing payload
`rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])`. Signed bytes are accepted only
when their first six fields are exactly those, the signature's chain id is ours and the
signer is the expected address.

Finality is the watchers' (ChainSettings.bsc_finality): the node's `finalized` block in tag
mode (depth when the node does not know the tag), `head - BSC_CONFIRMATIONS` in depth mode.
A refund is final when its receipt's block is at or below that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rlp
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.address import is_checksum_address, to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak

from gateway.chains.errors import NodeError
from gateway.chains.rpc import RpcClient
from gateway.log import get_logger
from gateway.refunds.models import Refund
from gateway.refunds.sending.errors import SendingError, SignatureRefused
from gateway.refunds.sending.network import Built, Outcome, Shortfall, Status
from gateway.refunds.sending.queries import RefundTransaction
from settlement.assets import ASSETS, native_of

log = get_logger(__name__)

CHAIN = "bsc"
TRANSFER_SELECTOR = keccak(text="transfer(address,uint256)")[:4]
BALANCE_OF = keccak(text="balanceOf(address)")[:4]
NATIVE_GAS = 21_000
# Headroom over the node's estimate: a token's storage may warm differently when mined.
GAS_HEADROOM_PERCENT = 20
_FIELDS = ("nonce", "gasPrice", "gas", "to", "value", "data")


def transfer_data(to: str, units: int) -> bytes:
    return TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [to, units])


def encode_unsigned(fields: Mapping[str, Any]) -> bytes:
    """The EIP-155 signing payload of a legacy transaction given as eth_account fields."""
    return bytes(rlp.encode([
        fields["nonce"], fields["gasPrice"], fields["gas"], to_canonical_address(fields["to"]),
        fields["value"], bytes(fields["data"]), fields["chainId"], 0, 0]))


def decode_unsigned(unsigned: bytes) -> dict[str, Any]:
    """The fields of a stored unsigned transaction, as `Account.sign_transaction` takes them."""
    items = rlp.decode(unsigned)
    if not isinstance(items, list) or len(items) != 9:
        raise SendingError("not an EIP-155 unsigned legacy transaction")
    nonce, gas_price, gas, to, value, data, chain_id = items[:7]
    return {"nonce": _int(nonce), "gasPrice": _int(gas_price), "gas": _int(gas),
            "to": to_checksum_address(bytes(to)), "value": _int(value), "data": bytes(data),
            "chainId": _int(chain_id)}


def _int(raw: Any) -> int:
    return int.from_bytes(bytes(raw), "big")


def sign_unsigned(unsigned: bytes, private_key: str | bytes) -> bytes:
    """Sign a stored unsigned transaction with a key (the hot wallet; tests as the operator)."""
    signed = Account.sign_transaction(decode_unsigned(unsigned), private_key)
    return bytes(signed.raw_transaction)


def tx_hash_of(signed: bytes) -> str:
    return "0x" + keccak(signed).hex()


def verify_signed(unsigned: bytes, signed: bytes, expected_signer: str) -> str:
    """The hash of `signed` when it is `unsigned` signed by `expected_signer` (EIP-155)."""
    try:
        items = rlp.decode(signed)
        want = rlp.decode(unsigned)
    except rlp.exceptions.DecodingError as exc:
        raise SignatureRefused(f"not an RLP legacy transaction: {exc}") from exc
    if not isinstance(items, list) or len(items) != 9:
        raise SignatureRefused("not a signed legacy transaction (typed transactions are refused)")
    if items[:6] != want[:6]:
        raise SignatureRefused("the signed transaction differs from the one built for this "
                               "refund (nonce, gas, recipient, value or data)")
    chain_id = _int(want[6])
    if _int(items[6]) not in (chain_id * 2 + 35, chain_id * 2 + 36):
        raise SignatureRefused(f"the signature is not for chain id {chain_id} (EIP-155)")
    try:
        signer = Account.recover_transaction(signed)
    except Exception as exc:  # eth_account raises several types for a bad signature
        raise SignatureRefused(f"the signature does not verify: {exc}") from exc
    if signer.lower() != expected_signer.lower():
        raise SignatureRefused(f"signed by {signer}, not by the refund wallet {expected_signer}")
    return tx_hash_of(signed)


class BscNetwork:
    """Refunds over one BNB Chain node (the watchers' RPC client and finality settings)."""

    chain = CHAIN

    def __init__(self, rpc: RpcClient, tokens: Mapping[str, str], *, finality: str,
                 confirmations: int) -> None:
        self.rpc = rpc
        self.tokens = dict(tokens)  # asset id -> contract
        self.finality = finality
        self.confirmations = confirmations

    async def close(self) -> None:
        await self.rpc.close()

    async def next_nonce(self, address: str) -> int | None:
        return int(await self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)

    def _call(self, refund: Refund) -> tuple[str, int, bytes]:
        """(to, value, data) of the refund's transaction."""
        if refund.asset_id is None or refund.address is None or not refund.amount_units:
            raise SendingError(f"refund {refund.id} has no asset, address or amount yet")
        if not is_checksum_address(refund.address):
            raise SendingError(f"refund {refund.id}: {refund.address} is not an EIP-55 address")
        if ASSETS[refund.asset_id].native:
            return refund.address, refund.amount_units, b""
        contract = self.tokens.get(refund.asset_id)
        if contract is None:
            raise SendingError(f"no contract configured for {refund.asset_id}")
        return (to_checksum_address(contract), 0,
                transfer_data(refund.address, refund.amount_units))

    async def _gas(self, from_address: str, to: str, data: bytes) -> int:
        if not data:
            return NATIVE_GAS
        estimate = int(await self.rpc.call("eth_estimateGas", [
            {"from": from_address, "to": to, "data": "0x" + data.hex()}]), 16)
        return estimate * (100 + GAS_HEADROOM_PERCENT) // 100

    async def _token_units(self, token: str, owner: str) -> int:
        data = BALANCE_OF + abi_encode(["address"], [owner])
        return int(await self.rpc.call("eth_call", [
            {"to": token, "data": "0x" + data.hex()}, "latest"]), 16)

    async def shortfall(self, refund: Refund, from_address: str,
                        tx: RefundTransaction | None) -> Shortfall | None:
        to, value, data = self._call(refund)
        if data:  # a token first: the gas estimate of a transfer it cannot pay reverts
            held = await self._token_units(to, from_address)
            if held < (refund.amount_units or 0):
                assert refund.asset_id is not None  # checked by _call
                return Shortfall(refund.asset_id, refund.amount_units or 0, held)
        if tx is not None:
            fields = decode_unsigned(tx.unsigned_tx)
            gas, gas_price = fields["gas"], fields["gasPrice"]
        else:
            gas = await self._gas(from_address, to, data)
            gas_price = int(await self.rpc.call("eth_gasPrice"), 16)
        needed = value + gas * gas_price
        held = int(await self.rpc.call("eth_getBalance", [from_address, "latest"]), 16)
        return Shortfall(native_of(CHAIN).id, needed, held) if held < needed else None

    async def build(self, refund: Refund, from_address: str, nonce: int | None) -> Built:
        if nonce is None:
            raise SendingError("a BNB Chain transaction needs a nonce")
        to, value, data = self._call(refund)
        gas_price = int(await self.rpc.call("eth_gasPrice"), 16)
        gas = await self._gas(from_address, to, data)
        fields = {"nonce": nonce, "gasPrice": gas_price, "gas": gas, "to": to, "value": value,
                  "data": data, "chainId": await self.rpc.chain_id()}
        return Built(encode_unsigned(fields), nonce=nonce)

    def verify(self, unsigned: bytes, signed: bytes, expected_signer: str) -> str:
        return verify_signed(unsigned, signed, expected_signer)

    async def broadcast(self, tx: RefundTransaction) -> None:
        assert tx.signed_tx is not None and tx.tx_hash is not None
        try:
            await self.rpc.call("eth_sendRawTransaction", ["0x" + tx.signed_tx.hex()])
        except NodeError as exc:
            # A re-broadcast after a restart: "already known" / "nonce too low" mean the node
            # has these bytes (or mined them), which the receipt or the pool confirms.
            if await self._known(tx.tx_hash):
                log.info("refund_rebroadcast_known", chain=CHAIN, tx=tx.tx_hash,
                         answer=str(exc))
                return
            raise

    async def _known(self, tx_hash: str) -> bool:
        return await self.rpc.call("eth_getTransactionByHash", [tx_hash]) is not None

    async def _finalized_number(self) -> int:
        if self.finality == "tag":
            try:
                block = await self.rpc.call("eth_getBlockByNumber", ["finalized", False])
            except NodeError:
                block = None
            if isinstance(block, dict) and block.get("number"):
                return int(block["number"], 16)
        head = int(await self.rpc.call("eth_blockNumber"), 16)
        return head - self.confirmations

    async def outcome(self, tx: RefundTransaction, refund: Refund) -> Outcome:
        assert tx.tx_hash is not None
        receipt = await self.rpc.call("eth_getTransactionReceipt", [tx.tx_hash])
        if receipt is None:
            return Outcome(Status.PENDING if await self._known(tx.tx_hash) else Status.UNKNOWN)
        if int(receipt["blockNumber"], 16) > await self._finalized_number():
            return Outcome(Status.PENDING)
        fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        if int(receipt["status"], 16) != 1:
            return Outcome(Status.FAILED, fee, f"transaction {tx.tx_hash} reverted")
        return Outcome(Status.FINAL, fee)

    async def expired(self, tx: RefundTransaction) -> bool:
        return False

    async def stale_height(self, tx: RefundTransaction) -> int | None:
        return None


__all__ = ["BscNetwork", "decode_unsigned", "sign_unsigned", "verify_signed"]
