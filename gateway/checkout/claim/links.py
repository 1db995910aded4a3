"""Where a refund's claim page lives: `/refunds/claim/<token>` on the public URL."""

from __future__ import annotations


def claim_url(token: str) -> str:
    """The page's path."""
    return f"/refunds/claim/{token}"


def claim_link(public_url: str, token: str | None) -> str | None:
    """The absolute link a shopper is given; None for a refund without a claim token."""
    return None if token is None else public_url.rstrip("/") + claim_url(token)
