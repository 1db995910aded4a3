"""Is this a refund address of the chain? (422 invalid_address with the reason otherwise.)

BNB Chain: `0x` + 40 hex digits in their EIP-55 mixed-case form, checked. An all-lowercase
(or all-uppercase) address carries no checksum, so one mistyped digit would send the money to
a stranger: it is refused too, with the checksummed form to check against the shopper's
wallet (wallets show and copy the checksummed form).
Solana: base58 of a 32-byte key that lies on the ed25519 curve, i.e. a wallet's own key; a
program-derived address (an associated token account, a PDA) is off the curve and refused:
the sender derives the token account from the owner and creates it when missing.
"""

from __future__ import annotations

import re

from solders.pubkey import Pubkey

from gateway.payments.eip55 import checksum_hex
from gateway.refunds.errors import InvalidRefundAddress

HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")


def _bsc(address: str) -> str:
    if not HEX_ADDRESS.match(address):
        raise InvalidRefundAddress("A BNB Chain address is 0x followed by 40 hex digits.",
                                   param="address")
    checksummed = checksum_hex(address[2:].lower())
    if address != checksummed:
        raise InvalidRefundAddress(
            f"A BNB Chain refund address must be in its EIP-55 checksummed form "
            f"(did you mean {checksummed}? check it against the wallet).", param="address")
    return address


def _solana(address: str) -> str:
    if not BASE58.match(address):
        raise InvalidRefundAddress("A Solana address is a base58 public key.", param="address")
    try:
        key = Pubkey.from_string(address)
    except ValueError as exc:
        raise InvalidRefundAddress("A Solana address is a base58 32-byte public key.",
                                   param="address") from exc
    if str(key) != address or not key.is_on_curve():
        raise InvalidRefundAddress(
            "A Solana refund address must be a wallet's own key (on the ed25519 curve), not "
            "a token account or program address.", param="address")
    return address


def check_address(chain: str, address: str) -> str:
    """`address` when it is a valid refund address of `chain`; InvalidRefundAddress else."""
    if chain == "bsc":
        return _bsc(address)
    if chain == "solana":
        return _solana(address)
    raise InvalidRefundAddress(f"No refunds on chain {chain!r}.", param="address")
