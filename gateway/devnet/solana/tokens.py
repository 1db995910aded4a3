"""SPL Token account and mint decoding, and the RPC's token amount shapes.

`uiAmount` is a JSON float because that is the wire format of the real RPC (a display field);
amounts we compute with stay `int` base units and `uiAmountString` is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount, TokenAccountState

from gateway.devnet.solana.constants import TOKEN_2022_PROGRAM, TOKEN_PROGRAM

TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82
# Token-2022 puts an account-type byte after the base layout when extensions follow.
_ACCOUNT_TYPE_OFFSET = 165
_ACCOUNT_TYPE_MINT = 1
_ACCOUNT_TYPE_ACCOUNT = 2
TOKEN_PROGRAMS = frozenset({TOKEN_PROGRAM, TOKEN_2022_PROGRAM})
PROGRAM_NAMES = {TOKEN_PROGRAM: "spl-token", TOKEN_2022_PROGRAM: "spl-token-2022"}
# TokenAccountState is not hashable, so the names are matched in order.
_STATE_NAMES = (
    (TokenAccountState.Uninitialized, "uninitialized"),
    (TokenAccountState.Initialized, "initialized"),
    (TokenAccountState.Frozen, "frozen"),
)


def state_name(state: TokenAccountState) -> str:
    return next(name for value, name in _STATE_NAMES if value == state)


@dataclass(frozen=True)
class DecodedTokenAccount:
    program_id: str
    state: TokenAccount


def _layout_type(data: bytes, base_len: int) -> int | None:
    """Which Token layout `data` holds by length: the base size, or Token-2022's tagged form."""
    if len(data) == base_len:
        return _ACCOUNT_TYPE_MINT if base_len == MINT_LEN else _ACCOUNT_TYPE_ACCOUNT
    if len(data) > _ACCOUNT_TYPE_OFFSET:
        return data[_ACCOUNT_TYPE_OFFSET]
    return None


def decode_token_account(account: Account | None) -> DecodedTokenAccount | None:
    """The token account state, or None when `account` is not an initialized token account."""
    if account is None or str(account.owner) not in TOKEN_PROGRAMS:
        return None
    data = bytes(account.data)
    if _layout_type(data, TOKEN_ACCOUNT_LEN) != _ACCOUNT_TYPE_ACCOUNT:
        return None
    try:
        state = TokenAccount.from_bytes(data[:TOKEN_ACCOUNT_LEN])
    except ValueError:
        return None
    if state.state == TokenAccountState.Uninitialized:
        return None
    return DecodedTokenAccount(str(account.owner), state)


def decode_mint(account: Account | None) -> Mint | None:
    """The mint state, or None when `account` is not an initialized mint."""
    if account is None or str(account.owner) not in TOKEN_PROGRAMS:
        return None
    data = bytes(account.data)
    if _layout_type(data, MINT_LEN) != _ACCOUNT_TYPE_MINT:
        return None
    try:
        mint = Mint.from_bytes(data[:MINT_LEN])
    except ValueError:
        return None
    return mint if mint.is_initialized else None


def ui_amount_string(amount: int, decimals: int) -> str:
    """`amount` base units as a plain decimal string without trailing zeros ("0.001", "101")."""
    text = format(Decimal(amount).scaleb(-decimals), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    """The RPC's UiTokenAmount object."""
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": float(Decimal(amount).scaleb(-decimals)),  # float-ok: RPC shape
        "uiAmountString": ui_amount_string(amount, decimals),
    }


def mint_decimals(get_account: Any, mint: Pubkey) -> int | None:
    decoded = decode_mint(get_account(mint))
    return None if decoded is None else decoded.decimals


def parsed_token_account(decoded: DecodedTokenAccount, decimals: int) -> dict[str, Any]:
    """jsonParsed `parsed` object of a token account."""
    state = decoded.state
    info: dict[str, Any] = {
        "isNative": state.is_native is not None,
        "mint": str(state.mint),
        "owner": str(state.owner),
        "state": state_name(state.state),
        "tokenAmount": ui_token_amount(state.amount, decimals),
    }
    if state.delegate is not None:
        info["delegate"] = str(state.delegate)
        info["delegatedAmount"] = ui_token_amount(state.delegated_amount, decimals)
    if state.close_authority is not None:
        info["closeAuthority"] = str(state.close_authority)
    if state.is_native is not None:
        info["rentExemptReserve"] = ui_token_amount(state.is_native, decimals)
    return {"info": info, "type": "account"}


def parsed_mint(mint: Mint) -> dict[str, Any]:
    """jsonParsed `parsed` object of a mint."""
    return {
        "info": {
            "decimals": mint.decimals,
            "freezeAuthority": _opt(mint.freeze_authority),
            "isInitialized": mint.is_initialized,
            "mintAuthority": _opt(mint.mint_authority),
            "supply": str(mint.supply),
        },
        "type": "mint",
    }


def _opt(key: Pubkey | None) -> str | None:
    return None if key is None else str(key)
