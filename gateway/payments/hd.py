"""BIP-32 public derivation of BNB Chain deposit addresses (BIP-44 m/44'/60'/0'/0/i).

The operator gives the gateway only the account-level extended public key (the xpub of
m/44'/60'/0'); every invoice gets the address of m/44'/60'/0'/0/index. Public (non-hardened)
derivation needs no private key, so none exists anywhere in gateway code: funds are swept by
the operator's own signing setup, outside this process.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import lru_cache

import base58
import coincurve

from gateway.payments.eip55 import checksum_bytes, keccak256
from gateway.payments.errors import DerivationError, InvalidExtendedKey

# Account xpub of m/44'/60'/0' for the published BIP-39 test mnemonic "abandon ×11 about".
# Dev default only: anyone can spend from it. tests/payments/test_hd.py re-derives it.
DEV_ACCOUNT_XPUB = (
    "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6"
    "si3yZdUsT8ddYM3PwnATt"
)

XPUB_VERSION = bytes.fromhex("0488b21e")
_PRIVATE_VERSIONS = {
    bytes.fromhex("0488ade4"): "xprv",
    bytes.fromhex("04358394"): "tprv",
}
_OTHER_PUBLIC_VERSIONS = {
    bytes.fromhex("043587cf"): "tpub (testnet)",
    bytes.fromhex("049d7cb2"): "ypub (BIP-49)",
    bytes.fromhex("04b24746"): "zpub (BIP-84)",
}
_ACCOUNT_DEPTH = 3
HARDENED = 0x8000_0000
MAX_INDEX = HARDENED - 1
# Order of the secp256k1 group: a tweak at or above it is not a valid scalar.
_CURVE_ORDER = 0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_BAAEDCE6_AF48A03B_BFD25E8C_D0364141
_EXTERNAL_CHAIN = 0


@dataclass(frozen=True)
class ExtendedPublicKey:
    """A parsed BIP-32 extended public key (serialisation fields we need)."""

    depth: int
    parent_fingerprint: bytes
    child_number: int
    chain_code: bytes
    public_key: bytes  # 33-byte compressed SEC point


def _decode(xpub: str) -> bytes:
    try:
        raw: bytes = base58.b58decode_check(xpub.strip())
    except ValueError as exc:
        raise InvalidExtendedKey(
            "extended public key is not valid base58check (typo or bad checksum)"
        ) from exc
    if len(raw) != 78:
        raise InvalidExtendedKey(f"extended key must be 78 bytes, got {len(raw)}")
    return raw


def _check_version(version: bytes) -> None:
    if version in _PRIVATE_VERSIONS:
        raise InvalidExtendedKey(
            f"a private extended key ({_PRIVATE_VERSIONS[version]}) was given; the gateway "
            "takes only the account xpub of m/44'/60'/0' and must never see private keys"
        )
    if version in _OTHER_PUBLIC_VERSIONS:
        raise InvalidExtendedKey(
            f"extended key is a {_OTHER_PUBLIC_VERSIONS[version]}; expected a mainnet xpub"
        )
    if version != XPUB_VERSION:
        raise InvalidExtendedKey(f"unknown extended key version 0x{version.hex()}")


def parse_xpub(xpub: str) -> ExtendedPublicKey:
    """Parse and validate an account-level (depth 3, hardened) xpub."""
    raw = _decode(xpub)
    _check_version(raw[0:4])
    key = ExtendedPublicKey(
        depth=raw[4],
        parent_fingerprint=raw[5:9],
        child_number=int.from_bytes(raw[9:13], "big"),
        chain_code=raw[13:45],
        public_key=raw[45:78],
    )
    if key.depth != _ACCOUNT_DEPTH or key.child_number < HARDENED:
        raise InvalidExtendedKey(
            "expected the account-level xpub of m/44'/60'/<account>' (depth 3, hardened), "
            f"got depth {key.depth}"
        )
    try:
        coincurve.PublicKey(key.public_key)
    except ValueError as exc:
        raise InvalidExtendedKey("extended key does not hold a valid secp256k1 point") from exc
    return key


def serialize_xpub(key: ExtendedPublicKey) -> str:
    """The base58check form of `key` (mainnet xpub version)."""
    payload = (
        XPUB_VERSION
        + bytes([key.depth])
        + key.parent_fingerprint
        + key.child_number.to_bytes(4, "big")
        + key.chain_code
        + key.public_key
    )
    encoded: str = base58.b58encode_check(payload).decode("ascii")
    return encoded


def _child_point(chain_code: bytes, public_key: bytes, parent: coincurve.PublicKey,
                 index: int) -> tuple[bytes, coincurve.PublicKey]:
    """BIP-32 CKDpub from a parsed parent point: (child chain code, child point)."""
    # hmac.digest: the one-shot C path, without building an HMAC object per address.
    digest = hmac.digest(chain_code, public_key + index.to_bytes(4, "big"), "sha512")
    tweak, child_chain = digest[:32], digest[32:]
    if int.from_bytes(tweak, "big") >= _CURVE_ORDER:
        raise DerivationError(f"index {index} yields an invalid child; use the next index")
    try:
        return child_chain, parent.add(tweak)
    except ValueError as exc:  # tweak makes the point at infinity
        raise DerivationError(f"index {index} yields an invalid child; use the next index") from exc


def _ckd_pub(chain_code: bytes, public_key: bytes, index: int) -> tuple[bytes, bytes]:
    """BIP-32 CKDpub: (child chain code, child compressed public key)."""
    child_chain, child = _child_point(chain_code, public_key, coincurve.PublicKey(public_key),
                                      index)
    return child_chain, child.format(compressed=True)


@lru_cache(maxsize=64)
def _external_chain(xpub: str) -> tuple[bytes, bytes, coincurve.PublicKey]:
    # Cached: every invoice derives from the same m/44'/60'/0'/0 node, so only the last step
    # (one HMAC + one point addition) is paid per address; the parsed point is kept too.
    account = parse_xpub(xpub)
    chain_code, public_key = _ckd_pub(account.chain_code, account.public_key, _EXTERNAL_CHAIN)
    return chain_code, public_key, coincurve.PublicKey(public_key)


def check_index(index: int) -> None:
    if isinstance(index, bool) or not isinstance(index, int):
        raise DerivationError(f"derivation index must be an int, got {type(index).__name__}")
    if not 0 <= index <= MAX_INDEX:
        raise DerivationError(f"derivation index must be between 0 and {MAX_INDEX}, got {index}")


def _address_of_point(point: coincurve.PublicKey) -> str:
    return checksum_bytes(keccak256(point.format(compressed=False)[1:])[-20:])


def address_of(public_key: bytes) -> str:
    """EIP-55 checksummed Ethereum/BNB Chain address of a secp256k1 public key."""
    return _address_of_point(coincurve.PublicKey(public_key))


def derive_address(xpub: str, index: int) -> str:
    """Deposit address m/44'/60'/0'/0/index of the account `xpub`, EIP-55 checksummed."""
    check_index(index)
    chain_code, public_key, point = _external_chain(xpub.strip())
    _, child = _child_point(chain_code, public_key, point, index)
    return _address_of_point(child)


def validate_xpub(xpub: str) -> str:
    """Return `xpub` stripped when it is a usable account xpub; raise InvalidExtendedKey."""
    parse_xpub(xpub)
    return xpub.strip()
