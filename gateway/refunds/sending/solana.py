"""Refund transactions on Solana: a SOL system transfer, or an SPL TransferChecked between
the refund wallet's and the recipient's associated token accounts, creating the recipient's
(CreateIdempotent) when it is missing.

The unsigned form (stored, printed for offline signing) is the serialized legacy message;
signed bytes are a legacy transaction accepted only when its message is byte for byte the
stored one and its one signature verifies for the expected key.

A transaction carries a recent blockhash and is valid up to `lastValidBlockHeight`; it is
re-signed (with a new blockhash) only once the finalized block height is past that AND the
cluster does not know the signature: then it can never land, and only then.
Final: getSignatureStatuses says `finalized`. The fee is what the refund wallet paid beyond
the refund (meta.fee, plus the rent of a token account it created), from the transaction's
pre/post balances of the fee payer.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address
from solders.transaction import Transaction
from spl.token.instructions import create_idempotent_associated_token_account, transfer_checked
from spl.token.models import TransferCheckedParams

from gateway.chains.errors import NodeError
from gateway.chains.solana.rpc import CONFIRMED, FINALIZED, SolanaRpc
from gateway.log import get_logger
from gateway.refunds.models import Refund
from gateway.refunds.sending.errors import SendingError, SignatureRefused
from gateway.refunds.sending.network import Built, Outcome, Shortfall, Status
from gateway.refunds.sending.queries import RefundTransaction
from settlement.assets import ASSETS, native_of

log = get_logger(__name__)

CHAIN = "solana"
# The base fee per signature; refunds set no priority fee.
LAMPORTS_PER_SIGNATURE = 5_000
TOKEN_ACCOUNT_SIZE = 165


def sign_message(unsigned: bytes, keypair: Keypair) -> bytes:
    """A signed legacy transaction of a stored message (the hot wallet; tests as operator)."""
    message = Message.from_bytes(unsigned)
    return bytes(Transaction.populate(message, [keypair.sign_message(unsigned)]))


def signature_of(signed: bytes) -> str:
    return str(Transaction.from_bytes(signed).signatures[0])


def verify_signed(unsigned: bytes, signed: bytes, expected_signer: str) -> str:
    """The signature of `signed` when it is the stored message signed by `expected_signer`."""
    try:
        tx = Transaction.from_bytes(signed)
    except ValueError as exc:
        raise SignatureRefused(f"not a serialized Solana transaction: {exc}") from exc
    if bytes(tx.message) != unsigned:
        raise SignatureRefused("the signed transaction's message differs from the one built "
                               "for this refund")
    keys = tx.message.account_keys
    if len(tx.signatures) != 1 or not keys or str(keys[0]) != expected_signer:
        raise SignatureRefused(f"the transaction must be signed by the refund wallet "
                               f"{expected_signer} alone")
    if not tx.signatures[0].verify(keys[0], unsigned):
        raise SignatureRefused(f"the signature does not verify for {expected_signer}")
    return str(tx.signatures[0])


def _pubkey(value: str, what: str) -> Pubkey:
    try:
        key = Pubkey.from_string(value)
    except ValueError as exc:
        raise SendingError(f"{what} {value!r} is not a base58 public key") from exc
    return key


class SolanaNetwork:
    """Refunds over one Solana node."""

    chain = CHAIN

    def __init__(self, rpc: SolanaRpc, mints: Mapping[str, str]) -> None:
        self.rpc = rpc
        self.mints = dict(mints)  # asset id -> mint

    async def close(self) -> None:
        await self.rpc.close()

    async def next_nonce(self, address: str) -> int | None:
        return None

    async def _mint_facts(self, mint: Pubkey) -> tuple[Pubkey, int]:
        """(token program, decimals) of a mint."""
        account = await self.rpc.get_parsed_account(str(mint))
        data = account.get("data") if account else None
        parsed = data.get("parsed") if isinstance(data, dict) else None
        info = parsed.get("info") if isinstance(parsed, dict) else None
        if account is None or not isinstance(info, dict) or not isinstance(
                info.get("decimals"), int):
            raise SendingError(f"{mint} is not a token mint on the cluster")
        return Pubkey.from_string(str(account["owner"])), int(info["decimals"])

    async def _instructions(self, refund: Refund, payer: Pubkey) -> list[Instruction]:
        if refund.asset_id is None or refund.address is None or not refund.amount_units:
            raise SendingError(f"refund {refund.id} has no asset, address or amount yet")
        recipient = _pubkey(refund.address, "refund address")
        if ASSETS[refund.asset_id].native:
            return [transfer(TransferParams(from_pubkey=payer, to_pubkey=recipient,
                                            lamports=refund.amount_units))]
        mint_text = self.mints.get(refund.asset_id)
        if mint_text is None:
            raise SendingError(f"no mint configured for {refund.asset_id}")
        mint = _pubkey(mint_text, "mint")
        program, decimals = await self._mint_facts(mint)
        source = get_associated_token_address(payer, mint, program)
        destination = get_associated_token_address(recipient, mint, program)
        setup = []
        if await self.rpc.get_parsed_account(str(destination)) is None:
            setup.append(create_idempotent_associated_token_account(
                payer, recipient, mint, program))
        return [*setup, transfer_checked(TransferCheckedParams(
            program_id=program, source=source, mint=mint, dest=destination, owner=payer,
            amount=refund.amount_units, decimals=decimals))]

    async def _rent_exempt(self, size: int) -> int:
        return int(await self.rpc.call("getMinimumBalanceForRentExemption", [size]))

    async def _token_units(self, account: Pubkey) -> int:
        found = await self.rpc.get_parsed_account(str(account))
        data = found.get("data") if found else None
        parsed = data.get("parsed") if isinstance(data, dict) else None
        info = parsed.get("info") if isinstance(parsed, dict) else None
        amount = info.get("tokenAmount") if isinstance(info, dict) else None
        return int(amount["amount"]) if isinstance(amount, dict) else 0

    async def shortfall(self, refund: Refund, from_address: str,
                        tx: RefundTransaction | None) -> Shortfall | None:
        """The fee payer must pay the fee, the SOL refunded or the rent of a token account
        it creates, and stay rent-exempt itself (conservative: it could also drop to 0)."""
        payer = _pubkey(from_address, "refund wallet")
        if tx is None:
            message = Message(await self._instructions(refund, payer), payer)
        else:
            message = Message.from_bytes(tx.unsigned_tx)
        assert refund.asset_id is not None  # checked by _instructions
        native = ASSETS[refund.asset_id].native
        if not native:
            mint = _pubkey(self.mints[refund.asset_id], "mint")
            program, _ = await self._mint_facts(mint)
            held = await self._token_units(get_associated_token_address(payer, mint, program))
            if held < (refund.amount_units or 0):
                return Shortfall(refund.asset_id, refund.amount_units or 0, held)
        needed = (LAMPORTS_PER_SIGNATURE * message.header.num_required_signatures
                  + await self._rent_exempt(0))
        if native:
            needed += refund.amount_units or 0
        elif len(message.instructions) > 1:  # CreateIdempotent of the recipient's account
            needed += await self._rent_exempt(TOKEN_ACCOUNT_SIZE)
        answer = await self.rpc.call("getBalance", [str(payer), {"commitment": CONFIRMED}])
        held = int(answer["value"])
        return Shortfall(native_of(CHAIN).id, needed, held) if held < needed else None

    async def build(self, refund: Refund, from_address: str, nonce: int | None) -> Built:
        payer = _pubkey(from_address, "refund wallet")
        instructions = await self._instructions(refund, payer)
        latest = await self.rpc.call("getLatestBlockhash", [{"commitment": CONFIRMED}])
        value = latest["value"]
        message = Message.new_with_blockhash(instructions, payer,
                                             Hash.from_string(value["blockhash"]))
        return Built(bytes(message), recent_blockhash=value["blockhash"],
                     last_valid_block_height=int(value["lastValidBlockHeight"]))

    def verify(self, unsigned: bytes, signed: bytes, expected_signer: str) -> str:
        return verify_signed(unsigned, signed, expected_signer)

    async def broadcast(self, tx: RefundTransaction) -> None:
        assert tx.signed_tx is not None and tx.tx_hash is not None
        encoded = base64.b64encode(tx.signed_tx).decode()
        try:
            await self.rpc.call("sendTransaction", [encoded, {
                "encoding": "base64", "preflightCommitment": CONFIRMED}])
        except NodeError as exc:
            # A re-broadcast of bytes the cluster already processed is refused as a
            # duplicate: the signature's status says it has them.
            if (await self.rpc.get_signature_statuses([tx.tx_hash]))[0] is not None:
                log.info("refund_rebroadcast_known", chain=CHAIN, tx=tx.tx_hash,
                         answer=str(exc))
                return
            raise

    async def _finalized_meta(self, tx: RefundTransaction) -> dict[str, Any] | None:
        raw = await self.rpc.call("getTransaction", [tx.tx_hash, {
            "encoding": "json", "commitment": FINALIZED, "maxSupportedTransactionVersion": 0}])
        if not isinstance(raw, dict) or not isinstance(raw.get("meta"), dict):
            return None  # not rooted yet
        meta: dict[str, Any] = raw["meta"]
        return meta

    @staticmethod
    def _fee(meta: dict[str, Any], refund: Refund) -> int:
        """Native units the fee payer spent beyond the refund itself."""
        spent = int(meta["preBalances"][0]) - int(meta["postBalances"][0])
        native = refund.asset_id is not None and ASSETS[refund.asset_id].native
        if native and meta.get("err") is None:
            spent -= refund.amount_units or 0
        return spent

    async def outcome(self, tx: RefundTransaction, refund: Refund) -> Outcome:
        assert tx.tx_hash is not None
        status = (await self.rpc.get_signature_statuses([tx.tx_hash]))[0]
        if status is None:
            return Outcome(Status.UNKNOWN)
        if status not in (FINALIZED, "failed"):
            return Outcome(Status.PENDING)
        # A failed transaction is final once rooted too; until then wait like a pending one.
        meta = await self._finalized_meta(tx)
        if meta is None:
            return Outcome(Status.PENDING)
        fee = self._fee(meta, refund)
        if meta.get("err") is not None:
            return Outcome(Status.FAILED, fee, f"transaction {tx.tx_hash} failed: {meta['err']}")
        return Outcome(Status.FINAL, fee)

    async def stale_height(self, tx: RefundTransaction) -> int | None:
        if tx.last_valid_block_height is None:
            return None
        height = int(await self.rpc.call("getBlockHeight", [{"commitment": CONFIRMED}]))
        return height if height > tx.last_valid_block_height else None

    async def expired(self, tx: RefundTransaction) -> bool:
        if tx.last_valid_block_height is None:
            return False
        height = int(await self.rpc.call("getBlockHeight", [{"commitment": FINALIZED}]))
        if height <= tx.last_valid_block_height:
            return False
        if tx.tx_hash is None:
            return True
        return (await self.rpc.get_signature_statuses([tx.tx_hash]))[0] is None


__all__ = ["SolanaNetwork", "sign_message", "signature_of", "verify_signed"]
