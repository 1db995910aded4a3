"""Solana Pay reference keys: one fresh random public key per invoice.

The watcher finds the payment by this key (it is attached read-only to the transfer
instruction), so it must be unguessable and unique: 32 bytes from the OS CSPRNG.
"""

from __future__ import annotations

import secrets

from solders.pubkey import Pubkey

from gateway.payments.errors import PaymentUriError


def new_reference() -> str:
    """A fresh base58 32-byte public key for an invoice's Solana Pay `reference`."""
    return str(Pubkey(secrets.token_bytes(32)))


def check_pubkey(value: str, field: str) -> str:
    """Return `value` when it is a base58 32-byte public key; raise PaymentUriError naming it."""
    try:
        key = Pubkey.from_string(value)
    except ValueError as exc:
        raise PaymentUriError(f"{field} {value!r} is not a base58 32-byte public key") from exc
    if str(key) != value:  # e.g. leading "1"s that decode to a different canonical string
        raise PaymentUriError(f"{field} {value!r} is not in canonical base58 form")
    return value
