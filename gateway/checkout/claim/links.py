"""Where a refund's claim page lives: `/refunds/claim/<token>` (the absolute link a shopper is
given is gateway.refunds.service.claim_url)."""

from __future__ import annotations


def claim_url(token: str) -> str:
    """The page's path."""
    return f"/refunds/claim/{token}"

