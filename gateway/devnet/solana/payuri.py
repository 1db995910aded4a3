"""Solana Pay transfer request URIs, parsed strictly per the Solana Pay SPEC.md.

    solana:<recipient>?amount=<decimal>&spl-token=<mint>&reference=<key>...&label=&message=&memo=

Rules enforced: the `solana:` scheme with a base58 public key as the pathname (transaction
requests, i.e. a URL pathname, are refused); `amount` is a non-negative decimal in user units
with a leading digit and no exponent; `spl-token` and every `reference` are public keys;
`amount`, `spl-token`, `label`, `message` and `memo` appear at most once; values are
URL-decoded. Unknown fields are ignored (the spec reserves them for extensions). Whether the
amount has more decimals than SOL or the mint allows is checked by the payer, which knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, unquote

from solders.pubkey import Pubkey

from gateway.devnet.errors import InvalidPaymentUri

SCHEME = "solana:"
_AMOUNT = re.compile(r"\A[0-9]+(\.[0-9]+)?\Z")
_SINGLE_FIELDS = ("amount", "spl-token", "label", "message", "memo")


@dataclass(frozen=True)
class TransferRequest:
    recipient: Pubkey
    amount: Decimal | None
    spl_token: Pubkey | None
    references: tuple[Pubkey, ...]
    label: str | None
    message: str | None
    memo: str | None


def _pubkey(text: str, field: str) -> Pubkey:
    try:
        key = Pubkey.from_string(text)
    except ValueError:
        raise InvalidPaymentUri(f"{field} is not a base58 public key: {text!r}") from None
    return key


def parse_amount(text: str) -> Decimal:
    """A spec amount: digits, optionally a point and digits; no sign, exponent or bare point."""
    if not _AMOUNT.match(text):
        raise InvalidPaymentUri(
            f"amount must be a non-negative decimal like 0.01 (no exponent), got {text!r}"
        )
    return Decimal(text)


def _fields(query: str) -> dict[str, list[str]]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query),
                          errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPaymentUri(f"malformed query string: {exc}") from exc
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    for name in _SINGLE_FIELDS:
        if len(fields.get(name, [])) > 1:
            raise InvalidPaymentUri(f"{name} may appear only once")
    return fields


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def parse_transfer_request(uri: str) -> TransferRequest:
    """The transfer request in `uri`; InvalidPaymentUri says what is wrong otherwise."""
    if not uri.startswith(SCHEME):
        raise InvalidPaymentUri(f"not a Solana Pay URI (must start with {SCHEME!r}): {uri!r}")
    path, _, query = uri[len(SCHEME):].partition("?")
    recipient_text = unquote(path, errors="strict")
    if recipient_text.startswith(("https:", "http:")):
        raise InvalidPaymentUri("transaction requests (a URL pathname) are not supported")
    if not recipient_text:
        raise InvalidPaymentUri("recipient is missing")
    recipient = _pubkey(recipient_text, "recipient")
    fields = _fields(query)
    amount_text = _one(fields, "amount")
    token_text = _one(fields, "spl-token")
    return TransferRequest(
        recipient=recipient,
        amount=None if amount_text is None else parse_amount(amount_text),
        spl_token=None if token_text is None else _pubkey(token_text, "spl-token"),
        references=tuple(_pubkey(r, "reference") for r in fields.get("reference", [])),
        label=_one(fields, "label"),
        message=_one(fields, "message"),
        memo=_one(fields, "memo"),
    )
