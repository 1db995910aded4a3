"""Settlement settings (docs/configuration.md "Settlement"), one nested value of `Settings`.

Read by `gateway.config.Settings.from_env` through `settlement_settings(reader, env)`. This
module imports nothing from `gateway.config` at run time (it is imported by it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import ConfigError
from settlement.payouts.bin import make_bin
from settlement.payouts.errors import PayoutError
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.pain001 import Party, PurposeCodes, validate_party

if TYPE_CHECKING:
    from gateway.config import EnvReader

# Public demo values (valid checksums) so `make run` can export a file out of the box.
DEV_DEBTOR = Party(name="CryptoCity Zone Operator LLP", iban=make_kz_iban("601", "0000000000001"),
                   bic="HSBKKZKX", bin=make_bin("19014000001"))


@dataclass(frozen=True)
class SettlementSettings:
    admin_token: str | None = None
    zone: str = "Asia/Almaty"
    cutoff: time = time(0)
    lookback_days: int = 7
    debtor: Party = DEV_DEBTOR
    purpose: PurposeCodes = field(default_factory=PurposeCodes)
    payout_dir: Path | None = None
    rpc_timeout: int = 10
    address_days: int = 7


def _cutoff(raw: str) -> time:
    hours, sep, minutes = raw.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"expected HH:MM, got {raw!r}")
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return time(0)
    return time(h, m)


def _zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {raw!r}") from exc
    return raw


def _debtor(r: EnvReader, env: str) -> Party:
    names = ("SETTLEMENT_DEBTOR_NAME", "SETTLEMENT_DEBTOR_IBAN", "SETTLEMENT_DEBTOR_BIC",
             "SETTLEMENT_DEBTOR_BIN")
    given = [r.optional(n) for n in names]
    if env == "prod" and None in given:
        missing = [n for n, v in zip(names, given, strict=True) if v is None]
        raise ConfigError(f"{', '.join(missing)} must be set when GATEWAY_ENV=prod")
    defaults = (DEV_DEBTOR.name, DEV_DEBTOR.iban, DEV_DEBTOR.bic, DEV_DEBTOR.bin)
    name, iban, bic, bin_ = (v or d for v, d in zip(given, defaults, strict=True))
    try:
        return validate_party(Party(name, iban, bic, bin_), role="SETTLEMENT_DEBTOR")
    except PayoutError as exc:
        raise ConfigError(str(exc)) from exc


def settlement_settings(r: EnvReader, env: str) -> SettlementSettings:
    """All SETTLEMENT_* variables and GATEWAY_ADMIN_TOKEN; errors name the variable."""
    try:
        purpose = PurposeCodes(r.text("SETTLEMENT_KNP", "859"), r.text("SETTLEMENT_KBE", "17"))
    except PayoutError as exc:
        raise ConfigError(f"SETTLEMENT_KNP/SETTLEMENT_KBE: {exc}") from exc
    payout_dir = r.optional("SETTLEMENT_PAYOUT_DIR")
    return SettlementSettings(
        admin_token=r.optional("GATEWAY_ADMIN_TOKEN"),
        zone=r.parsed("SETTLEMENT_TIMEZONE", "Asia/Almaty", _zone),
        cutoff=r.parsed("SETTLEMENT_CUTOFF", "00:00", _cutoff),
        lookback_days=r.int("SETTLEMENT_LOOKBACK_DAYS", 7, lo=1, hi=90),
        debtor=_debtor(r, env),
        purpose=purpose,
        payout_dir=Path(payout_dir).absolute() if payout_dir else None,
        rpc_timeout=r.int("RECONCILE_RPC_TIMEOUT", 10, lo=1, hi=300),
        address_days=r.int("RECONCILE_ADDRESS_DAYS", 7, lo=0, hi=3_650),
    )
