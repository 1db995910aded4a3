"""Parse a Solana `getTransaction` result into the few facts the watcher checks.

Reads the jsonParsed shape the watcher asks for (account keys as objects with `pubkey`,
instructions with `parsed` info), the plain json shape (keys as strings) and the base64 shape
(the wire transaction, decoded with solders). In every shape the full account list is the
message's static keys followed by `meta.loadedAddresses` writable then readonly (v0 lookup
tables): `accountIndex` of a token balance and the lamport balance arrays index that list.

Anything without the documented shape raises `MalformedResponse`; amounts are ints (token
amounts come as decimal strings, never via the float `uiAmount`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from solders.transaction import VersionedTransaction

from gateway.chains.errors import MalformedResponse


@dataclass(frozen=True, slots=True)
class TokenBalance:
    """One entry of meta.pre/postTokenBalances."""

    account_index: int
    mint: str
    owner: str | None
    program_id: str | None
    amount: int
    decimals: int


@dataclass(frozen=True, slots=True)
class Instruction:
    """A top-level or inner instruction; `index` is the top-level position it belongs to."""

    index: int
    program_id: str
    kind: str | None                      # parsed "type" (transfer, transferChecked, ...)
    info: Mapping[str, Any] = field(default_factory=dict)
    accounts: tuple[str, ...] = ()        # for instructions the node did not parse


@dataclass(frozen=True, slots=True)
class SolanaTx:
    signature: str
    slot: int
    block_time: datetime | None
    err: Any
    fee: int
    account_keys: tuple[str, ...]
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]
    pre_tokens: Mapping[int, TokenBalance]
    post_tokens: Mapping[int, TokenBalance]
    instructions: tuple[Instruction, ...]
    inner_instructions: tuple[Instruction, ...]

    @property
    def succeeded(self) -> bool:
        return self.err is None

    @property
    def fee_payer(self) -> str:
        return self.account_keys[0]

    def index_of(self, account: str) -> int | None:
        try:
            return self.account_keys.index(account)
        except ValueError:
            return None

    def lamport_change(self, index: int) -> int:
        return self.post_balances[index] - self.pre_balances[index]

    def token_change(self, index: int) -> int | None:
        """Post minus pre token amount of the account (a missing pre balance counts as 0,
        as for an account created in this transaction); None when it holds no token after."""
        post = self.post_tokens.get(index)
        if post is None:
            return None
        pre = self.pre_tokens.get(index)
        return post.amount - (pre.amount if pre is not None else 0)


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponse(f"getTransaction: {what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedResponse(f"getTransaction: {what} is not a list")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedResponse(f"getTransaction: {what} is not an integer: {value!r}")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedResponse(f"getTransaction: {what} is not a string: {value!r}")
    return value


def _token_balance(raw: Any) -> TokenBalance:
    entry = _dict(raw, "a token balance")
    ui = _dict(entry.get("uiTokenAmount"), "uiTokenAmount")
    amount = _str(ui.get("amount"), "uiTokenAmount.amount")
    if not amount.isdigit():
        raise MalformedResponse(f"getTransaction: token amount {amount!r} is not an integer")
    owner, program = entry.get("owner"), entry.get("programId")
    return TokenBalance(
        account_index=_int(entry.get("accountIndex"), "accountIndex"),
        mint=_str(entry.get("mint"), "mint"),
        owner=owner if isinstance(owner, str) else None,
        program_id=program if isinstance(program, str) else None,
        amount=int(amount),
        decimals=_int(ui.get("decimals"), "uiTokenAmount.decimals"),
    )


def _token_balances(raw: Any, what: str) -> dict[int, TokenBalance]:
    balances = [_token_balance(b) for b in _list(raw if raw is not None else [], what)]
    return {b.account_index: b for b in balances}


def _loaded(meta: Mapping[str, Any]) -> list[str]:
    loaded = meta.get("loadedAddresses")
    if loaded is None:
        return []
    loaded = _dict(loaded, "loadedAddresses")
    keys = [*_list(loaded.get("writable", []), "loadedAddresses.writable"),
            *_list(loaded.get("readonly", []), "loadedAddresses.readonly")]
    return [_str(k, "a loaded address") for k in keys]


def _key(raw: Any) -> str:
    # jsonParsed: {"pubkey": ..., "signer": ..., "writable": ..., "source": ...}; json: str.
    if isinstance(raw, dict):
        return _str(raw.get("pubkey"), "accountKeys[].pubkey")
    return _str(raw, "an account key")


def _parsed_instruction(raw: Any, index: int, keys: Sequence[str]) -> Instruction:
    ix = _dict(raw, "an instruction")
    if "programId" in ix:  # jsonParsed
        program = _str(ix["programId"], "programId")
        parsed = ix.get("parsed")
        if isinstance(parsed, dict):
            info = parsed.get("info")
            return Instruction(index, program, parsed.get("type"),
                               info if isinstance(info, dict) else {})
        accounts = tuple(_str(a, "instruction account") for a in ix.get("accounts", []))
        return Instruction(index, program, None, {}, accounts)
    # json encoding: indexes into the account list.
    try:
        program = keys[_int(ix.get("programIdIndex"), "programIdIndex")]
        accounts = tuple(keys[_int(a, "account index")] for a in ix.get("accounts", []))
    except IndexError as exc:
        raise MalformedResponse("getTransaction: instruction account index out of range") \
            from exc
    return Instruction(index, program, None, {}, accounts)


def _inner(meta: Mapping[str, Any], keys: Sequence[str]) -> tuple[Instruction, ...]:
    found = []
    for group in _list(meta.get("innerInstructions") or [], "innerInstructions"):
        group = _dict(group, "an inner instruction group")
        parent = _int(group.get("index"), "innerInstructions[].index")
        for raw in _list(group.get("instructions"), "innerInstructions[].instructions"):
            found.append(_parsed_instruction(raw, parent, keys))
    return tuple(found)


def _decode_wire(raw: list[Any]) -> tuple[list[str], list[str], list[Any]]:
    """(signatures, static keys, instructions as json-shaped dicts) of a base64 transaction."""
    if len(raw) != 2 or raw[1] != "base64" or not isinstance(raw[0], str):
        raise MalformedResponse(f"getTransaction: unsupported transaction encoding {raw[1:]}")
    try:
        tx = VersionedTransaction.from_bytes(base64.b64decode(raw[0], validate=True))
    except (binascii.Error, ValueError) as exc:
        raise MalformedResponse("getTransaction: the base64 transaction does not decode") \
            from exc
    message = tx.message
    instructions = [{"programIdIndex": ix.program_id_index, "accounts": list(ix.accounts)}
                    for ix in message.instructions]
    return ([str(s) for s in tx.signatures], [str(k) for k in message.account_keys],
            instructions)


def _message(tx: Any) -> tuple[list[str], list[str], list[Any]]:
    """(signatures, static keys, raw instructions) of a transaction in any supported shape."""
    if isinstance(tx, list):
        return _decode_wire(tx)
    body = _dict(tx, "transaction")
    message = _dict(body.get("message"), "transaction.message")
    signatures = [_str(s, "a signature") for s in _list(body.get("signatures"), "signatures")]
    keys = [_key(k) for k in _list(message.get("accountKeys"), "accountKeys")]
    return signatures, keys, _list(message.get("instructions"), "instructions")


def _balances(meta: Mapping[str, Any], name: str, count: int) -> tuple[int, ...]:
    values = tuple(_int(v, name) for v in _list(meta.get(name), name))
    if len(values) != count:
        raise MalformedResponse(f"getTransaction: {len(values)} {name} for {count} accounts")
    return values


def _block_time(raw: Any) -> datetime | None:
    return None if raw is None else datetime.fromtimestamp(_int(raw, "blockTime"), UTC)


def parse_transaction(raw: Any) -> SolanaTx:
    """A getTransaction result (jsonParsed, json or base64); raises MalformedResponse."""
    result = _dict(raw, "result")
    meta = _dict(result.get("meta"), "meta")
    signatures, static, raw_instructions = _message(result.get("transaction"))
    if not signatures:
        raise MalformedResponse("getTransaction: the transaction has no signature")
    keys = tuple(static + _loaded(meta))
    return SolanaTx(
        signature=signatures[0],
        slot=_int(result.get("slot"), "slot"),
        block_time=_block_time(result.get("blockTime")),
        err=meta.get("err"),
        fee=_int(meta.get("fee", 0), "fee"),
        account_keys=keys,
        pre_balances=_balances(meta, "preBalances", len(keys)),
        post_balances=_balances(meta, "postBalances", len(keys)),
        pre_tokens=_token_balances(meta.get("preTokenBalances"), "preTokenBalances"),
        post_tokens=_token_balances(meta.get("postTokenBalances"), "postTokenBalances"),
        instructions=tuple(_parsed_instruction(ix, i, keys)
                           for i, ix in enumerate(raw_instructions)),
        inner_instructions=_inner(meta, keys),
    )
