"""Merchant and API-key errors (the rest of the tree is drawn in gateway.errors).

    GatewayError
    └── MerchantError            merchant administration (CLI, startup seeding)
        ├── InvalidMerchant      a bad name, BIN, IBAN, BIC or fee (BIN/IBAN by the payout
        │                        validators); the message names the field
        ├── MerchantNotFound     no merchant with that id
        └── ApiKeyNotFound       no API key with that id
"""

from __future__ import annotations

from gateway.errors import GatewayError


class MerchantError(GatewayError):
    """A merchant administration request was refused."""


class InvalidMerchant(MerchantError):
    """A merchant field is invalid; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class MerchantNotFound(MerchantError):
    """No merchant has the given id."""


class ApiKeyNotFound(MerchantError):
    """No API key has the given id."""
