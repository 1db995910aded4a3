"""Merchant rules: validated registration data, status changes, API key issue and revocation.

A merchant that cannot be paid out cannot be created: the BIN and IBAN are checked with the
same validators the payout files use (`settlement.payouts.bin.validate_bin`: 12 digits, a real
month, the IIN/BIN control digit; `settlement.payouts.iban.validate_kz_iban`: `KZ`, check
digits, 3-digit bank code, 13-character account, ISO 13616 mod-97); a BIC is ISO 9362 (8 or 11
characters); the name is what a pain.001 file carries (`settlement.payouts.pain001.
check_party_name`: 1-140 printable characters). The fee is basis points of the invoice plus
a fixed tiyn part (and a minimum): creation writes the merchant and its first fee schedule
(`settlement.fees`, effective from the creating transaction's start) in one transaction, so
every merchant has a fee in effect from its first moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway.merchants import queries as q
from gateway.merchants.apikeys import generate_key
from gateway.merchants.defaults import InvoiceDefaults
from gateway.merchants.errors import ApiKeyNotFound, InvalidMerchant, MerchantNotFound
from gateway.merchants.ids import new_id
from settlement.db import Conn
from settlement.fees.errors import FeeError
from settlement.fees.service import set_fee_schedule
from settlement.payouts.bin import validate_bin
from settlement.payouts.errors import InvalidBin, InvalidIban, InvalidPayee
from settlement.payouts.iban import validate_kz_iban
from settlement.payouts.pain001 import check_party_name

_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
MAX_REDIRECT_DOMAINS = 20
MAX_FEE_BPS = 10_000
STATUSES = ("active", "suspended")


@dataclass(frozen=True)
class MerchantInput:
    name: str
    bin: str
    iban: str
    bic: str | None = None
    fee_bps: int = 100
    fee_fixed: int = 0
    fee_minimum: int = 0  # tiyn; only for the first fee schedule (not a merchants column)


@dataclass(frozen=True)
class Merchant:
    id: str
    name: str
    bin: str
    iban: str
    bic: str | None
    fee_bps: int
    fee_fixed: int
    status: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Merchant:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class IssuedKey:
    """An API key just created: `secret` is the only copy of the key there will ever be."""

    id: str
    merchant_id: str
    secret: str
    prefix: str
    last4: str


def normalize_iban(raw: str) -> str:
    """The IBAN in electronic form when it is a valid KZ IBAN; else InvalidMerchant("iban")."""
    try:
        return validate_kz_iban(raw)
    except InvalidIban as exc:
        raise InvalidMerchant("iban", str(exc)) from exc


def normalize_bin(raw: str) -> str:
    """The 12-digit BIN when its month and control digit are right; else InvalidMerchant("bin")."""
    try:
        return validate_bin(raw)
    except InvalidBin as exc:
        raise InvalidMerchant("bin", str(exc)) from exc


def validate(data: MerchantInput) -> MerchantInput:
    """The input with normalised BIN/IBAN/BIC; raises InvalidMerchant naming the first bad field."""
    name = data.name.strip()
    try:
        check_party_name(name)
    except InvalidPayee as exc:
        raise InvalidMerchant("name", str(exc)) from exc
    bin_ = normalize_bin(data.bin)
    bic = data.bic.strip().upper() if data.bic else None
    if bic is not None and not _BIC.match(bic):
        raise InvalidMerchant("bic", "must be an 8 or 11 character ISO 9362 code")
    if not 0 <= data.fee_bps <= MAX_FEE_BPS:
        raise InvalidMerchant("fee_bps", f"must be between 0 and {MAX_FEE_BPS}")
    if data.fee_fixed < 0:
        raise InvalidMerchant("fee_fixed", "must be zero or more tiyn")
    if data.fee_minimum < 0:
        raise InvalidMerchant("fee_minimum", "must be zero or more tiyn")
    return MerchantInput(name, bin_, normalize_iban(data.iban), bic, data.fee_bps,
                         data.fee_fixed, data.fee_minimum)


async def create_merchant(conn: Conn, data: MerchantInput, *, demo: bool = False) -> Merchant:
    """Validate, then write the merchant and its first fee schedule in one transaction."""
    ok = validate(data)
    async with conn.transaction():
        row = await q.insert_merchant(
            conn, (new_id("mch"), ok.name, ok.bin, ok.iban, ok.bic, ok.fee_bps, ok.fee_fixed,
                   demo)
        )
        merchant = Merchant.from_row(row)
        try:
            # effective_from None: the database's now(), this transaction's start, which the
            # fee trigger never sees as "in the past" (a client clock could be behind it).
            await set_fee_schedule(conn, merchant.id, bps=ok.fee_bps, fixed=ok.fee_fixed,
                                   minimum=ok.fee_minimum, effective_from=None)
        except FeeError as exc:
            raise InvalidMerchant("fee", str(exc)) from exc
    return merchant


async def get_merchant(conn: Conn, merchant_id: str) -> Merchant:
    row = await q.select_merchant(conn, merchant_id)
    if row is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    return Merchant.from_row(row)


async def list_merchants(conn: Conn) -> list[Merchant]:
    return [Merchant.from_row(row) for row in await q.list_merchants(conn)]


async def set_status(conn: Conn, merchant_id: str, status: str) -> Merchant:
    if status not in STATUSES:
        raise InvalidMerchant("status", f"must be one of {', '.join(STATUSES)}")
    row = await q.update_merchant_status(conn, merchant_id, status)
    if row is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    return Merchant.from_row(row)


def normalize_domain(raw: str) -> str:
    """A host name (or `*.` + host name) in lower-case ASCII (IDNA); else InvalidMerchant."""
    text = raw.strip().lower().rstrip(".")
    wildcard = text.startswith("*.")
    try:
        ascii_host = text.removeprefix("*.").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidMerchant("redirect_domains", f"{raw!r} is not a host name") from exc
    domain = ("*." if wildcard else "") + ascii_host
    if not _DOMAIN.match(domain) or len(domain) > 253:
        raise InvalidMerchant("redirect_domains", f"{raw!r} is not a host name")
    return domain


async def set_redirect_domains(conn: Conn, merchant_id: str,
                               domains: list[str] | None) -> list[str] | None:
    """Replace the merchant's allowed redirect domains (None removes the list); the stored list.

    Running gateways apply it within API_KEY_CACHE_TTL (it travels with the API key's principal).
    """
    normalized = None
    if domains is not None:
        normalized = sorted({normalize_domain(d) for d in domains})
        if len(normalized) > MAX_REDIRECT_DOMAINS:
            raise InvalidMerchant("redirect_domains", f"at most {MAX_REDIRECT_DOMAINS} domains")
    if await q.update_redirect_domains(conn, merchant_id, normalized) is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    return normalized


async def invoice_defaults(conn: Conn, merchant_id: str) -> InvoiceDefaults:
    row = await q.select_merchant(conn, merchant_id)
    if row is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    return InvoiceDefaults.from_row(row)


def _check_defaults(d: InvoiceDefaults, enabled_assets: tuple[str, ...],
                    max_expires_in: int) -> None:
    if d.accepted_assets is not None and (
            not d.accepted_assets or not set(d.accepted_assets) <= set(enabled_assets)):
        raise InvalidMerchant("accepted_assets", f"choose from {', '.join(enabled_assets)}")
    if d.expires_in is not None and not 60 <= d.expires_in <= max_expires_in:
        raise InvalidMerchant("expires_in", f"must be 60..{max_expires_in} seconds")
    if d.tolerance_bps is not None and not 0 <= d.tolerance_bps <= MAX_FEE_BPS:
        raise InvalidMerchant("tolerance_bps", f"must be 0..{MAX_FEE_BPS}")
    if d.tolerance_tiyn is not None and d.tolerance_tiyn < 0:
        raise InvalidMerchant("tolerance_tiyn", "must be zero or more tiyn")
    if d.late_accept_window is not None and d.late_accept_window < 0:
        raise InvalidMerchant("late_accept_window", "must be zero or more seconds")


async def set_invoice_defaults(conn: Conn, merchant_id: str, defaults: InvoiceDefaults, *,
                               enabled_assets: tuple[str, ...], max_expires_in: int) -> None:
    """Replace the merchant's invoice terms (None fields: the zone default). Running gateways
    apply them within API_KEY_CACHE_TTL (they travel with the API key's principal)."""
    _check_defaults(defaults, enabled_assets, max_expires_in)
    assets = None if defaults.accepted_assets is None else list(defaults.accepted_assets)
    if await q.update_invoice_defaults(conn, merchant_id, (
            assets, defaults.expires_in, defaults.tolerance_bps, defaults.tolerance_tiyn,
            defaults.late_accept_window)) is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")


async def issue_api_key(conn: Conn, merchant_id: str, pepper: str, *,
                        livemode: bool = True) -> IssuedKey:
    """A new key (`livemode` False: a ccp_test_ key); the secret is in the result only."""
    await get_merchant(conn, merchant_id)
    key = generate_key(pepper, livemode=livemode)
    row = await q.insert_api_key(
        conn, new_id("key"), merchant_id, key.key_hash, key.prefix, key.last4, livemode
    )
    return IssuedKey(row["id"], merchant_id, key.secret, key.prefix, key.last4)


async def revoke_api_key(conn: Conn, key_id: str) -> None:
    if await q.revoke_api_key(conn, key_id) is None:
        raise ApiKeyNotFound(f"no API key {key_id}")
