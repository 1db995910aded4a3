"""Errors of payment requests: deposit-address derivation and payment URIs.

    GatewayError                 (gateway.errors)
    └── PaymentRequestError      building a payment request failed
        ├── InvalidExtendedKey   the account xpub is malformed, private, or of the wrong kind
        ├── DerivationError      an index out of range, or (2^-127 odds) an invalid child key
        └── PaymentUriError      an EIP-681 / Solana Pay URI or one of its fields is malformed
"""

from __future__ import annotations

from gateway.errors import GatewayError


class PaymentRequestError(GatewayError):
    """Building or reading a payment request failed."""


class InvalidExtendedKey(PaymentRequestError):
    """An extended public key is malformed, has a bad checksum, or is a private key."""


class DerivationError(PaymentRequestError):
    """A child key cannot be derived (index out of range or an invalid child)."""


class PaymentUriError(PaymentRequestError):
    """A payment URI (or a value going into one) is malformed."""
