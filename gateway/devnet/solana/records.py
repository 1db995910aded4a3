"""What the ledger remembers of a processed transaction, and how it is captured from LiteSVM.

LiteSVM reports logs, inner instructions, compute units and the fee; the balances before and
after, the token balances and the loaded addresses are read around the execution here, the way
a validator's transaction status service records them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import InnerInstruction

from gateway.devnet.solana.constants import MEMO_PROGRAM, MEMO_V1_PROGRAM
from gateway.devnet.solana.tokens import decode_mint, decode_token_account, ui_token_amount

GetAccount = Callable[[Pubkey], Account | None]
MEMO_PROGRAMS = frozenset({MEMO_PROGRAM, MEMO_V1_PROGRAM})


@dataclass(frozen=True)
class AccountKeys:
    """Static keys followed by the addresses loaded from lookup tables (writable, readonly)."""

    static: list[Pubkey]
    loaded_writable: list[Pubkey] = field(default_factory=list)
    loaded_readonly: list[Pubkey] = field(default_factory=list)

    @property
    def all(self) -> list[Pubkey]:
        return [*self.static, *self.loaded_writable, *self.loaded_readonly]


@dataclass(frozen=True)
class Execution:
    """LiteSVM's outcome of one transaction, with `err` already in its JSON form."""

    err: Any
    fee: int
    logs: list[str]
    inner: list[list[InnerInstruction]]
    compute_units: int
    return_program: str
    return_data: bytes


@dataclass(frozen=True)
class TxRecord:
    """One transaction in the history, as getTransaction and friends answer it."""

    seq: int
    signature: str
    slot: int
    block_time: int
    tx: VersionedTransaction
    wire: bytes
    keys: AccountKeys
    execution: Execution
    pre_balances: list[int]
    post_balances: list[int]
    pre_token_balances: list[dict[str, Any]]
    post_token_balances: list[dict[str, Any]]

    @property
    def legacy(self) -> bool:
        return isinstance(self.tx.message, Message)

    @property
    def memo(self) -> str | None:
        return memo_of(self.tx, self.keys)


def message_of(tx: VersionedTransaction) -> Message | MessageV0:
    """The legacy or v0 message; later message versions are not accepted by this devnet."""
    message = tx.message
    if not isinstance(message, Message | MessageV0):
        raise ValueError("unsupported transaction version")
    return message


def resolve_keys(tx: VersionedTransaction, get_account: GetAccount) -> AccountKeys:
    """The transaction's account keys, resolving v0 address lookup tables.

    Raises LookupError with the validator's error name when a table or index is missing.
    """
    message = message_of(tx)
    static = list(message.account_keys)
    if not isinstance(message, MessageV0):
        return AccountKeys(static)
    writable: list[Pubkey] = []
    readonly: list[Pubkey] = []
    for lookup in message.address_table_lookups:
        account = get_account(lookup.account_key)
        if account is None:
            raise LookupError("AddressLookupTableNotFound")
        addresses = AddressLookupTable.deserialize(bytes(account.data)).addresses
        try:
            writable.extend(addresses[i] for i in bytes(lookup.writable_indexes))
            readonly.extend(addresses[i] for i in bytes(lookup.readonly_indexes))
        except IndexError as exc:
            raise LookupError("InvalidAddressLookupTableIndex") from exc
    return AccountKeys(static, writable, readonly)


def balances(keys: Sequence[Pubkey], get_account: GetAccount) -> list[int]:
    result = []
    for key in keys:
        account = get_account(key)
        result.append(0 if account is None else account.lamports)
    return result


def token_balances(keys: Sequence[Pubkey], get_account: GetAccount) -> list[dict[str, Any]]:
    """The meta's TransactionTokenBalance entries for the token accounts among `keys`."""
    entries = []
    for index, key in enumerate(keys):
        decoded = decode_token_account(get_account(key))
        if decoded is None:
            continue
        mint = decode_mint(get_account(decoded.state.mint))
        if mint is None:
            continue
        entries.append({
            "accountIndex": index,
            "mint": str(decoded.state.mint),
            "owner": str(decoded.state.owner),
            "programId": decoded.program_id,
            "uiTokenAmount": ui_token_amount(decoded.state.amount, mint.decimals),
        })
    return entries


def memo_of(tx: VersionedTransaction, keys: AccountKeys) -> str | None:
    """Memos of the top-level memo instructions as the RPC shows them: "[len] text; ..."."""
    all_keys = keys.all
    memos = []
    for ix in tx.message.instructions:
        if str(all_keys[ix.program_id_index]) in MEMO_PROGRAMS:
            text = bytes(ix.data).decode("utf-8", errors="replace")
            memos.append(f"[{len(text)}] {text}")
    return "; ".join(memos) if memos else None


def is_writable(message: Message | MessageV0, index: int, keys: AccountKeys) -> bool:
    """Whether key `index` is writable: header position, lookup section, program demotion."""
    n_static = len(keys.static)
    if index >= n_static:
        return index < n_static + len(keys.loaded_writable)
    header = message.header
    n_signed = header.num_required_signatures
    if index < n_signed:
        writable = index < n_signed - header.num_readonly_signed_accounts
    else:
        writable = index < n_static - header.num_readonly_unsigned_accounts
    # The runtime demotes invoked programs to read-only.
    return writable and not message.is_key_called_as_program(index)
