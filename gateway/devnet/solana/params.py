"""Positional JSON-RPC parameters, validated the way the validator refuses bad ones."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import base58
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from gateway.devnet.solana.errors import InvalidParams, MinContextSlot
from gateway.devnet.solana.ledger import Commitment, Ledger

_COMMITMENTS = {c.wire: c for c in Commitment}
# Deprecated names the validator still maps.
_COMMITMENTS.update({"recent": Commitment.PROCESSED, "single": Commitment.CONFIRMED,
                     "singleGossip": Commitment.CONFIRMED, "root": Commitment.FINALIZED,
                     "max": Commitment.FINALIZED})


class Params:
    """The `params` array of one request."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise InvalidParams("Invalid params: invalid type: map, expected a sequence")
        self.raw = raw

    def required(self, index: int, what: str) -> Any:
        if index >= len(self.raw):
            raise InvalidParams(f"Invalid params: missing field `{what}`")
        return self.raw[index]

    def string(self, index: int, what: str) -> str:
        value = self.required(index, what)
        if not isinstance(value, str):
            raise InvalidParams(f"Invalid params: invalid type for `{what}`, expected a string")
        return value

    def pubkey(self, index: int, what: str = "pubkey") -> Pubkey:
        return parse_pubkey(self.string(index, what))

    def signature(self, index: int) -> Signature:
        return parse_signature(self.string(index, "signature"))

    def integer(self, index: int, what: str) -> int:
        value = self.required(index, what)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidParams(f"Invalid params: invalid type for `{what}`, expected u64")
        return value

    def config(self, index: int) -> dict[str, Any]:
        if index >= len(self.raw) or self.raw[index] is None:
            return {}
        value = self.raw[index]
        if not isinstance(value, dict):
            raise InvalidParams("Invalid params: invalid type: expected a config object")
        # Clients send unset options as null; the validator treats them as absent.
        return {k: v for k, v in value.items() if v is not None}


def parse_pubkey(text: str) -> Pubkey:
    try:
        return Pubkey.from_string(text)
    except ValueError as exc:
        raise InvalidParams("Invalid param: Invalid") from exc


def parse_signature(text: str) -> Signature:
    try:
        return Signature.from_string(text)
    except ValueError as exc:
        raise InvalidParams("Invalid param: Invalid") from exc


def parse_hash(text: str) -> Hash:
    try:
        return Hash.from_string(text)
    except ValueError as exc:
        raise InvalidParams(f"Invalid param: {exc}") from exc


def commitment(config: dict[str, Any], *, minimum: Commitment = Commitment.PROCESSED) -> Commitment:
    """The config's commitment (default finalized, like the validator)."""
    name = config.get("commitment", "finalized")
    level = _COMMITMENTS.get(name) if isinstance(name, str) else None
    if level is None:
        raise InvalidParams(f"Invalid params: unknown variant `{name}`")
    if level < minimum:
        raise InvalidParams(f"Method does not support commitment below `{minimum.wire}`")
    return level


def context_slot(ledger: Ledger, config: dict[str, Any], level: Commitment) -> int:
    """The slot a read is answered at, enforcing minContextSlot (-32016)."""
    slot = ledger.slot_at(level)
    wanted = config.get("minContextSlot")
    if isinstance(wanted, int) and wanted > slot:
        raise MinContextSlot(
            "Minimum context slot has not been reached", data={"contextSlot": slot}
        )
    return slot


def decode_wire(text: str, encoding: str) -> bytes:
    """Transaction bytes from the request's base58/base64 text."""
    try:
        if encoding == "base58":
            return base58.b58decode(text)
        if encoding == "base64":
            return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InvalidParams(f"invalid transaction: {encoding} decode error: {exc}") from exc
    raise InvalidParams(
        f"Invalid params: unknown variant `{encoding}`, expected `base58` or `base64`"
    )
