"""EIP-55 mixed-case checksums of 20-byte addresses, on the invoice-create hot path.

eth_utils' `to_checksum_address` costs ~35 us per call (argument validation decorators, several
conversions); these do the same with one Keccak-256 (pycryptodome, the backend eth-hash uses)
and one pass over 40 characters. tests/payments/test_hd.py checks them against eth_utils.
"""

from __future__ import annotations

from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    return keccak.new(data=data, digest_bits=256).digest()


def checksum_hex(lower_hex: str) -> str:
    """`0x` + the EIP-55 form of 40 lower-case hex digits (no prefix)."""
    # digest().hex(): pycryptodome's hexdigest() formats byte by byte in Python, 2.5x slower.
    digest = keccak.new(data=lower_hex.encode("ascii"), digest_bits=256).digest().hex()
    # A letter is upper-cased where the hash's nibble at its position is 8 or more; comparing
    # the hex digit as text ("8" <= "8".."9" < "a".."f") avoids an int() per character.
    return "0x" + "".join(
        char.upper() if nibble >= "8" else char
        for char, nibble in zip(lower_hex, digest, strict=False)
    )


def checksum_bytes(address: bytes) -> str:
    """The EIP-55 text of a raw 20-byte address."""
    return checksum_hex(address.hex())
