"""Errors of the refund sender (under gateway.refunds.errors.RefundError / ApiError).

    RefundError
    └── SendingError              the sender cannot go on with a refund (logged, retried)
        └── SignerNotConfigured   hot mode without a key, offline without an address
    ApiError
    ├── Conflict
    │   └── NotAwaitingSignature  409 not_awaiting_signature (nothing unsigned to sign)
    └── Unprocessable
        ├── SignatureRefused      422 signature_refused (param: signed): not exactly the built
        │                         transaction signed by the expected key
        └── BlockhashExpired      422 blockhash_expired (param: signed): the built Solana
                                  transaction's blockhash expired; the sender builds a new one
"""

from __future__ import annotations

from gateway.errors import Conflict, Unprocessable
from gateway.refunds.errors import RefundError


class SendingError(RefundError):
    """The sender cannot go on with a refund now."""


class SignerNotConfigured(SendingError):
    """A signer's key (hot) or address (offline) is missing or malformed."""


class NotAwaitingSignature(Conflict):
    default_code = "not_awaiting_signature"


class SignatureRefused(Unprocessable):
    default_code = "signature_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, param="signed")


class BlockhashExpired(Unprocessable):
    default_code = "blockhash_expired"

    def __init__(self, message: str) -> None:
        super().__init__(message, param="signed")
