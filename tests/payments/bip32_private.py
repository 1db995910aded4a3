"""Test-only BIP-39/BIP-32 private derivation, to re-derive the dev account xpub.

Private keys exist only here, for the published test mnemonic; gateway code never has any.
"""

from __future__ import annotations

import hashlib
import hmac

import coincurve

from gateway.payments.hd import HARDENED, ExtendedPublicKey, serialize_xpub

TEST_MNEMONIC = (
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
)
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _seed(mnemonic: str, passphrase: str = "") -> bytes:
    return hashlib.pbkdf2_hmac(
        "sha512", mnemonic.encode(), ("mnemonic" + passphrase).encode(), 2048
    )


def _pub(secret: bytes) -> bytes:
    return coincurve.PrivateKey(secret).public_key.format(compressed=True)


def _ckd_priv(secret: bytes, chain: bytes, index: int) -> tuple[bytes, bytes]:
    data = b"\x00" + secret if index >= HARDENED else _pub(secret)
    digest = hmac.new(chain, data + index.to_bytes(4, "big"), hashlib.sha512).digest()
    child = (int.from_bytes(digest[:32], "big") + int.from_bytes(secret, "big")) % _ORDER
    return child.to_bytes(32, "big"), digest[32:]


def account_xpub(mnemonic: str = TEST_MNEMONIC, path: tuple[int, ...] = (44, 60, 0)) -> str:
    """The xpub of m/44'/60'/0' (all levels hardened) for `mnemonic`."""
    digest = hmac.new(b"Bitcoin seed", _seed(mnemonic), hashlib.sha512).digest()
    secret, chain = digest[:32], digest[32:]
    parent_pub = _pub(secret)
    for level in path:
        parent_pub = _pub(secret)
        secret, chain = _ckd_priv(secret, chain, level + HARDENED)
    fingerprint = hashlib.new("ripemd160", hashlib.sha256(parent_pub).digest()).digest()[:4]
    return serialize_xpub(
        ExtendedPublicKey(
            depth=len(path),
            parent_fingerprint=fingerprint,
            child_number=path[-1] + HARDENED,
            chain_code=chain,
            public_key=_pub(secret),
        )
    )
