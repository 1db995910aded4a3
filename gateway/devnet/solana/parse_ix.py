"""jsonParsed instructions: System, SPL Token, Associated Token Account and Memo.

Each parser takes the instruction's account addresses and data and returns the `parsed`
object ({"info", "type"}; a plain string for memos). Unknown programs and data that does not
decode are shown partially decoded ({programId, accounts, data}), as the validator does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import base58

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.errors import UndecodableInstruction as _Undecodable
from gateway.devnet.solana.tokens import ui_token_amount

Parsed = dict[str, Any] | str
Parser = Callable[[list[str], bytes], Parsed]


def _u64(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<Q", data, offset)[0]
    return value


def _key(data: bytes, offset: int) -> str:
    if len(data) < offset + 32:
        raise _Undecodable("short key")
    return str(base58.b58encode(data[offset:offset + 32]).decode())


def _optional_key(data: bytes, offset: int) -> tuple[str | None, int]:
    """Borsh/COption-style optional key as used by InitializeMint: a 1-byte tag then 32 bytes."""
    if data[offset] == 0:
        return None, offset + 1
    return _key(data, offset + 1), offset + 33


def _system(accounts: list[str], data: bytes) -> Parsed:
    tag = struct.unpack_from("<I", data, 0)[0]
    if tag == 0:
        return {"info": {"lamports": _u64(data, 4), "newAccount": accounts[1],
                         "owner": _key(data, 20), "source": accounts[0],
                         "space": _u64(data, 12)}, "type": "createAccount"}
    if tag == 1:
        return {"info": {"account": accounts[0], "owner": _key(data, 4)}, "type": "assign"}
    if tag == 2:
        return {"info": {"destination": accounts[1], "lamports": _u64(data, 4),
                         "source": accounts[0]}, "type": "transfer"}
    if tag == 8:
        return {"info": {"account": accounts[0], "space": _u64(data, 4)}, "type": "allocate"}
    raise _Undecodable(f"system instruction {tag}")


def _token_transfers(tag: int, accounts: list[str], data: bytes) -> Parsed | None:
    if tag == 3:
        return {"info": {"amount": str(_u64(data, 1)), "authority": accounts[2],
                         "destination": accounts[1], "source": accounts[0]},
                "type": "transfer"}
    if tag == 12:
        amount = ui_token_amount(_u64(data, 1), data[9])
        return {"info": {"authority": accounts[3], "destination": accounts[2],
                         "mint": accounts[1], "source": accounts[0],
                         "tokenAmount": amount}, "type": "transferChecked"}
    if tag == 7:
        return {"info": {"account": accounts[1], "amount": str(_u64(data, 1)),
                         "mint": accounts[0], "mintAuthority": accounts[2]}, "type": "mintTo"}
    if tag == 8:
        return {"info": {"account": accounts[0], "amount": str(_u64(data, 1)),
                         "authority": accounts[2], "mint": accounts[1]}, "type": "burn"}
    if tag == 4:
        return {"info": {"amount": str(_u64(data, 1)), "delegate": accounts[1],
                         "owner": accounts[2], "source": accounts[0]}, "type": "approve"}
    if tag == 9:
        return {"info": {"account": accounts[0], "destination": accounts[1],
                         "owner": accounts[2]}, "type": "closeAccount"}
    return None


def _token_setup(tag: int, accounts: list[str], data: bytes) -> Parsed | None:
    if tag == 1:
        return {"info": {"account": accounts[0], "mint": accounts[1], "owner": accounts[2],
                         "rentSysvar": accounts[3]}, "type": "initializeAccount"}
    if tag == 16:
        return {"info": {"account": accounts[0], "mint": accounts[1], "owner": _key(data, 1),
                         "rentSysvar": accounts[2]}, "type": "initializeAccount2"}
    if tag == 18:
        return {"info": {"account": accounts[0], "mint": accounts[1], "owner": _key(data, 1)},
                "type": "initializeAccount3"}
    if tag in (0, 20):
        info: dict[str, Any] = {"decimals": data[1], "mint": accounts[0],
                                "mintAuthority": _key(data, 2)}
        freeze, _ = _optional_key(data, 34)
        if freeze is not None:
            info["freezeAuthority"] = freeze
        if tag == 0:
            info["rentSysvar"] = accounts[1]
        return {"info": info, "type": "initializeMint" if tag == 0 else "initializeMint2"}
    if tag == 17:
        return {"info": {"account": accounts[0]}, "type": "syncNative"}
    if tag == 21:
        info = {"mint": accounts[0]}
        extensions = [_EXTENSIONS.get(v, f"unknown{v}") for v in _u16s(data[1:])]
        if extensions:
            info["extensionTypes"] = extensions
        return {"info": info, "type": "getAccountDataSize"}
    if tag == 22:
        return {"info": {"account": accounts[0]}, "type": "initializeImmutableOwner"}
    return None


_EXTENSIONS = {7: "immutableOwner", 8: "memoTransfer", 1: "transferFeeConfig"}


def _u16s(data: bytes) -> list[int]:
    if len(data) % 2:
        raise _Undecodable("odd extension list")
    return [v for (v,) in struct.iter_unpack("<H", data)]


def _token(accounts: list[str], data: bytes) -> Parsed:
    tag = data[0]
    parsed = _token_transfers(tag, accounts, data) or _token_setup(tag, accounts, data)
    if parsed is None:
        raise _Undecodable(f"token instruction {tag}")
    return parsed


def _associated(accounts: list[str], data: bytes) -> Parsed:
    kind = {b"": "create", b"\x00": "create", b"\x01": "createIdempotent"}.get(data)
    if kind is None:
        raise _Undecodable("associated token instruction")
    info = {"account": accounts[1], "mint": accounts[3], "source": accounts[0],
            "systemProgram": accounts[4], "tokenProgram": accounts[5], "wallet": accounts[2]}
    return {"info": info, "type": kind}


def _memo(accounts: list[str], data: bytes) -> Parsed:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Undecodable("memo is not UTF-8") from exc


PARSERS: dict[str, tuple[str, Parser]] = {
    c.SYSTEM_PROGRAM: ("system", _system),
    c.TOKEN_PROGRAM: ("spl-token", _token),
    c.TOKEN_2022_PROGRAM: ("spl-token-2022", _token),
    c.ASSOCIATED_TOKEN_PROGRAM: ("spl-associated-token-account", _associated),
    c.MEMO_PROGRAM: ("spl-memo", _memo),
    c.MEMO_V1_PROGRAM: ("spl-memo", _memo),
}


def parse_instruction(program_id: str, accounts: list[str], data: bytes) -> dict[str, Any]:
    """One instruction in its jsonParsed form (without stackHeight, which the caller adds)."""
    entry = PARSERS.get(program_id)
    if entry is not None:
        name, parser = entry
        try:
            parsed = parser(accounts, data)
        except (_Undecodable, IndexError, struct.error):
            parsed = None
        if parsed is not None:
            return {"parsed": parsed, "program": name, "programId": program_id}
    return {
        "accounts": accounts,
        "data": base58.b58encode(data).decode(),
        "programId": program_id,
    }
