"""Merchant rules: validated registration data, status changes, API key issue and revocation.

Validation follows the Kazakh formats: BIN is 12 digits; an IBAN is `KZ`, two check digits and
16 alphanumerics (3-char bank code + 13-char account), valid under ISO 13616 mod-97; a BIC is
ISO 9362 (8 or 11 characters). The fee is basis points of the invoice plus a fixed tiyn part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway.merchants import queries as q
from gateway.merchants.apikeys import generate_key
from gateway.merchants.errors import ApiKeyNotFound, InvalidMerchant, MerchantNotFound
from gateway.merchants.ids import new_id
from settlement.db import Conn

_BIN = re.compile(r"^[0-9]{12}$")
_KZ_IBAN = re.compile(r"^KZ[0-9]{2}[0-9A-Z]{16}$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
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


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 == 1."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def normalize_iban(raw: str) -> str:
    iban = raw.replace(" ", "").upper()
    if not _KZ_IBAN.match(iban):
        raise InvalidMerchant("iban", "must be KZ, 2 check digits and 16 letters/digits")
    if not iban_checksum_ok(iban):
        raise InvalidMerchant("iban", "check digits do not match (mod-97)")
    return iban


def validate(data: MerchantInput) -> MerchantInput:
    """The input with normalised IBAN/BIC; raises InvalidMerchant naming the first bad field."""
    name = data.name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidMerchant("name", "must be 1..200 characters")
    if not _BIN.match(data.bin):
        raise InvalidMerchant("bin", "must be exactly 12 digits")
    bic = data.bic.strip().upper() if data.bic else None
    if bic is not None and not _BIC.match(bic):
        raise InvalidMerchant("bic", "must be an 8 or 11 character ISO 9362 code")
    if not 0 <= data.fee_bps <= MAX_FEE_BPS:
        raise InvalidMerchant("fee_bps", f"must be between 0 and {MAX_FEE_BPS}")
    if data.fee_fixed < 0:
        raise InvalidMerchant("fee_fixed", "must be zero or more tiyn")
    return MerchantInput(name, data.bin, normalize_iban(data.iban), bic,
                         data.fee_bps, data.fee_fixed)


async def create_merchant(conn: Conn, data: MerchantInput, *, demo: bool = False) -> Merchant:
    ok = validate(data)
    row = await q.insert_merchant(
        conn, (new_id("mch"), ok.name, ok.bin, ok.iban, ok.bic, ok.fee_bps, ok.fee_fixed, demo)
    )
    return Merchant.from_row(row)


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


async def issue_api_key(conn: Conn, merchant_id: str, pepper: str) -> IssuedKey:
    await get_merchant(conn, merchant_id)
    key = generate_key(pepper)
    row = await q.insert_api_key(
        conn, new_id("key"), merchant_id, key.key_hash, key.prefix, key.last4
    )
    return IssuedKey(row["id"], merchant_id, key.secret, key.prefix, key.last4)


async def revoke_api_key(conn: Conn, key_id: str) -> None:
    if await q.revoke_api_key(conn, key_id) is None:
        raise ApiKeyNotFound(f"no API key {key_id}")
