"""Solana Pay wallet simulator: pays a transfer request URI from a funded devnet test wallet.

It composes the transaction as a wallet following the spec does: SOL -> SystemProgram.transfer;
SPL -> createIdempotent of the recipient's associated token account when it is missing, then
transferChecked (with the mint's decimals) between the two associated token accounts. The
reference keys are appended in order as read-only non-signer accounts of the transfer
instruction, and a memo (when given) is an SPL Memo instruction immediately before it.

Test knobs: `amount` overrides the URI amount, `split=N` sends N transfers summing exactly to
the amount (largest part first), `drop_reference=True` leaves the references out (some wallets
do), `wallet` picks the test wallet.
"""

from __future__ import annotations

import asyncio
import re
import struct
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, quote, unquote, urlencode

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.account import Account
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address
from solders.transaction import VersionedTransaction

from gateway.devnet.errors import InvalidPaymentUri, PaymentFailed
from gateway.devnet.solana import constants as c
from gateway.devnet.solana.tokens import TOKEN_PROGRAMS, decode_mint
from gateway.devnet.split import split_units
from gateway.log import get_logger
from gateway.payments.errors import PaymentUriError
from gateway.payments.uri import parse_solana_pay

log = get_logger(__name__)

ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string(c.ASSOCIATED_TOKEN_PROGRAM)
MEMO_PROGRAM_ID = Pubkey.from_string(c.MEMO_PROGRAM)
SYSTEM_PROGRAM_ID = Pubkey.from_string(c.SYSTEM_PROGRAM)
_TRANSFER_CHECKED = 12
_CREATE_IDEMPOTENT = b"\x01"
_BLOCKHASH_POLL_S = 0.02
SCHEME = "solana:"
# The fields SPEC.md defines; any other is an extension a wallet ignores (the gateway's own
# parser refuses them, as it only reads back the URIs it wrote).
_SPEC_FIELDS = frozenset({"amount", "spl-token", "reference", "label", "message", "memo"})
# The gateway parser's wording -> the simulator's (kept stable for its users and tests).
_WALLET_WORDING = (
    (re.compile(r"(?P<field>[a-z-]+) (?P<value>.+) is not a base58 32-byte public key"),
     "{field} is not a base58 public key: {value}"),
    (re.compile(r"parameter '(?P<field>[a-z-]+)' appears more than once"),
     "{field} may appear only once"),
)


@dataclass(frozen=True)
class TransferRequest:
    """A transfer request as the wallet pays it: the parsed fields as public keys."""

    recipient: Pubkey
    amount: Decimal | None
    spl_token: Pubkey | None
    references: tuple[Pubkey, ...]
    label: str | None
    message: str | None
    memo: str | None


def _spec_query(query: str) -> str:
    """The query with only the spec's fields, re-encoded; strict about encoding, as a wallet is."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query),
                          errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPaymentUri(f"malformed query string: {exc}") from exc
    return urlencode([(k, v) for k, v in pairs if k in _SPEC_FIELDS], quote_via=quote)


def _wallet_message(exc: PaymentUriError) -> str:
    text = str(exc)
    for pattern, wording in _WALLET_WORDING:
        match = pattern.fullmatch(text)
        if match:
            return wording.format(**match.groupdict())
    return text


def parse_transfer_request(uri: str) -> TransferRequest:
    """The transfer request in `uri` per the gateway's Solana Pay parser, with a wallet's
    extra checks: no transaction requests (a URL pathname), no white space around the URI,
    unknown fields ignored. InvalidPaymentUri says what is wrong otherwise."""
    if not uri.startswith(SCHEME):
        raise InvalidPaymentUri(f"not a Solana Pay URI (must start with {SCHEME!r}): {uri!r}")
    if uri != uri.rstrip():
        raise InvalidPaymentUri(f"the URI ends in white space: {uri!r}")
    path, _, query = uri[len(SCHEME):].partition("?")
    if unquote(path).startswith(("https:", "http:")):
        raise InvalidPaymentUri("transaction requests (a URL pathname) are not supported")
    if not path:
        raise InvalidPaymentUri("recipient is missing")
    try:
        # The recipient as written and only the spec's fields, for the gateway's parser.
        request = parse_solana_pay(f"{SCHEME}{path}?{_spec_query(query)}")
    except PaymentUriError as exc:
        raise InvalidPaymentUri(_wallet_message(exc)) from exc
    return TransferRequest(
        recipient=Pubkey.from_string(request.recipient),
        amount=request.amount,
        spl_token=None if request.spl_token is None else Pubkey.from_string(request.spl_token),
        references=tuple(Pubkey.from_string(r) for r in request.references),
        label=request.label,
        message=request.message,
        memo=request.memo,
    )


def to_base_units(amount: Decimal, decimals: int) -> int:
    """`amount` user units in base units; more decimals than the asset has is malformed."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidPaymentUri(f"amount {amount} has more than {decimals} decimal places")
    return int(scaled)


def _with_references(ix: Instruction, references: tuple[Pubkey, ...]) -> Instruction:
    metas = [AccountMeta(r, is_signer=False, is_writable=False) for r in references]
    return Instruction(ix.program_id, ix.data, [*ix.accounts, *metas])


def _memo(text: str) -> Instruction:
    return Instruction(MEMO_PROGRAM_ID, text.encode("utf-8"), [])


class _Payer:
    """One payment session against an RPC endpoint with one test wallet."""

    def __init__(self, client: AsyncClient, keypair: Keypair) -> None:
        self.client = client
        self.keypair = keypair
        self.last_blockhash: Hash | None = None

    async def account_data(self, key: Pubkey) -> tuple[Pubkey, bytes] | None:
        try:
            resp = await self.client.get_account_info(key, commitment=Confirmed)
        except RPCException as exc:
            raise PaymentFailed(f"getAccountInfo {key} failed: {exc}") from exc
        if resp.value is None:
            return None
        return resp.value.owner, bytes(resp.value.data)

    async def mint(self, mint: Pubkey) -> tuple[Pubkey, int]:
        """The mint's token program and decimals."""
        found = await self.account_data(mint)
        if found is None or str(found[0]) not in TOKEN_PROGRAMS:
            raise InvalidPaymentUri(f"spl-token {mint} is not a token mint on this cluster")
        owner, data = found
        decoded = decode_mint(Account(lamports=1, data=data, owner=owner))
        if decoded is None:
            raise InvalidPaymentUri(f"spl-token {mint} is not an initialized mint")
        return owner, decoded.decimals

    async def fresh_blockhash(self) -> Hash:
        """A blockhash not used by the previous transfer, so equal parts get distinct ids."""
        while True:
            try:
                resp = await self.client.get_latest_blockhash(commitment=Confirmed)
            except RPCException as exc:
                raise PaymentFailed(f"getLatestBlockhash failed: {exc}") from exc
            blockhash = resp.value.blockhash
            if blockhash != self.last_blockhash:
                self.last_blockhash = blockhash
                return blockhash
            await asyncio.sleep(_BLOCKHASH_POLL_S)

    async def send(self, instructions: list[Instruction]) -> str:
        blockhash = await self.fresh_blockhash()
        message = Message.new_with_blockhash(instructions, self.keypair.pubkey(), blockhash)
        tx = VersionedTransaction(message, [self.keypair])
        opts = TxOpts(skip_preflight=False, preflight_commitment=Confirmed)
        try:
            resp = await self.client.send_raw_transaction(bytes(tx), opts=opts)
        except RPCException as exc:
            raise PaymentFailed(f"sendTransaction refused: {exc}") from exc
        return str(resp.value)


async def _token_instructions(
    payer: _Payer, request: TransferRequest, mint: Pubkey, amount: Decimal
) -> tuple[list[Instruction], Instruction, int, int]:
    """(setup instructions, transfer template, base units, decimals) for an SPL payment."""
    program, decimals = await payer.mint(mint)
    owner = payer.keypair.pubkey()
    source = get_associated_token_address(owner, mint, program)
    destination = get_associated_token_address(request.recipient, mint, program)
    setup = []
    if await payer.account_data(destination) is None:
        setup.append(Instruction(ASSOCIATED_TOKEN_PROGRAM_ID, _CREATE_IDEMPOTENT, [
            AccountMeta(owner, is_signer=True, is_writable=True),
            AccountMeta(destination, is_signer=False, is_writable=True),
            AccountMeta(request.recipient, is_signer=False, is_writable=False),
            AccountMeta(mint, is_signer=False, is_writable=False),
            AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
            AccountMeta(program, is_signer=False, is_writable=False),
        ]))
    template = Instruction(program, b"", [
        AccountMeta(source, is_signer=False, is_writable=True),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=True, is_writable=False),
    ])
    return setup, template, to_base_units(amount, decimals), decimals


def _transfer_checked(template: Instruction, units: int, decimals: int) -> Instruction:
    data = struct.pack("<BQB", _TRANSFER_CHECKED, units, decimals)
    return Instruction(template.program_id, data, list(template.accounts))


async def _recipient_is_wallet(payer: _Payer, recipient: Pubkey) -> None:
    found = await payer.account_data(recipient)
    if found is not None and str(found[0]) in TOKEN_PROGRAMS:
        raise InvalidPaymentUri(
            f"recipient {recipient} is a token account; the spec requires a wallet address"
        )


async def _pay(
    payer: _Payer, request: TransferRequest, amount: Decimal, split: int, references: bool
) -> list[str]:
    await _recipient_is_wallet(payer, request.recipient)
    refs = request.references if references else ()
    memo = [_memo(request.memo)] if request.memo is not None else []
    signatures = []
    if request.spl_token is None:
        parts = split_units(to_base_units(amount, c.SOL_DECIMALS), split)
        for lamports in parts:
            ix = transfer(TransferParams(from_pubkey=payer.keypair.pubkey(),
                                         to_pubkey=request.recipient, lamports=lamports))
            signatures.append(await payer.send([*memo, _with_references(ix, refs)]))
        return signatures
    setup, template, units, decimals = await _token_instructions(
        payer, request, request.spl_token, amount
    )
    for part in split_units(units, split):
        ix = _with_references(_transfer_checked(template, part, decimals), refs)
        signatures.append(await payer.send([*setup, *memo, ix]))
    return signatures


async def pay_uri(
    uri: str,
    *,
    rpc_url: str,
    amount: Decimal | None = None,
    split: int = 1,
    drop_reference: bool = False,
    wallet: int = 0,
) -> list[str]:
    """Pay the Solana Pay transfer request `uri` over JSON-RPC; returns the signatures."""
    request = parse_transfer_request(uri)
    total = amount if amount is not None else request.amount
    if total is None:
        raise InvalidPaymentUri("the URI has no amount and none was given (a wallet would ask)")
    if total <= 0:
        raise PaymentFailed(f"amount must be positive to pay, got {total}")
    try:
        keypair = c.wallet_keypair(wallet)
    except IndexError as exc:
        raise PaymentFailed(str(exc)) from exc
    bound = log.bind(chain="solana", recipient=str(request.recipient), amount=str(total))
    async with AsyncClient(rpc_url, commitment=Confirmed, timeout=10) as client:
        signatures = await _pay(_Payer(client, keypair), request, total, split,
                                not drop_reference)
    bound.info("solana_pay_sent", signatures=signatures, mint=str(request.spl_token))
    return signatures
