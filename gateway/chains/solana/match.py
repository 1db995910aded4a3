"""Which payments to the treasury a Solana transaction makes, and for which invoice.

Verification follows Solana Pay's `validateTransfer`: the money must arrive at the recipient
itself (SOL) or at the recipient's associated token account for the mint (SPL; a token account
merely owned by the treasury is not the ATA a wallet pays to), the token balance must be of the
expected mint and owner, the amount is the post minus the pre balance of that account (a
missing pre token balance counts as 0: the ATA was created in the same transaction), and the
transaction must have succeeded (`meta.err` is null). The invoice is found by a reference key
among the transaction's account keys, looked up in the in-memory watched set, so the cost is
one dict lookup per account key whatever the number of open invoices.

One `DetectedTransfer` per (transaction, followed account) with a positive change; its
`log_index` is the top-level instruction that pays it (see `instruction_index`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from gateway.chains.models import NATIVE_LOG_INDEX, DetectedTransfer
from gateway.chains.solana.tx import Instruction, SolanaTx
from gateway.log import get_logger

log = get_logger(__name__)

CHAIN = "solana"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
# Parsed instruction types that move lamports or tokens to their `destination`.
TRANSFER_KINDS = frozenset({"transfer", "transferChecked", "transferWithSeed"})
# Who paid, in the order a refund would prefer: the token owner, then the SOL source.
_PAYER_FIELDS = ("authority", "multisigAuthority", "source")
# A transaction holds at most 64 top-level instructions (1232-byte packets); indexes from here
# on can never be real ones.
_COLLISION_BASE = 1_000

ReferenceLookup = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class FollowedAccount:
    """An account of the treasury the watcher follows: the wallet itself (SOL) or an ATA."""

    asset: str              # asset id: SOL, USDT_SOL, USDC_SOL, KZTE
    address: str
    mint: str | None        # None for SOL
    decimals: int


@dataclass(frozen=True, slots=True)
class Treasury:
    owner: str
    accounts: tuple[FollowedAccount, ...]

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(a.address for a in self.accounts)


def associated_token_account(owner: str, mint: str, token_program: str = TOKEN_PROGRAM) -> str:
    """The associated token account of `owner` for `mint` (under the mint's token program)."""
    return str(get_associated_token_address(Pubkey.from_string(owner), Pubkey.from_string(mint),
                                            Pubkey.from_string(token_program)))


def build_treasury(owner: str, assets: Iterable[tuple[str, str | None, int]],
                   token_programs: Mapping[str, str] | None = None) -> Treasury:
    """The followed accounts for (asset id, mint or None, decimals) triples."""
    programs = token_programs or {}
    accounts = tuple(
        FollowedAccount(asset, owner if mint is None else associated_token_account(
            owner, mint, programs.get(mint, TOKEN_PROGRAM)), mint, decimals)
        for asset, mint, decimals in assets
    )
    return Treasury(owner, accounts)


def find_invoice(tx: SolanaTx, lookup: ReferenceLookup) -> str | None:
    """The invoice whose reference key is among the account keys (the first one in key order)."""
    found = [(key, inv) for key in tx.account_keys if (inv := lookup(key)) is not None]
    if len({inv for _, inv in found}) > 1:
        log.warning("solana_several_references", chain=CHAIN, signature=tx.signature,
                    invoices=sorted({inv for _, inv in found}))
    return found[0][1] if found else None


def _ordered(tx: SolanaTx) -> list[Instruction]:
    # Stable: a top-level instruction comes before the inner ones it invoked.
    return sorted((*tx.instructions, *tx.inner_instructions), key=lambda ix: ix.index)


def _paying_instruction(tx: SolanaTx, address: str) -> Instruction | None:
    ordered = _ordered(tx)
    for ix in ordered:
        if ix.kind in TRANSFER_KINDS and ix.info.get("destination") == address:
            return ix
    for ix in ordered:
        if address in ix.info.values() or address in ix.accounts:
            return ix
    return None


def instruction_index(tx: SolanaTx, address: str) -> int:
    """The top-level instruction paying `address`: an exact transfer to it first, else the
    first instruction naming it; -1 when none does (a credit the node did not explain)."""
    ix = _paying_instruction(tx, address)
    return NATIVE_LOG_INDEX if ix is None else ix.index


def _unique_indexes(tx: SolanaTx, treasury: Treasury,
                    accounts: list[FollowedAccount]) -> dict[str, int]:
    """Instruction index per credited account, distinct within the transaction (it is part
    of the stored key). Two credits explained by the same instruction, or by none, are told
    apart by the account's fixed position among the followed ones, above any real index."""
    chosen: dict[str, int] = {}
    for account in accounts:
        index = instruction_index(tx, account.address)
        if index in chosen.values():
            index = _COLLISION_BASE + treasury.accounts.index(account)
        chosen[account.address] = index
    return chosen


def _payer(tx: SolanaTx, address: str) -> str:
    ix = _paying_instruction(tx, address)
    if ix is not None:
        for name in _PAYER_FIELDS:
            value = ix.info.get(name)
            if isinstance(value, str):
                return value
    return tx.fee_payer


def _lamports_in(tx: SolanaTx, index: int) -> int:
    change = tx.lamport_change(index)
    # As validateTransfer: a recipient paying the fee itself received the fee on top.
    return change + tx.fee if index == 0 else change


def _tokens_in(tx: SolanaTx, index: int, account: FollowedAccount, owner: str) -> int:
    post = tx.post_tokens.get(index)
    if post is None:
        return 0
    if post.mint != account.mint or (post.owner is not None and post.owner != owner):
        log.warning("solana_unexpected_token_account", chain=CHAIN, signature=tx.signature,
                    account=account.address, mint=post.mint, owner=post.owner)
        return 0
    return tx.token_change(index) or 0


def received(tx: SolanaTx, treasury: Treasury) -> list[tuple[FollowedAccount, int]]:
    """(followed account, base units) for each account of ours this transaction credited."""
    if not tx.succeeded:
        return []
    found = []
    for account in treasury.accounts:
        index = tx.index_of(account.address)
        if index is None:
            continue
        amount = (_lamports_in(tx, index) if account.mint is None
                  else _tokens_in(tx, index, account, treasury.owner))
        if amount > 0:
            found.append((account, amount))
    return found


def detect(tx: SolanaTx, treasury: Treasury, lookup: ReferenceLookup) -> list[DetectedTransfer]:
    """The payments to the treasury in `tx`, matched to an invoice by reference when known."""
    credits = received(tx, treasury)
    if not credits:
        return []
    invoice_id = find_invoice(tx, lookup)
    indexes = _unique_indexes(tx, treasury, [account for account, _ in credits])
    return [
        DetectedTransfer(
            chain=CHAIN, tx_hash=tx.signature, log_index=indexes[account.address],
            block_number=tx.slot, block_hash="", block_time=tx.block_time,
            asset=account.asset, token=account.mint,
            from_address=_payer(tx, account.address), to_address=treasury.owner,
            amount=amount, invoice_id=invoice_id,
        )
        for account, amount in credits
    ]
