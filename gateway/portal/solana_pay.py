"""Solana Pay transaction requests for a terminal's stand sticker (pure: no I/O, no HTTP).

A Solana wallet scanning `solana:https://<gateway>/t/<terminal>/solana-pay` GETs the label and
icon, then POSTs its account; the answer is an unsigned transaction (fee payer: that account)
paying the terminal's current charge exactly as the charge's own transfer request would: SOL
by SystemProgram.transfer, an SPL token by createIdempotent of the treasury's associated token
account and transferChecked between the two associated accounts, with the invoice's reference
as a read-only non-signer key of the transfer, so the chain watcher matches it like any other
payment. Only the classic SPL Token program is built here (USDT, USDC and KZTE mints use it).
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Final

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address
from solders.transaction import Transaction

from gateway.portal.errors import InvalidForm

TOKEN_PROGRAM_ID: Final = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM_ID: Final = Pubkey.from_string(
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
_TRANSFER_CHECKED: Final = 12
_CREATE_IDEMPOTENT: Final = b"\x01"


@dataclass(frozen=True)
class Payment:
    """What the transaction pays: base units of SOL (mint None) or of an SPL mint."""

    recipient: str
    reference: str
    units: int
    mint: str | None
    decimals: int


def parse_account(raw: object) -> Pubkey:
    """The wallet's account from the POST body: a base58 32-byte public key."""
    if not isinstance(raw, str) or not 32 <= len(raw) <= 44:
        raise InvalidForm("account", "must be a base58 public key")
    try:
        return Pubkey.from_string(raw)
    except ValueError as exc:
        raise InvalidForm("account", "must be a base58 public key") from exc


def _with_reference(ix: Instruction, reference: Pubkey) -> Instruction:
    meta = AccountMeta(reference, is_signer=False, is_writable=False)
    return Instruction(ix.program_id, ix.data, [*ix.accounts, meta])


def _token_instructions(payer: Pubkey, pay: Payment, mint: Pubkey) -> list[Instruction]:
    recipient = Pubkey.from_string(pay.recipient)
    source = get_associated_token_address(payer, mint, TOKEN_PROGRAM_ID)
    destination = get_associated_token_address(recipient, mint, TOKEN_PROGRAM_ID)
    create = Instruction(ASSOCIATED_TOKEN_PROGRAM_ID, _CREATE_IDEMPOTENT, [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(recipient, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
        AccountMeta(TOKEN_PROGRAM_ID, is_signer=False, is_writable=False),
    ])
    move = Instruction(TOKEN_PROGRAM_ID,
                       struct.pack("<BQB", _TRANSFER_CHECKED, pay.units, pay.decimals), [
                           AccountMeta(source, is_signer=False, is_writable=True),
                           AccountMeta(mint, is_signer=False, is_writable=False),
                           AccountMeta(destination, is_signer=False, is_writable=True),
                           AccountMeta(payer, is_signer=True, is_writable=False),
                       ])
    return [create, _with_reference(move, Pubkey.from_string(pay.reference))]


def instructions(payer: Pubkey, pay: Payment) -> list[Instruction]:
    if pay.mint is not None:
        return _token_instructions(payer, pay, Pubkey.from_string(pay.mint))
    ix = transfer(TransferParams(from_pubkey=payer, to_pubkey=Pubkey.from_string(pay.recipient),
                                 lamports=pay.units))
    return [_with_reference(ix, Pubkey.from_string(pay.reference))]


def unsigned_transaction(payer: Pubkey, pay: Payment, blockhash: str) -> str:
    """The transaction as the spec wants it: base64 wire bytes, signatures left empty."""
    message = Message.new_with_blockhash(instructions(payer, pay), payer,
                                         Hash.from_string(blockhash))
    return base64.b64encode(bytes(Transaction.new_unsigned(message))).decode()
