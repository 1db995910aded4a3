"""Cluster methods: health, version, slots, blockhashes, rent, fees and the airdrop faucet."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.errors import InvalidParams, PreflightFailed, TransactionRejected
from gateway.devnet.solana.ledger import Ledger
from gateway.devnet.solana.params import Params, commitment, context_slot, parse_hash
from gateway.devnet.solana.txerrors import error_message

MAX_AIRDROP_LAMPORTS = 1_000 * c.LAMPORTS_PER_SOL


def with_context(slot: int, value: Any) -> dict[str, Any]:
    return {"context": {"apiVersion": c.SOLANA_CORE_VERSION, "slot": slot}, "value": value}


def get_health(ledger: Ledger, params: Params) -> Any:
    return "ok"


def get_version(ledger: Ledger, params: Params) -> Any:
    return {"feature-set": c.FEATURE_SET, "solana-core": c.SOLANA_CORE_VERSION}


def get_slot(ledger: Ledger, params: Params) -> Any:
    config = params.config(0)
    return context_slot(ledger, config, commitment(config))


def get_block_height(ledger: Ledger, params: Params) -> Any:
    # No skipped slots on this devnet, so the block height is the slot.
    return get_slot(ledger, params)


def get_latest_blockhash(ledger: Ledger, params: Params) -> Any:
    config = params.config(0)
    slot = context_slot(ledger, config, commitment(config))
    value = {
        "blockhash": ledger.blockhash_at(slot),
        "lastValidBlockHeight": slot + c.BLOCKHASH_VALID_SLOTS,
    }
    return with_context(slot, value)


def is_blockhash_valid(ledger: Ledger, params: Params) -> Any:
    blockhash = str(parse_hash(params.string(0, "blockhash")))
    config = params.config(1)
    slot = context_slot(ledger, config, commitment(config))
    return with_context(slot, ledger.blockhash_valid(blockhash, slot))


def get_minimum_balance_for_rent_exemption(ledger: Ledger, params: Params) -> Any:
    size = params.integer(0, "data_len")
    return ledger.svm.minimum_balance_for_rent_exemption(size)


def _message(text: str) -> Message | MessageV0:
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InvalidParams(f"Invalid params: invalid base64 message: {exc}") from exc
    try:
        # A versioned message starts with a byte whose top bit is set.
        if raw and raw[0] & 0x80:
            return MessageV0.from_bytes(raw[1:])
        return Message.from_bytes(raw)
    except ValueError as exc:
        raise InvalidParams(f"Invalid params: invalid message: {exc}") from exc


def get_fee_for_message(ledger: Ledger, params: Params) -> Any:
    """Base fee per signature; priority fees from compute budget instructions are not added."""
    message = _message(params.string(0, "message"))
    config = params.config(1)
    slot = context_slot(ledger, config, commitment(config))
    if not ledger.blockhash_valid(str(message.recent_blockhash), ledger.slot):
        return with_context(slot, None)
    return with_context(slot, message.header.num_required_signatures * c.LAMPORTS_PER_SIGNATURE)


def request_airdrop(ledger: Ledger, params: Params) -> Any:
    """A real transfer from the devnet faucet, so the airdrop appears in the history."""
    recipient: Pubkey = params.pubkey(0)
    lamports = params.integer(1, "lamports")
    if lamports > MAX_AIRDROP_LAMPORTS:
        raise InvalidParams(f"Invalid params: airdrop above {MAX_AIRDROP_LAMPORTS} lamports")
    faucet = c.keypair(c.FAUCET_SEED)
    ix = transfer(TransferParams(from_pubkey=faucet.pubkey(), to_pubkey=recipient,
                                 lamports=lamports))
    blockhash = parse_hash(ledger.blockhash_at(ledger.slot))
    message = Message.new_with_blockhash([ix], faucet.pubkey(), blockhash)
    tx = VersionedTransaction(message, [faucet])
    try:
        record = ledger.execute(tx, bytes(tx))
    except TransactionRejected as exc:
        raise PreflightFailed(f"airdrop failed: {error_message(exc.err)}") from exc
    return record.signature


METHODS = {
    "getHealth": get_health,
    "getVersion": get_version,
    "getSlot": get_slot,
    "getBlockHeight": get_block_height,
    "getLatestBlockhash": get_latest_blockhash,
    "isBlockhashValid": is_blockhash_valid,
    "getMinimumBalanceForRentExemption": get_minimum_balance_for_rent_exemption,
    "getFeeForMessage": get_fee_for_message,
    "requestAirdrop": request_airdrop,
}
