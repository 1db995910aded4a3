"""Who signs refund transactions: a hot wallet per chain, or the operator offline.

    Signer.address           the sending address (the hot key's, or the configured one)
    Signer.sign(unsigned)    the signed bytes (hot), or None (offline: the operator signs
                             elsewhere and submits them, gateway.refunds.sending.offline)

Keys come from a file (REFUND_<CHAIN>_KEY_FILE, wins) or the environment (REFUND_<CHAIN>_KEY):
BNB Chain a hex private key; Solana a keypair as base58 of its 64 bytes, or the JSON array
`solana-keygen` writes. Under `make run` they are the devnet keys (gateway.config), which
production refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from gateway.config import RefundSendingSettings
from gateway.refunds.sending import bsc, solana
from gateway.refunds.sending.errors import SignerNotConfigured

HOT, OFFLINE = "hot", "offline"


class Signer(Protocol):
    chain: str
    address: str

    def sign(self, unsigned: bytes) -> bytes | None: ...


class BscHotSigner:
    chain = bsc.CHAIN

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self.address: str = account.address

    def sign(self, unsigned: bytes) -> bytes:
        return bsc.sign_unsigned(unsigned, self._account.key)


class SolanaHotSigner:
    chain = solana.CHAIN

    def __init__(self, keypair: Keypair) -> None:
        self._keypair = keypair
        self.address = str(keypair.pubkey())

    def sign(self, unsigned: bytes) -> bytes:
        return solana.sign_message(unsigned, self._keypair)


class OfflineSigner:
    """The operator signs elsewhere: the sender builds and waits for the signed bytes."""

    def __init__(self, chain: str, address: str) -> None:
        self.chain = chain
        self.address = address

    def sign(self, unsigned: bytes) -> None:
        return None


def _secret(value: str | None, path: Path | None, variable: str) -> str:
    if path is not None:
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise SignerNotConfigured(f"{variable}_FILE {path}: {exc.strerror}") from exc
    if not value:
        raise SignerNotConfigured(f"{variable} or {variable}_FILE must be set for hot signing")
    return value.strip()


def bsc_account(value: str | None, path: Path | None) -> LocalAccount:
    secret = _secret(value, path, "REFUND_BSC_KEY")
    try:
        account: LocalAccount = Account.from_key(secret)
    except (ValueError, TypeError) as exc:
        raise SignerNotConfigured("REFUND_BSC_KEY is not a hex private key") from exc
    return account


def solana_keypair(value: str | None, path: Path | None) -> Keypair:
    secret = _secret(value, path, "REFUND_SOLANA_KEY")
    try:
        if secret.startswith("["):
            return Keypair.from_bytes(bytes(json.loads(secret)))
        return Keypair.from_base58_string(secret)
    except (ValueError, TypeError) as exc:
        raise SignerNotConfigured("REFUND_SOLANA_KEY is neither base58 nor a JSON keypair") \
            from exc


def _offline_address(chain: str, value: str | None) -> str:
    variable = f"REFUND_{chain.upper()}_ADDRESS"
    if not value:
        raise SignerNotConfigured(f"{variable} must be set for offline signing")
    if chain == bsc.CHAIN:
        if not is_address(value):
            raise SignerNotConfigured(f"{variable} is not an address")
        return str(to_checksum_address(value))
    try:
        return str(Pubkey.from_string(value))
    except ValueError as exc:
        raise SignerNotConfigured(f"{variable} is not a base58 public key") from exc


def signer_for(chain: str, settings: RefundSendingSettings) -> Signer:
    """The configured signer of `chain` (REFUND_SIGNER)."""
    if settings.signer == OFFLINE:
        address = settings.bsc_address if chain == bsc.CHAIN else settings.solana_address
        return OfflineSigner(chain, _offline_address(chain, address))
    if chain == bsc.CHAIN:
        return BscHotSigner(bsc_account(settings.bsc_key, settings.bsc_key_file))
    return SolanaHotSigner(solana_keypair(settings.solana_key, settings.solana_key_file))


def wallet_address(chain: str, settings: RefundSendingSettings) -> str:
    """The sending address of `chain` (funded by `make run`, shown by the CLI)."""
    return signer_for(chain, settings).address
