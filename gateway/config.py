"""Configuration from environment variables (documented in docs/configuration.md).

Every variable is read once, in `Settings.from_env`. A bad value raises `ConfigError` whose
message is one line naming the variable, so `make run` fails at start with a clear answer.
Domains add their fields here, each with a default that works on the embedded devnets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from gateway.admin.settings import AdminSettings, admin_settings
from gateway.chains.settings import ChainSettings, chain_settings
from gateway.devnet.timing import parse_block_time, parse_finality_blocks
from gateway.errors import ConfigError
from gateway.invoices.assets import ASSET_IDS, parse_asset_list
from gateway.payments.errors import InvalidExtendedKey
from gateway.payments.hd import DEV_ACCOUNT_XPUB, validate_xpub
from gateway.rates.rules import DEFAULT_FIXED_RATES, RateRule, parse_fixed_rates, parse_rules
from gateway.settlement_admin.settings import SettlementSettings, settlement_settings

T = TypeVar("T")

ENVIRONMENTS = ("dev", "prod")
LOG_FORMATS = ("console", "json")
DEV_API_KEY_PEPPER = "ccp-dev-pepper-not-secret"


def _int(name: str, raw: str, *, lo: int, hi: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _decimal(name: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name} must be a decimal number, got {raw!r}") from None
    if not value.is_finite():
        raise ConfigError(f"{name} must be finite, got {raw!r}")
    return value


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


class EnvReader:
    """Reads typed values from an environment mapping; errors name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str) -> str:
        return self.environ.get(name, default)

    def optional(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def int(self, name: str, default: int, *, lo: int = 0, hi: int = 2**63 - 1) -> int:
        raw = self.environ.get(name)
        return default if raw is None else _int(name, raw, lo=lo, hi=hi)

    def decimal(self, name: str, default: str) -> Decimal:
        return _decimal(name, self.environ.get(name, default))

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        return _choice(name, self.environ.get(name, default), choices)

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        return default if raw is None else _bool(name, raw)

    def parsed(self, name: str, default: str, parse: Callable[[str], T]) -> T:
        raw = self.environ.get(name, default)
        try:
            return parse(raw)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{name} is invalid: {exc}") from exc


def _dev_default(r: EnvReader, env: str, name: str, default: str) -> str:
    """`default` in dev; prod must set `name` because the dev default is public knowledge."""
    if env == "prod" and r.optional(name) is None:
        raise ConfigError(f"{name} must be set when GATEWAY_ENV=prod")
    return default


def _account_xpub(raw: str) -> str:
    try:
        return validate_xpub(raw)
    except InvalidExtendedKey as exc:
        raise ValueError(str(exc)) from exc


@dataclass(frozen=True)
class Settings:
    """All configuration of one gateway process."""

    env: str = "dev"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".data"))
    log_format: str = "console"
    log_level: str = "info"
    db_pool_size: int = 20
    max_body_bytes: int = 64 * 1024
    ledger_snapshot_seconds: int = 60
    # Merchant API (docs/configuration.md "Merchant API")
    api_key_pepper: str = DEV_API_KEY_PEPPER
    api_key_cache_ttl: int = 5
    api_rate_limit: int = 100
    api_rate_burst: int = 200
    idempotency_ttl: int = 86400
    invoice_max_amount: int = 10_000_000_000
    invoice_expires_in: int = 900
    invoice_max_expires_in: int = 7 * 86400
    invoice_monitoring_window: int = 86400
    invoice_late_accept_window: int = 0
    invoice_tolerance_bps: int = 0
    invoice_tolerance_tiyn: int = 100
    invoice_assets: tuple[str, ...] = ASSET_IDS
    bsc_account_xpub: str = DEV_ACCOUNT_XPUB
    solana_treasury: str | None = None
    bsc_usdt_contract: str | None = None
    bsc_usdc_contract: str | None = None
    solana_usdt_mint: str | None = None
    solana_usdc_mint: str | None = None
    solana_kzte_mint: str | None = None
    kzte_decimals: int = 2  # settlement.money.build_registry(kzte_decimals)
    # Webhooks and live status (docs/configuration.md "Webhooks", "Live status")
    webhook_worker: bool = True
    webhook_timeout: int = 10
    webhook_retry_base_ms: int = 10_000
    webhook_retry_cap: int = 6 * 3600
    webhook_retry_window: int = 3 * 86400
    webhook_concurrency: int = 16
    webhook_poll_interval_ms: int = 5_000
    webhook_max_endpoints: int = 16
    live_heartbeat: int = 15
    live_queue_size: int = 100
    live_retry_ms: int = 3_000
    checkout_default_lang: str = "ru"  # docs/configuration.md "Checkout page"
    checkout_redirect_delay: int = 5
    # FX rates (docs/configuration.md "Rates")
    rates_mode: str = "fixed"
    rates_fixed: tuple[tuple[str, Decimal], ...] = DEFAULT_FIXED_RATES
    rate_rules: tuple[RateRule, ...] = ()
    rates_refresh_seconds: int = 30
    rates_timeout_seconds: int = 10
    rates_nbk_url: str = "https://nationalbank.kz/rss/get_rates.cfm?fdate={date}"
    rates_binance_url: str = "https://api.binance.com"
    # Local devnets (docs/configuration.md "Devnets")
    bsc_devnet_port: int = 8545
    bsc_block_time: Decimal = Decimal("1")
    bsc_finality_blocks: int = 2
    bsc_rpc_url: str = "http://127.0.0.1:8545"
    solana_devnet_port: int = 8899
    solana_slot_ms: int = 400
    solana_finality_slots: int = 32
    solana_rpc_url: str = "http://127.0.0.1:8899"
    settlement: SettlementSettings = field(default_factory=SettlementSettings)
    chains: ChainSettings = field(default_factory=ChainSettings)  # "Chain watchers"
    admin: AdminSettings = field(default_factory=AdminSettings)

    @property
    def dev(self) -> bool:
        return self.env == "dev"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        r = EnvReader(os.environ if environ is None else environ)
        env = r.choice("GATEWAY_ENV", "dev", ENVIRONMENTS)
        port = r.int("GATEWAY_PORT", 8080, lo=1, hi=65535)
        host = r.text("GATEWAY_HOST", "127.0.0.1")
        return cls(
            env=env,
            host=host,
            port=port,
            public_url=r.text("GATEWAY_PUBLIC_URL", f"http://{host}:{port}").rstrip("/"),
            database_url=r.optional("DATABASE_URL"),
            data_dir=Path(r.text("GATEWAY_DATA_DIR", ".data")).absolute(),
            log_format=r.choice(
                "GATEWAY_LOG_FORMAT", "console" if env == "dev" else "json", LOG_FORMATS
            ),
            log_level=r.choice(
                "GATEWAY_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ),
            db_pool_size=r.int("GATEWAY_DB_POOL_SIZE", 20, lo=2, hi=500),
            max_body_bytes=r.int("GATEWAY_MAX_BODY_BYTES", 64 * 1024, lo=1024, hi=2**26),
            ledger_snapshot_seconds=r.int("LEDGER_SNAPSHOT_SECONDS", 60, lo=0, hi=86400),
            api_key_pepper=r.text(
                "API_KEY_PEPPER", _dev_default(r, env, "API_KEY_PEPPER", DEV_API_KEY_PEPPER)
            ),
            api_key_cache_ttl=r.int("API_KEY_CACHE_TTL", 5, lo=0, hi=300),
            api_rate_limit=r.int("API_RATE_LIMIT", 100, lo=1, hi=10**6),
            api_rate_burst=r.int("API_RATE_BURST", 200, lo=1, hi=10**6),
            idempotency_ttl=r.int("IDEMPOTENCY_TTL", 86400, lo=60, hi=30 * 86400),
            invoice_max_amount=r.int("INVOICE_MAX_AMOUNT", 10_000_000_000, lo=1, hi=2**62),
            invoice_expires_in=r.int("INVOICE_EXPIRES_IN", 900, lo=60, hi=30 * 86400),
            invoice_max_expires_in=r.int("INVOICE_MAX_EXPIRES_IN", 7 * 86400, lo=60,
                                         hi=30 * 86400),
            invoice_monitoring_window=r.int("INVOICE_MONITORING_WINDOW", 86400, lo=0,
                                            hi=30 * 86400),
            invoice_late_accept_window=r.int("INVOICE_LATE_ACCEPT_WINDOW", 0, lo=0,
                                             hi=30 * 86400),
            invoice_tolerance_bps=r.int("INVOICE_TOLERANCE_BPS", 0, lo=0, hi=10_000),
            invoice_tolerance_tiyn=r.int("INVOICE_TOLERANCE_TIYN", 100, lo=0, hi=2**62),
            invoice_assets=r.parsed("INVOICE_ASSETS", ",".join(ASSET_IDS), parse_asset_list),
            bsc_account_xpub=r.parsed(
                "BSC_ACCOUNT_XPUB",
                _dev_default(r, env, "BSC_ACCOUNT_XPUB", DEV_ACCOUNT_XPUB),
                _account_xpub,
            ),
            solana_treasury=r.optional("SOLANA_TREASURY"),
            bsc_usdt_contract=r.optional("BSC_USDT_CONTRACT"),
            bsc_usdc_contract=r.optional("BSC_USDC_CONTRACT"),
            solana_usdt_mint=r.optional("SOLANA_USDT_MINT"),
            solana_usdc_mint=r.optional("SOLANA_USDC_MINT"),
            solana_kzte_mint=r.optional("SOLANA_KZTE_MINT"),
            kzte_decimals=r.int("SOLANA_KZTE_DECIMALS", 2, lo=0, hi=18),
            webhook_worker=r.bool("WEBHOOK_WORKER", True),
            webhook_timeout=r.int("WEBHOOK_TIMEOUT", 10, lo=1, hi=60),
            webhook_retry_base_ms=r.int("WEBHOOK_RETRY_BASE_MS", 10_000, lo=1, hi=3_600_000),
            webhook_retry_cap=r.int("WEBHOOK_RETRY_CAP", 6 * 3600, lo=1, hi=86400),
            webhook_retry_window=r.int("WEBHOOK_RETRY_WINDOW", 3 * 86400, lo=1, hi=30 * 86400),
            webhook_concurrency=r.int("WEBHOOK_CONCURRENCY", 16, lo=1, hi=1000),
            webhook_poll_interval_ms=r.int("WEBHOOK_POLL_INTERVAL_MS", 5_000, lo=10,
                                           hi=600_000),
            webhook_max_endpoints=r.int("WEBHOOK_MAX_ENDPOINTS", 16, lo=1, hi=1000),
            live_heartbeat=r.int("LIVE_HEARTBEAT", 15, lo=1, hi=300),
            live_queue_size=r.int("LIVE_QUEUE_SIZE", 100, lo=1, hi=100_000),
            live_retry_ms=r.int("LIVE_RETRY_MS", 3_000, lo=100, hi=600_000),
            checkout_default_lang=r.choice("CHECKOUT_DEFAULT_LANG", "ru", ("kk", "ru", "en")),
            checkout_redirect_delay=r.int("CHECKOUT_REDIRECT_DELAY", 5, lo=0, hi=600),
            rates_mode=r.choice("GATEWAY_RATES_MODE", "fixed" if env == "dev" else "live",
                                ("fixed", "live")),
            rates_fixed=r.parsed("GATEWAY_RATES_FIXED", "", parse_fixed_rates),
            rate_rules=r.parsed("GATEWAY_RATE_RULES", "", parse_rules),
            rates_refresh_seconds=r.int("GATEWAY_RATES_REFRESH_SECONDS", 30, lo=1, hi=3600),
            rates_timeout_seconds=r.int("GATEWAY_RATES_TIMEOUT_SECONDS", 10, lo=1, hi=120),
            rates_nbk_url=r.text("GATEWAY_NBK_URL",
                                 "https://nationalbank.kz/rss/get_rates.cfm?fdate={date}"),
            rates_binance_url=r.text("GATEWAY_BINANCE_URL", "https://api.binance.com"),
            bsc_devnet_port=r.int("BSC_DEVNET_PORT", 8545, lo=1, hi=65535),
            bsc_block_time=r.parsed("BSC_BLOCK_TIME", "1", parse_block_time),
            bsc_finality_blocks=r.parsed("BSC_FINALITY_BLOCKS", "2", parse_finality_blocks),
            bsc_rpc_url=r.text(
                "BSC_RPC_URL", f"http://127.0.0.1:{r.int('BSC_DEVNET_PORT', 8545)}"
            ).rstrip("/"),
            solana_devnet_port=r.int("SOLANA_DEVNET_PORT", 8899, lo=1, hi=65535),
            solana_slot_ms=r.int("SOLANA_SLOT_MS", 400, lo=10, hi=10_000),
            solana_finality_slots=r.int("SOLANA_FINALITY_SLOTS", 32, lo=1, hi=1024),
            solana_rpc_url=r.text(
                "SOLANA_RPC_URL", f"http://127.0.0.1:{r.int('SOLANA_DEVNET_PORT', 8899)}"
            ).rstrip("/"),
            settlement=settlement_settings(r, env),
            chains=chain_settings(r, env),
            admin=admin_settings(r),
        )
