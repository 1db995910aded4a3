"""Place the BEP-20 test tokens on anvil at their BSC mainnet addresses.

`anvil_setCode` puts the built runtime bytecode at each address and `anvil_setStorageAt`
writes the state a constructor would have written (name, symbol, owner, balances, total
supply). Slot numbers come from the artifact's storageLayout, so a reordered contract cannot
silently put balances in the wrong slot. Both calls change the current state at once, with no
block to wait for, which is what keeps `devnet up` within a second.

Placement is idempotent: code already in place with a non-zero total supply is left alone,
so balances that moved on a persisted chain are kept.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from gateway.devnet import jsonrpc
from gateway.devnet.bsc import TEST_WALLETS, TOKEN_FUNDED_WALLETS, TOKEN_WALLET_UNITS, TokenSpec
from gateway.devnet.errors import DevnetError
from gateway.log import get_logger

log = get_logger(__name__)

ARTIFACT = Path(__file__).resolve().parent / "contracts" / "DevnetBEP20.json"


@cache
def artifact() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return data


def abi() -> list[dict[str, Any]]:
    """The token ABI (standard BEP-20 plus getOwner)."""
    result: list[dict[str, Any]] = artifact()["abi"]
    return result


def slot_of(label: str) -> int:
    for entry in artifact()["storageLayout"]:
        if entry["label"] == label:
            return int(entry["slot"])
    raise DevnetError(f"token artifact has no storage variable {label!r}")


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def _address_word(address: str) -> bytes:
    return bytes.fromhex(address[2:].rjust(64, "0"))


def balance_slot(holder: str) -> int:
    """Slot of `_balances[holder]`: keccak256(pad32(holder) ++ pad32(mapping slot))."""
    key = _address_word(holder) + slot_of("_balances").to_bytes(32, "big")
    return int.from_bytes(keccak(key), "big")


def short_string_word(text: str) -> str:
    """Solidity's in-slot encoding of a string under 32 bytes: bytes, then length*2 last."""
    raw = text.encode()
    if len(raw) > 31:
        raise DevnetError(f"token string {text!r} is too long for one storage slot")
    return "0x" + (raw.ljust(31, b"\0") + bytes([len(raw) * 2])).hex()


def _set_storage(rpc_url: str, address: str, slot: int, value: str) -> None:
    jsonrpc.call(rpc_url, "anvil_setStorageAt", [address, _word(slot), value])


def total_supply(rpc_url: str, address: str) -> int:
    raw = jsonrpc.call(rpc_url, "eth_getStorageAt",
                       [address, hex(slot_of("_totalSupply")), "latest"])
    return int(raw, 16)


def balance_of(rpc_url: str, token: str, holder: str) -> int:
    raw = jsonrpc.call(rpc_url, "eth_getStorageAt", [token, hex(balance_slot(holder)), "latest"])
    return int(raw, 16)


def set_balance(rpc_url: str, token: str, holder: str, units: int) -> None:
    """Give `holder` exactly `units` of `token`, keeping totalSupply the sum of balances."""
    supply = total_supply(rpc_url, token) - balance_of(rpc_url, token, holder) + units
    _set_storage(rpc_url, token, balance_slot(holder), _word(units))
    _set_storage(rpc_url, token, slot_of("_totalSupply"), _word(supply))


def place_token(rpc_url: str, spec: TokenSpec) -> bool:
    """Ensure `spec` is deployed and funded; True if anything had to be written."""
    runtime: str = artifact()["deployedBytecode"]
    code = jsonrpc.call(rpc_url, "eth_getCode", [spec.address, "latest"])
    if code == runtime and total_supply(rpc_url, spec.address) > 0:
        return False
    jsonrpc.call(rpc_url, "anvil_setCode", [spec.address, runtime])
    _set_storage(rpc_url, spec.address, slot_of("_name"), short_string_word(spec.name))
    _set_storage(rpc_url, spec.address, slot_of("_symbol"), short_string_word(spec.symbol))
    owner = TEST_WALLETS[0][0]
    _set_storage(rpc_url, spec.address, slot_of("_owner"), "0x" + _address_word(owner).hex())
    for holder, _key in TEST_WALLETS[:TOKEN_FUNDED_WALLETS]:
        set_balance(rpc_url, spec.address, holder, TOKEN_WALLET_UNITS)
    log.info("devnet_token_placed", chain="bsc", token=spec.symbol, address=spec.address)
    return True


def ensure_tokens(rpc_url: str, tokens: tuple[TokenSpec, ...]) -> list[str]:
    """Place every token that is missing; returns the symbols placed by this call."""
    return [spec.symbol for spec in tokens if place_token(rpc_url, spec)]
