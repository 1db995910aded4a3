"""Response shapes: transactions, transaction metas and accounts in the RPC's encodings."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import base58
from solders.account import Account
from solders.instruction import CompiledInstruction
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction_metadata import InnerInstruction

from gateway.devnet.solana.errors import InvalidParams, InvalidRpcRequest
from gateway.devnet.solana.parse_ix import parse_instruction
from gateway.devnet.solana.records import (
    AccountKeys,
    Execution,
    TxRecord,
    is_writable,
    message_of,
)
from gateway.devnet.solana.tokens import (
    PROGRAM_NAMES,
    decode_mint,
    decode_token_account,
    parsed_mint,
    parsed_token_account,
)

TX_ENCODINGS = ("json", "jsonParsed", "base64", "base58")
ACCOUNT_ENCODINGS = ("base58", "base64", "jsonParsed")
# The validator refuses base58 for account data longer than this.
MAX_BASE58_BYTES = 128
GetAccount = Callable[[Pubkey], Account | None]


def encode_bytes(data: bytes, encoding: str) -> list[str]:
    if encoding == "base58":
        return [base58.b58encode(data).decode(), "base58"]
    return [base64.b64encode(data).decode(), "base64"]


# -- transactions -------------------------------------------------------------------------


def ui_transaction(record: TxRecord, encoding: str) -> Any:
    if encoding in ("base64", "base58"):
        return encode_bytes(record.wire, encoding)
    message = message_of(record.tx)
    body = (
        _parsed_message(message, record.keys)
        if encoding == "jsonParsed"
        else _raw_message(message)
    )
    return {"message": body, "signatures": [str(s) for s in record.tx.signatures]}


def _compiled(ix: CompiledInstruction, stack_height: int | None) -> dict[str, Any]:
    return {
        "accounts": list(bytes(ix.accounts)),
        "data": base58.b58encode(bytes(ix.data)).decode(),
        "programIdIndex": ix.program_id_index,
        "stackHeight": stack_height,
    }


def _parsed(ix: CompiledInstruction, keys: list[str], stack_height: int | None) -> dict[str, Any]:
    accounts = [keys[i] for i in bytes(ix.accounts)]
    ui = parse_instruction(keys[ix.program_id_index], accounts, bytes(ix.data))
    ui["stackHeight"] = stack_height
    return ui


def _lookups(message: Message | MessageV0) -> list[dict[str, Any]] | None:
    if not isinstance(message, MessageV0):
        return None
    return [
        {
            "accountKey": str(lookup.account_key),
            "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
            "writableIndexes": list(bytes(lookup.writable_indexes)),
        }
        for lookup in message.address_table_lookups
    ]


def _raw_message(message: Message | MessageV0) -> dict[str, Any]:
    header = message.header
    body: dict[str, Any] = {
        "accountKeys": [str(k) for k in message.account_keys],
        "header": {
            "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
            "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
            "numRequiredSignatures": header.num_required_signatures,
        },
        "instructions": [_compiled(ix, None) for ix in message.instructions],
        "recentBlockhash": str(message.recent_blockhash),
    }
    lookups = _lookups(message)
    if lookups is not None:
        body["addressTableLookups"] = lookups
    return body


def _parsed_message(message: Message | MessageV0, keys: AccountKeys) -> dict[str, Any]:
    names = [str(k) for k in keys.all]
    n_static = len(keys.static)
    account_keys = [
        {
            "pubkey": name,
            "signer": i < message.header.num_required_signatures,
            "source": "transaction" if i < n_static else "lookupTable",
            "writable": is_writable(message, i, keys),
        }
        for i, name in enumerate(names)
    ]
    return {
        "accountKeys": account_keys,
        "addressTableLookups": _lookups(message),
        "instructions": [_parsed(ix, names, None) for ix in message.instructions],
        "recentBlockhash": str(message.recent_blockhash),
    }


# -- metas ---------------------------------------------------------------------------------


def inner_instructions(
    inner: list[list[InnerInstruction]], keys: AccountKeys, parsed: bool
) -> list[dict[str, Any]]:
    names = [str(k) for k in keys.all]
    result = []
    for index, group in enumerate(inner):
        if not group:
            continue
        items = [
            _parsed(item.instruction(), names, item.stack_height())
            if parsed
            else _compiled(item.instruction(), item.stack_height())
            for item in group
        ]
        result.append({"index": index, "instructions": items})
    return result


def return_data(execution: Execution) -> dict[str, Any] | None:
    if not execution.return_data:
        return None
    return {
        "data": encode_bytes(execution.return_data, "base64"),
        "programId": execution.return_program,
    }


def ui_meta(record: TxRecord, encoding: str) -> dict[str, Any]:
    ex = record.execution
    parsed = encoding == "jsonParsed"
    meta: dict[str, Any] = {
        "computeUnitsConsumed": ex.compute_units,
        "err": ex.err,
        "fee": ex.fee,
        "innerInstructions": inner_instructions(ex.inner, record.keys, parsed),
        "logMessages": ex.logs,
        "postBalances": record.post_balances,
        "postTokenBalances": record.post_token_balances,
        "preBalances": record.pre_balances,
        "preTokenBalances": record.pre_token_balances,
        "rewards": [],
        "status": {"Ok": None} if ex.err is None else {"Err": ex.err},
    }
    # The validator leaves loadedAddresses out of jsonParsed metas: the parsed accountKeys
    # already carry them with source "lookupTable".
    if not parsed:
        meta["loadedAddresses"] = {
            "readonly": [str(k) for k in record.keys.loaded_readonly],
            "writable": [str(k) for k in record.keys.loaded_writable],
        }
    returned = return_data(ex)
    if returned is not None:
        meta["returnData"] = returned
    return meta


# -- accounts ------------------------------------------------------------------------------


def _slice(data: bytes, data_slice: tuple[int, int] | None) -> bytes:
    if data_slice is None:
        return data
    offset, length = data_slice
    return data[offset:offset + length]


def _parsed_data(account: Account, get_account: GetAccount) -> dict[str, Any] | None:
    owner = str(account.owner)
    token = decode_token_account(account)
    if token is not None:
        mint = decode_mint(get_account(token.state.mint))
        if mint is None:
            return None
        parsed = parsed_token_account(token, mint.decimals)
    else:
        as_mint = decode_mint(account)
        if as_mint is None:
            return None
        parsed = parsed_mint(as_mint)
    return {"parsed": parsed, "program": PROGRAM_NAMES[owner], "space": len(account.data)}


def ui_account(
    account: Account,
    encoding: str,
    get_account: GetAccount,
    data_slice: tuple[int, int] | None = None,
) -> dict[str, Any]:
    raw = bytes(account.data)
    data: Any = None
    if encoding == "jsonParsed":
        data = _parsed_data(account, get_account)
        encoding = "base64" if data is None else encoding
    if data is None:
        sliced = _slice(raw, data_slice)
        if encoding == "base58" and len(sliced) > MAX_BASE58_BYTES:
            raise InvalidRpcRequest(
                "Encoded binary (base 58) data should be less than 128 bytes, "
                "please use Base64 encoding."
            )
        data = encode_bytes(sliced, encoding)
    return {
        "data": data,
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": account.rent_epoch,
        "space": len(raw),
    }


def check_encoding(encoding: str, allowed: tuple[str, ...]) -> str:
    if encoding not in allowed:
        raise InvalidParams(
            f"Invalid params: unknown variant `{encoding}`, expected one of "
            + ", ".join(f"`{e}`" for e in allowed)
        )
    return encoding
