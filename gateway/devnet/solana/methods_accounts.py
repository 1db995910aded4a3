"""Account methods: balances, account data in its encodings, token accounts and supplies.

Reads see the newest bank; the context slot follows the requested commitment (see ledger).
"""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey
from solders.token.state import TokenAccount

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.encoding import ACCOUNT_ENCODINGS, check_encoding, ui_account
from gateway.devnet.solana.errors import InvalidParams
from gateway.devnet.solana.ledger import Ledger
from gateway.devnet.solana.methods_chain import with_context
from gateway.devnet.solana.params import Params, commitment, context_slot, parse_pubkey
from gateway.devnet.solana.tokens import (
    TOKEN_PROGRAMS,
    decode_mint,
    decode_token_account,
    ui_token_amount,
)


def _read_slot(ledger: Ledger, config: dict[str, Any]) -> int:
    return context_slot(ledger, config, commitment(config))


def _data_slice(config: dict[str, Any]) -> tuple[int, int] | None:
    raw = config.get("dataSlice")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), int) and raw[k] >= 0 for k in ("offset", "length")
    ):
        raise InvalidParams("Invalid params: dataSlice needs offset and length")
    return raw["offset"], raw["length"]


def _encoding(config: dict[str, Any], default: str = "base64") -> str:
    return check_encoding(config.get("encoding", default), ACCOUNT_ENCODINGS)


def _account_or_none(
    ledger: Ledger, key: Pubkey, encoding: str, data_slice: tuple[int, int] | None
) -> Any:
    account = ledger.svm.get_account(key)
    # An account with no lamports does not exist on a real cluster.
    if account is None or account.lamports == 0:
        return None
    return ui_account(account, encoding, ledger.svm.get_account, data_slice)


def get_balance(ledger: Ledger, params: Params) -> Any:
    key = params.pubkey(0)
    slot = _read_slot(ledger, params.config(1))
    return with_context(slot, ledger.svm.get_balance(key) or 0)


def get_account_info(ledger: Ledger, params: Params) -> Any:
    key = params.pubkey(0)
    config = params.config(1)
    encoding, data_slice = _encoding(config, "base58"), _data_slice(config)
    slot = _read_slot(ledger, config)
    return with_context(slot, _account_or_none(ledger, key, encoding, data_slice))


def get_multiple_accounts(ledger: Ledger, params: Params) -> Any:
    raw = params.required(0, "pubkeys")
    if not isinstance(raw, list) or len(raw) > c.MAX_MULTIPLE_ACCOUNTS:
        raise InvalidParams(
            f"Invalid params: pubkeys must be a list of at most {c.MAX_MULTIPLE_ACCOUNTS}"
        )
    keys = [parse_pubkey(str(k)) for k in raw]
    config = params.config(1)
    encoding, data_slice = _encoding(config, "base58"), _data_slice(config)
    slot = _read_slot(ledger, config)
    values = [_account_or_none(ledger, k, encoding, data_slice) for k in keys]
    return with_context(slot, values)


def _token_filter(raw: Any) -> tuple[str, Pubkey]:
    if isinstance(raw, dict) and len(raw) == 1:
        (kind, value), = raw.items()
        if kind in ("mint", "programId") and isinstance(value, str):
            key = parse_pubkey(value)
            if kind == "programId" and value not in TOKEN_PROGRAMS:
                raise InvalidParams("Invalid param: unrecognized Token program id")
            return kind, key
    raise InvalidParams("Invalid params: expected a mint or programId filter")


def get_token_accounts_by_owner(ledger: Ledger, params: Params) -> Any:
    owner = params.pubkey(0)
    kind, key = _token_filter(params.required(1, "filter"))
    config = params.config(2)
    slot = _read_slot(ledger, config)
    encoding = _encoding(config)
    if kind == "mint" and decode_mint(ledger.svm.get_account(key)) is None:
        raise InvalidParams("Invalid param: could not find mint")
    programs = [str(key)] if kind == "programId" else sorted(TOKEN_PROGRAMS)
    found = []
    for program in programs:
        for address, account in ledger.svm.get_program_accounts(Pubkey.from_string(program)):
            decoded = decode_token_account(account)
            if decoded is None or decoded.state.owner != owner:
                continue
            if kind == "mint" and decoded.state.mint != key:
                continue
            found.append({
                "account": ui_account(account, encoding, ledger.svm.get_account,
                                      _data_slice(config)),
                "pubkey": str(address),
            })
    return with_context(slot, found)


def _token_account(ledger: Ledger, key: Pubkey) -> TokenAccount:
    decoded = decode_token_account(ledger.svm.get_account(key))
    if decoded is None:
        raise InvalidParams("Invalid param: not a Token account")
    return decoded.state


def get_token_account_balance(ledger: Ledger, params: Params) -> Any:
    state = _token_account(ledger, params.pubkey(0))
    slot = _read_slot(ledger, params.config(1))
    mint = decode_mint(ledger.svm.get_account(state.mint))
    if mint is None:
        raise InvalidParams("Invalid param: could not find mint")
    return with_context(slot, ui_token_amount(state.amount, mint.decimals))


def get_token_supply(ledger: Ledger, params: Params) -> Any:
    mint = decode_mint(ledger.svm.get_account(params.pubkey(0)))
    if mint is None:
        raise InvalidParams("Invalid param: not a Token mint")
    slot = _read_slot(ledger, params.config(1))
    return with_context(slot, ui_token_amount(mint.supply, mint.decimals))


METHODS = {
    "getBalance": get_balance,
    "getAccountInfo": get_account_info,
    "getMultipleAccounts": get_multiple_accounts,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getTokenAccountBalance": get_token_account_balance,
    "getTokenSupply": get_token_supply,
}
