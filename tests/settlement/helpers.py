"""Shared helpers of the ledger tests: unique names, so tests never share mutable rows."""

from __future__ import annotations

import secrets

from settlement.ledger import AccountKind, AccountSpec
from settlement.money import KZT, Currency


def uid(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def account(kind: AccountKind = AccountKind.ASSET, currency: Currency = KZT) -> AccountSpec:
    """A fresh account nobody else posts to."""
    return AccountSpec(f"test:{uid(kind.value)}", currency, kind)
