"""The one settings schema: every environment variable declared once, here.

Each setting is a dataclass field built by `setting(...)`: its variable name, its default (as
the text one would put in the environment), how the text is parsed and checked (which also
gives the bounds), its unit and a one-line doc. `Settings.from_env` reads them all;
`configuration_docs()` renders docs/configuration.md from the same declarations
(`python -m gateway.config > docs/configuration.md`; a test fails when the file drifts).

A bad value raises `ConfigError` whose message is one line naming the variable, so a process
fails at start with a clear answer. Durations are seconds everywhere.

Settings are grouped into sections (`settings.webhooks`, `.live`, `.checkout`, `.rates`,
`.devnet`, `.chains`, `.settlement`, `.admin` are their own types) so a domain can be handed
just its section. This module imports only
leaves: gateway.errors and pure parsers; domains import their section type from here.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import ConfigError
from gateway.payments.errors import InvalidExtendedKey
from gateway.payments.hd import DEV_ACCOUNT_XPUB, validate_xpub
from gateway.rate_rules import RateRule, parse_fixed_rates, parse_rules
from settlement.assets import ASSET_IDS, parse_asset_list
from settlement.payouts.bin import make_bin
from settlement.payouts.errors import PayoutError
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.pain001 import Party, PurposeCodes, validate_party

ENVIRONMENTS = ("dev", "prod")
LOG_FORMATS = ("console", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
LANGUAGES = ("kk", "ru", "en")
RATES_MODES = ("fixed", "live")
KNOWN_CHAINS = ("bsc", "solana")
FINALITY_MODES = ("tag", "depth")
DEV_API_KEY_PEPPER = "ccp-dev-pepper-not-secret"
# 32 public bytes: dev only (prod refuses this value and requires its own key).
DEV_WEBHOOK_SECRET_KEY = base64.b64encode(b"ccp-dev-webhook-key-not-secret!!").decode()
# Public demo values (valid checksums) so `make run` can export a payout file out of the box.
DEV_DEBTOR = Party(name="CryptoCity Zone Operator LLP", iban=make_kz_iban("601", "0000000000001"),
                   bic="HSBKKZKX", bin=make_bin("19014000001"))
# The local Solana devnet's treasury (gateway/devnet/solana): its key derives from a public seed,
# so production refuses it as SOLANA_TREASURY.
DEVNET_SOLANA_TREASURY = "x8qpcRDeWxHpMVWggWgAzf9sbsuRBx9Y5DN5vB1UKPc"
# The refund hot wallets of `make run` (gateway.refunds.sending.signers): keys derived from
# public seeds (sha256 of "cryptocity-pay/refund-wallet/<chain>"), so production refuses them.
DEV_REFUND_BSC_KEY = "0xdfe9f7ea10bf6b1d828887aa8f95cd4b9c7b59a1836ca557ebc855b7161bec67"
DEV_REFUND_SOLANA_KEY = ("2MehBJYG4xQYJTR3D41XoH5EsU4ikSfW7CKavcQXym94kWVwdxCnUNmLNrgpiQZqPWAx"
                         "Ake1SvnGSDWRhh9i3ruA")
REFUND_SIGNERS = ("hot", "offline")
# Variables renamed when every duration became seconds: still setting one is refused at start
# (it would otherwise be ignored silently and the default used).
RENAMED = {
    "CHAIN_RPC_TIMEOUT_MS": "CHAIN_RPC_TIMEOUT",
    "CHAIN_BACKOFF_MS": "CHAIN_BACKOFF",
    "CHAIN_BACKOFF_CAP_MS": "CHAIN_BACKOFF_CAP",
    "WATCHER_LEADER_POLL_MS": "WATCHER_LEADER_POLL",
    "LIFECYCLE_SWEEP_MS": "LIFECYCLE_SWEEP_INTERVAL",
    "BSC_POLL_INTERVAL_MS": "BSC_POLL_INTERVAL",
    "SOLANA_POLL_INTERVAL_MS": "SOLANA_POLL_INTERVAL",
    "WEBHOOK_RETRY_BASE_MS": "WEBHOOK_RETRY_BASE",
    "WEBHOOK_POLL_INTERVAL_MS": "WEBHOOK_POLL_INTERVAL",
    "LIVE_RETRY_MS": "LIVE_RETRY",
    "SOLANA_SLOT_MS": "SOLANA_SLOT_TIME",
    "ADMIN_LOCKOUT_MINUTES": "ADMIN_LOCKOUT",
    "ADMIN_SESSION_IDLE_MINUTES": "ADMIN_SESSION_IDLE",
    "ADMIN_SESSION_MAX_HOURS": "ADMIN_SESSION_MAX",
}
# Variables whose feature is gone: still setting one is refused at start, naming what
# replaced it (a silently ignored credential would look like protection that is not there).
RETIRED = {
    "GATEWAY_ADMIN_TOKEN": "per-user admin API tokens (python -m gateway admin token create)",
}
VAR = "setting"
SECTION = "section"
DAY = 86400


# -- parsers: (variable, text) -> value; each raises ConfigError naming the variable ----------
@dataclass(frozen=True)
class Integer:
    lo: int = 0
    hi: int = 2**63 - 1
    even: bool = False

    def __call__(self, name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if not self.lo <= value <= self.hi:
            raise ConfigError(f"{name} must be between {self.lo} and {self.hi}, got {value}")
        if self.even and value % 2:
            raise ConfigError(f"{name} must be an even integer, got {value}")
        return value

    @property
    def bounds(self) -> str:
        return f"{self.lo}..{self.hi}" + (", even" if self.even else "")


@dataclass(frozen=True)
class Seconds:
    """A duration in seconds, fractions allowed; kept as Decimal (exact, no float drift)."""

    lo: Decimal
    hi: Decimal

    def __call__(self, name: str, raw: str) -> Decimal:
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
        if not value.is_finite() or not self.lo <= value <= self.hi:
            raise ConfigError(f"{name} must be between {self.lo} and {self.hi} seconds, "
                              f"got {raw!r}")
        return value

    @property
    def bounds(self) -> str:
        return f"{self.lo}..{self.hi}"


def seconds(lo: str, hi: str) -> Seconds:
    return Seconds(Decimal(lo), Decimal(hi))


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    def __call__(self, name: str, raw: str) -> str:
        if raw not in self.choices:
            raise ConfigError(f"{name} must be one of {', '.join(self.choices)}, got {raw!r}")
        return raw

    @property
    def bounds(self) -> str:
        return " / ".join(self.choices)


def boolean(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def text(name: str, raw: str) -> str:
    return raw


def url(name: str, raw: str) -> str:
    return raw.rstrip("/")


def aes_key(name: str, raw: str) -> bytes:
    """32 bytes, written as base64 (`openssl rand -base64 32`)."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError as exc:
        raise ConfigError(f"{name} must be 32 bytes in base64") from exc
    if len(key) != 32:
        raise ConfigError(f"{name} must be 32 bytes in base64, got {len(key)} bytes")
    return key


def optional(name: str, raw: str) -> str | None:
    return raw.strip() or None


def absolute_path(name: str, raw: str) -> Path:
    return Path(raw).absolute()


def optional_path(name: str, raw: str) -> Path | None:
    return Path(raw.strip()).absolute() if raw.strip() else None


@dataclass(frozen=True)
class Parsed:
    """A domain parser `text -> value` raising ValueError (or KeyError) on bad text."""

    parse: Callable[[str], Any]
    bounds: str = ""

    def __call__(self, name: str, raw: str) -> Any:
        try:
            return self.parse(raw)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{name} is invalid: {exc}") from exc


def _account_xpub(raw: str) -> str:
    try:
        return validate_xpub(raw)
    except InvalidExtendedKey as exc:
        raise ValueError(str(exc)) from exc


def parse_chains(raw: str) -> tuple[str, ...]:
    chains = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    unknown = [c for c in chains if c not in KNOWN_CHAINS]
    if unknown:
        raise ValueError(f"unknown chain(s) {', '.join(unknown)}; known: "
                         f"{', '.join(KNOWN_CHAINS)}")
    return chains


def parse_start_block(raw: str) -> int | None:
    value = raw.strip().lower()
    if value in ("", "latest"):
        return None
    if not value.isdigit():
        raise ValueError(f"must be 'latest' or a block number, got {raw!r}")
    return int(value)


def parse_cutoff(raw: str) -> time:
    hours, sep, minutes = raw.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"expected HH:MM, got {raw!r}")
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return time(0)
    return time(h, m)


def parse_zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {raw!r}") from exc
    return raw


def parse_dust_floors(raw: str) -> tuple[tuple[str, int], ...]:
    """`ASSET=base units,…`: payments below an asset's floor are dust (an unknown asset or a
    negative floor is refused; an asset not named has no floor)."""
    floors: dict[str, int] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        asset, sep, units = part.partition("=")
        if not sep or asset.strip() not in ASSET_IDS or not units.strip().isdigit():
            raise ValueError(f"expected ASSET=base units with ASSET one of "
                             f"{', '.join(ASSET_IDS)}, got {part!r}")
        floors[asset.strip()] = int(units)
    return tuple(floors.items())


# -- declaring a setting ---------------------------------------------------------------------
Parser = Callable[[str, str], Any]
_TEMPLATE = re.compile(r"\{([A-Z0-9_]+)\}")
_RAW_DEFAULTS: dict[str, str] = {}


@dataclass(frozen=True)
class Var:
    """One environment variable: everything the reader and the docs need to know."""

    section: str
    name: str
    default: str  # as written in the environment; `{OTHER_VAR}` is replaced by its value
    parse: Parser
    doc: str
    unit: str = ""
    dev: str | None = None  # the default in dev, when it differs
    prod: str | None = None  # the default in prod, when it differs
    prod_required: bool = False  # the dev default is public knowledge: prod must set it
    public: str | None = None  # a publicly known value (a dev default) prod refuses
    https_in_prod: bool = False  # prod refuses a value that is not an https URL
    shown: str | None = None  # the default as the docs show it, when the text would mislead

    def raw_default(self, env: str, environ: Mapping[str, str]) -> str:
        raw = {"dev": self.dev, "prod": self.prod}.get(env) or self.default
        return _TEMPLATE.sub(lambda m: environ.get(m[1], _RAW_DEFAULTS[m[1]]), raw)

    def read(self, env: str, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.name)
        if env == "prod":
            self.refuse_in_prod(raw)
        return self.parse(self.name, self.raw_default(env, environ) if raw is None else raw)

    def refuse_in_prod(self, raw: str | None) -> None:
        """Production refuses to start on a missing secret, a public dev value or plain http."""
        value = (raw or "").strip()
        if self.prod_required and not value:
            raise ConfigError(f"{self.name} must be set when GATEWAY_ENV=prod")
        if self.public is not None and value == self.public:
            raise ConfigError(f"{self.name} is a public dev value; set your own when "
                              "GATEWAY_ENV=prod")
        if self.https_in_prod and not value.lower().startswith("https://"):
            raise ConfigError(f"{self.name} must be an https URL when GATEWAY_ENV=prod, "
                              f"got {value!r}")


def setting(section: str, name: str, default: str, parse: Parser, doc: str, *, unit: str = "",
            dev: str | None = None, prod: str | None = None, prod_required: bool = False,
            public: str | None = None, https_in_prod: bool = False,
            shown: str | None = None) -> Any:
    """A dataclass field for one variable; its Python default is `default` parsed."""
    var = Var(section, name, default, parse, doc, unit, dev, prod, prod_required,
              public, https_in_prod, shown)
    _RAW_DEFAULTS[name] = default
    value = var.parse(name, var.raw_default("", {}))
    return field(default=value, metadata={VAR: var})


def section(cls: type[Any]) -> Any:
    """A nested section field: its own settings type, read with the same environment."""
    return field(default_factory=cls, metadata={SECTION: cls})


def read_section(cls: type[Any], env: str, environ: Mapping[str, str]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if SECTION in f.metadata:
            values[f.name] = read_section(f.metadata[SECTION], env, environ)
        else:
            values[f.name] = f.metadata[VAR].read(env, environ)
    return cls(**values)


def declared(cls: type[Any]) -> Iterator[Var]:
    """Every variable of a settings type, nested sections included, in declaration order."""
    for f in dataclasses.fields(cls):
        if SECTION in f.metadata:
            yield from declared(f.metadata[SECTION])
        else:
            yield f.metadata[VAR]


SECONDS = "seconds"


CORE, RATES, PAYMENTS, API = "Core", "Rates", "Payment requests", "Merchant API"
WEBHOOKS, LIVE, CHECKOUT, MONEY = "Webhooks", "Live status", "Checkout page", "Money and ledger"
DEVNETS = "Devnets"


# -- sections --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainSettings:
    """Watchers and the lifecycle sweeper (`settings.chains`)."""

    S = "Chain watchers"
    # Off when Settings is built directly (tests, tools); from_env turns it on in dev.
    watchers: bool = setting(
        S, "GATEWAY_WATCHERS", "off", boolean, dev="on", doc="Run the chain watchers and the "
        "expiry / monitoring-window sweeper inside this app process.")
    watch_chains: tuple[str, ...] = setting(
        S, "GATEWAY_WATCH_CHAINS", "bsc,solana", Parsed(parse_chains, "bsc, solana"),
        "Chains watched in the app, comma-separated (`bsc`, `solana`).")
    rpc_timeout: Decimal = setting(
        S, "CHAIN_RPC_TIMEOUT", "10", seconds("0.1", "120"),
        "Timeout of one JSON-RPC request.", unit=SECONDS)
    rpc_retries: int = setting(
        S, "CHAIN_RPC_RETRIES", "3", Integer(1, 20), "Attempts per request on HTTP errors, "
        "timeouts, malformed answers; after that the whole step is retried with backoff.")
    backoff: Decimal = setting(
        S, "CHAIN_BACKOFF", "0.2", seconds("0.01", "60"),
        "First wait after a failed request or step; doubles per failure.", unit=SECONDS)
    backoff_cap: Decimal = setting(
        S, "CHAIN_BACKOFF_CAP", "10", seconds("0.01", "600"),
        "Longest wait between retries.", unit=SECONDS)
    leader_poll: Decimal = setting(
        S, "WATCHER_LEADER_POLL", "1", seconds("0.05", "60"), "How often a standby tries "
        "the leader lock and the leader checks its lock connection: the takeover time after a "
        "leader dies.", unit=SECONDS)
    lag_limit: Decimal = setting(
        S, "CHAIN_LAG_LIMIT", "60", seconds("1", "86400"), "A chain is `lagging` (its assets "
        "withdrawn from new invoices) once its watcher has not been at the node's head, the "
        "node's head has not advanced, or no watcher has reported, for this long.",
        unit=SECONDS)
    status_heartbeat: Decimal = setting(
        S, "CHAIN_STATUS_HEARTBEAT", "2", seconds("0.05", "60"), "How often the active "
        "watcher stores its chain's status (head, scanned, finalized) for `GET /v1/status`.",
        unit=SECONDS)
    watched_reload_s: int = setting(
        S, "WATCHED_RELOAD_SECONDS", "60", Integer(1, 3_600), "Full reload of the watched set "
        "(drops finished invoices; new ones arrive at once through LISTEN).", unit=SECONDS)
    sweep_interval: Decimal = setting(
        S, "LIFECYCLE_SWEEP_INTERVAL", "1", seconds("0.05", "600"),
        "Interval of the expiry / monitoring-window sweep.", unit=SECONDS)
    bsc_poll_interval: Decimal = setting(
        S, "BSC_POLL_INTERVAL", "0.5", seconds("0.01", "60"),
        "Pause between rounds when the watcher is at the head.", unit=SECONDS)
    bsc_finality: str = setting(
        S, "BSC_FINALITY", "tag", Choice(FINALITY_MODES), "`tag`: the node's `finalized` block "
        "(falls back to depth when the node does not know the tag); `depth`: "
        "`head - BSC_CONFIRMATIONS`.")
    bsc_confirmations: int = setting(
        S, "BSC_CONFIRMATIONS", "15", Integer(0, 10_000),
        "Finality depth for `depth` mode and the fallback.", unit="blocks")
    bsc_start_block: int | None = setting(
        S, "BSC_START_BLOCK", "latest", Parsed(parse_start_block, "`latest` or a number"),
        "Where a watcher with no cursor yet starts; afterwards it always resumes from its "
        "cursor.")
    bsc_log_range: int = setting(
        S, "BSC_LOG_RANGE", "2000", Integer(1, 100_000), "Largest `eth_getLogs` block range; "
        "halves when the node refuses a range, grows back after successes.", unit="blocks")
    bsc_block_batch: int = setting(
        S, "BSC_BLOCK_BATCH", "50", Integer(1, 1_000),
        "Blocks per step (one batched JSON-RPC request) while catching up.", unit="blocks")
    bsc_trace_internal: bool = setting(
        S, "BSC_TRACE_INTERNAL", "true", boolean, "Trace every block's calls "
        "(`debug_traceBlockByNumber` with the call tracer) to find BNB that contracts forward "
        "to deposit addresses (internal transactions); the node must serve the `debug` "
        "namespace. `false` leaves such payments unseen.")
    bsc_block_history: int = setting(
        S, "BSC_BLOCK_HISTORY", "256", Integer(16, 100_000),
        "Block hashes kept below finality for reorg walk-back.", unit="blocks")
    recent_blocks: int = setting(
        S, "CHAIN_RECENT_BLOCKS", "128", Integer(1, 10_000), "Scanned blocks whose transfers "
        "(to any address) stay in memory, so an invoice whose `invoice.created` notice arrives "
        "after its payment's block was scanned is still matched (about a minute of BNB Chain "
        "mainnet at 128; docs/watchers.md).", unit="blocks")
    solana_poll_interval: Decimal = setting(
        "Solana watcher", "SOLANA_POLL_INTERVAL", "0.5", seconds("0.01", "60"),
        "Pause between rounds when a round found nothing new; a round that processed "
        "signatures is followed at once.", unit=SECONDS)
    solana_tx_batch: int = setting(
        "Solana watcher", "SOLANA_TX_BATCH", "50", Integer(1, 1_000), "`getTransaction` "
        "requests per JSON-RPC batch (1 sends no batches, for providers that refuse them).")
    solana_first_start: int = setting(
        "Solana watcher", "SOLANA_FIRST_START_SIGNATURES", "1000", Integer(1, 1_000),
        "On the very first start (no cursor yet), how many of each followed account's newest "
        "signatures are read back; later starts resume from the stored cursors.")
    solana_finality_check_interval: Decimal = setting(
        "Solana watcher", "SOLANA_FINALITY_CHECK_INTERVAL", "10", seconds("0.05", "3600"),
        "How often, at the longest, the watcher asks the node whether the transactions it "
        "treated as final are still there (one getSignatureStatuses); a fork below finality "
        "halts the chain. It also asks whenever the node's finalized slot goes backwards.",
        unit=SECONDS)


@dataclass(frozen=True)
class RefundSendingSettings:
    """The refund sender and its signers (`settings.refund_sending`, gateway.refunds.sending)."""

    S = "Refund sending"
    # Off when Settings is built directly (tests, tools); from_env turns it on in dev.
    sender: bool = setting(
        S, "GATEWAY_REFUND_SENDER", "off", boolean, dev="on", doc="Run the refund sender "
        "inside this app process (one is active across processes; `python -m gateway refunds "
        "sender` runs it on its own).")
    signer: str = setting(
        S, "REFUND_SIGNER", "offline", Choice(REFUND_SIGNERS), dev="hot", doc="`hot`: the "
        "gateway signs refunds with the keys below; `offline`: it builds the unsigned "
        "transaction and the operator submits the signed bytes (`python -m gateway refunds "
        "unsigned|submit`, or the console).")
    interval: Decimal = setting(
        S, "REFUND_SENDER_INTERVAL", "1", seconds("0.05", "600"),
        "Pause between the sender's passes over the refunds being sent.", unit=SECONDS)
    funds_recheck_cap: Decimal = setting(
        S, "REFUND_FUNDS_RECHECK_CAP", "60", seconds("0.05", "3600"), "A refund whose hot "
        "wallet is short (`pending_reason: insufficient_funds`) is checked again after "
        "REFUND_SENDER_INTERVAL, doubling per check up to this.", unit=SECONDS)
    underfunded_fail_after: Decimal = setting(
        S, "REFUND_UNDERFUNDED_FAIL_AFTER", "0", seconds("0", "2592000"), "A refund that "
        "nothing was signed for yet and whose wallet stayed short this long fails "
        "(`refund.failed`, its money refundable again); 0: it waits until the wallet is "
        "funded.", unit=SECONDS)
    bsc_key: str | None = setting(
        S, "REFUND_BSC_KEY", "", optional, dev=DEV_REFUND_BSC_KEY, public=DEV_REFUND_BSC_KEY,
        shown="unset", doc="Hot wallet private key on BNB Chain (hex); or REFUND_BSC_KEY_FILE.")
    bsc_key_file: Path | None = setting(
        S, "REFUND_BSC_KEY_FILE", "", optional_path,
        "File holding the BNB Chain hot wallet key (hex); wins over REFUND_BSC_KEY.")
    bsc_address: str | None = setting(
        S, "REFUND_BSC_ADDRESS", "", optional, "The BNB Chain address offline signatures must "
        "come from (offline mode; in hot mode the key's address).")
    solana_key: str | None = setting(
        S, "REFUND_SOLANA_KEY", "", optional, dev=DEV_REFUND_SOLANA_KEY,
        public=DEV_REFUND_SOLANA_KEY, shown="unset", doc="Hot wallet keypair on Solana "
        "(base58 of the 64 bytes); or REFUND_SOLANA_KEY_FILE.")
    solana_key_file: Path | None = setting(
        S, "REFUND_SOLANA_KEY_FILE", "", optional_path, "File holding the Solana hot wallet "
        "keypair (a `solana-keygen` JSON array, or base58); wins over REFUND_SOLANA_KEY.")
    solana_address: str | None = setting(
        S, "REFUND_SOLANA_ADDRESS", "", optional, "The Solana address offline signatures must "
        "come from (offline mode; in hot mode the keypair's).")


@dataclass(frozen=True)
class SettlementSettings:
    """Settlement and reconciliation (`settings.settlement`)."""

    S = "Settlement"
    zone: str = setting(S, "SETTLEMENT_TIMEZONE", "Asia/Almaty", Parsed(parse_zone),
                        "Zone of the daily cut-off (IANA name).")
    cutoff: time = setting(
        S, "SETTLEMENT_CUTOFF", "00:00", Parsed(parse_cutoff, "HH:MM"), "Local time closing "
        "each business day; `00:00`/`24:00` = midnight at the end of the day. With `18:00`, a "
        "sale at 19:00 on 10 June belongs to 11 June.")
    lookback_days: int = setting(
        S, "SETTLEMENT_LOOKBACK_DAYS", "7", Integer(1, 90), "How far back (by the entries' "
        "effective date) a close looks for payable entries not yet in a batch.", unit="days")
    debtor_name: str = setting(
        S, "SETTLEMENT_DEBTOR_NAME", DEV_DEBTOR.name, text, prod_required=True,
        doc="The operator's legal name in pain.001 files (the four debtor variables are "
        "required in prod).", shown="demo operator")
    debtor_iban: str = setting(
        S, "SETTLEMENT_DEBTOR_IBAN", DEV_DEBTOR.iban, text, prod_required=True,
        doc="The operator's KZ IBAN (KZ, 20 characters, mod-97).", shown="demo KZ IBAN")
    debtor_bic: str = setting(S, "SETTLEMENT_DEBTOR_BIC", DEV_DEBTOR.bic, text,
                              "The operator's bank BIC.", prod_required=True)
    debtor_bin: str = setting(
        S, "SETTLEMENT_DEBTOR_BIN", DEV_DEBTOR.bin, text, prod_required=True,
        doc="The operator's BIN (12 digits, control digit checked).", shown="demo BIN")
    knp: str = setting(S, "SETTLEMENT_KNP", "859", text,
                       "KNP payment-purpose code written in each transfer's remittance line.")
    kbe: str = setting(S, "SETTLEMENT_KBE", "17", text,
                       "KBe beneficiary code (residency digit + economic sector digit).")
    dust_floors: tuple[tuple[str, int], ...] = setting(
        S, "EXCEPTIONS_DUST_FLOORS",
        "BNB=1000000000000,USDT_BSC=10000000000000000,USDC_BSC=10000000000000000,SOL=10000,"
        "USDT_SOL=10000,USDC_SOL=10000,KZTE=1",
        Parsed(parse_dust_floors, "ASSET=base units,…"), "Payments below their asset's floor "
        "(in base units) are dust: they never change an invoice's status and are listed in the "
        "exceptions queue as one line per address. An asset not named has no floor.")
    payout_dir: Path | None = setting(
        S, "SETTLEMENT_PAYOUT_DIR", "", optional_path, "Where `settlement export` writes "
        "pain.001 files (also kept in `payout_files`).", shown="`<data dir>/payouts`")
    rpc_timeout: int = setting(
        S, "RECONCILE_RPC_TIMEOUT", "10", Integer(1, 300), "Per JSON-RPC call when "
        "reconciliation asks the chains for balances.", unit=SECONDS)
    address_days: int = setting(
        S, "RECONCILE_ADDRESS_DAYS", "7", Integer(0, 3_650), "Reconciliation also asks the "
        "node about deposit addresses of invoices created in this many days, even without a "
        "recorded transfer.", unit="days")
    refund_auto_approve_max: int = setting(
        S, "REFUND_AUTO_APPROVE_MAX", "0", Integer(0, 10**15), dev="1000000",
        doc="Refunds up to this many tiyn are sent at once; a larger one waits in the console "
        "for a zone administrator to approve or reject it (0: every refund waits).",
        unit="tiyn")

    def __post_init__(self) -> None:
        # The composite values are checked as soon as the section exists, naming the variables.
        self.debtor  # noqa: B018
        self.purpose  # noqa: B018

    @property
    def debtor(self) -> Party:
        party = Party(self.debtor_name, self.debtor_iban, self.debtor_bic, self.debtor_bin)
        try:
            return validate_party(party, role="SETTLEMENT_DEBTOR")
        except PayoutError as exc:
            raise ConfigError(str(exc)) from exc

    @property
    def purpose(self) -> PurposeCodes:
        try:
            return PurposeCodes(self.knp, self.kbe)
        except PayoutError as exc:
            raise ConfigError(f"SETTLEMENT_KNP/SETTLEMENT_KBE: {exc}") from exc


@dataclass(frozen=True)
class AdminSettings:
    """The zone administrators' console (`settings.admin`)."""

    S = "Admin console"
    lockout_attempts: int = setting(S, "ADMIN_LOCKOUT_ATTEMPTS", "5", Integer(1, 100),
                                    "Consecutive wrong passwords that lock an account.")
    lockout_seconds: int = setting(
        S, "ADMIN_LOCKOUT", "900", Integer(60, 7 * DAY), "How long a locked account refuses "
        "every sign-in, even with the right password; `admin set-password` unlocks at once.",
        unit=SECONDS)
    session_idle_seconds: int = setting(
        S, "ADMIN_SESSION_IDLE", "1800", Integer(60, DAY),
        "A session unused this long expires; each request slides it forward.", unit=SECONDS)
    session_max_seconds: int = setting(
        S, "ADMIN_SESSION_MAX", "43200", Integer(60, 7 * DAY),
        "A session ends this long after sign-in however busy it is.", unit=SECONDS)

    @property
    def lockout(self) -> timedelta:
        return timedelta(seconds=self.lockout_seconds)

    @property
    def session_idle(self) -> timedelta:
        return timedelta(seconds=self.session_idle_seconds)

    @property
    def session_max(self) -> timedelta:
        return timedelta(seconds=self.session_max_seconds)




@dataclass(frozen=True)
class WebhookSettings:
    """Webhook delivery (`settings.webhooks`)."""

    worker: bool = setting(
        WEBHOOKS, "WEBHOOK_WORKER", "true", boolean, "Run a delivery worker in this process "
        "(workers share the outbox with `FOR UPDATE SKIP LOCKED`); `false` on API-only "
        "processes.")
    timeout: int = setting(WEBHOOKS, "WEBHOOK_TIMEOUT", "10", Integer(1, 60),
                                   "Time one delivery attempt may take (connect + response).",
                                   unit=SECONDS)
    retry_base: Decimal = setting(
        WEBHOOKS, "WEBHOOK_RETRY_BASE", "10", seconds("0.001", "3600"), "Wait after the first "
        "failed attempt; each further failure waits 3x longer (+-20 % jitter).", unit=SECONDS)
    retry_cap: int = setting(WEBHOOKS, "WEBHOOK_RETRY_CAP", str(6 * 3600),
                                     Integer(1, DAY), "Longest wait between two attempts.",
                                     unit=SECONDS)
    retry_window: int = setting(
        WEBHOOKS, "WEBHOOK_RETRY_WINDOW", str(3 * DAY), Integer(1, 30 * DAY),
        "After this, a delivery that still fails is marked `failed`.", unit=SECONDS)
    concurrency: int = setting(WEBHOOKS, "WEBHOOK_CONCURRENCY", "16", Integer(1, 1000),
                                       "Attempts in flight per worker.")
    poll_interval: Decimal = setting(
        WEBHOOKS, "WEBHOOK_POLL_INTERVAL", "5", seconds("0.01", "600"), "Fallback poll for due "
        "retries; new events and redeliveries wake the worker at once through NOTIFY.",
        unit=SECONDS)
    max_endpoints: int = setting(
        WEBHOOKS, "WEBHOOK_MAX_ENDPOINTS", "16", Integer(1, 1000), "Webhook endpoints one "
        "merchant may register in each mode (test, live); one more is 400 "
        "`too_many_endpoints`.")
    secret_key: bytes = setting(
        WEBHOOKS, "WEBHOOK_SECRET_KEY", DEV_WEBHOOK_SECRET_KEY, aes_key, "Key (32 bytes, "
        "base64: `openssl rand -base64 32`) that encrypts webhook signing secrets at rest "
        "(AES-256-GCM). Changing it makes stored secrets unreadable.", prod_required=True,
        public=DEV_WEBHOOK_SECRET_KEY, shown="a public dev value")


@dataclass(frozen=True)
class LiveSettings:
    """Live status streams (`settings.live`)."""

    heartbeat: int = setting(
        LIVE, "LIVE_HEARTBEAT", "15", Integer(1, 300), "Between `: heartbeat` comments on idle "
        "event streams (keeps proxies from closing them, detects gone clients).", unit=SECONDS)
    queue_size: int = setting(
        LIVE, "LIVE_QUEUE_SIZE", "100", Integer(1, 100_000), "Notices a stream may fall behind "
        "before it is dropped (the browser reconnects with `Last-Event-ID`).")
    retry: Decimal = setting(LIVE, "LIVE_RETRY", "3", seconds("0.1", "600"),
                                  "The `retry:` reconnect hint sent to EventSource clients.",
                                  unit=SECONDS)
    max_public_streams: int = setting(
        LIVE, "LIVE_MAX_PUBLIC_STREAMS", "10000", Integer(1, 10**6), "Public live streams "
        "(`/pay/{id}/events`) open at once per process; one more is 503.")
    max_streams_per_address: int = setting(
        LIVE, "LIVE_MAX_STREAMS_PER_ADDRESS", "16", Integer(1, 10**5), "Public live streams "
        "one client address may hold open at once; one more is 429.")


@dataclass(frozen=True)
class CheckoutSettings:
    """The shopper's checkout page (`settings.checkout`)."""

    default_lang: str = setting(
        CHECKOUT, "CHECKOUT_DEFAULT_LANG", "ru", Choice(LANGUAGES), "The page's language when "
        "neither `?lang=` nor the browser's `Accept-Language` names one of the three.")
    redirect_delay: int = setting(
        CHECKOUT, "CHECKOUT_REDIRECT_DELAY", "5", Integer(0, 600), "How long the \"paid\" page "
        "waits before sending the shopper back to the invoice's `redirect_url`.", unit=SECONDS)
    rate_limit: int = setting(
        CHECKOUT, "PUBLIC_RATE_LIMIT", "20", Integer(1, 10**6), "Requests per second one "
        "client address may make to the public pages (`/pay/...`, their live streams, "
        "`/qr/...` images), per process; beyond the burst 429 with `Retry-After`.",
        unit="requests/s")
    rate_burst: int = setting(
        CHECKOUT, "PUBLIC_RATE_BURST", "100", Integer(1, 10**6), "Public requests one client "
        "address may send at once.", unit="requests")


@dataclass(frozen=True)
class RatesSettings:
    """FX rates (`settings.rates`, docs/rates.md)."""

    mode: str = setting(
        RATES, "GATEWAY_RATES_MODE", "fixed", Choice(RATES_MODES), "`fixed`: every asset from "
        "`GATEWAY_RATES_FIXED`, no spread, no network; `live`: NBK + Binance with the live "
        "default rules.", prod="live")
    fixed: tuple[tuple[str, Decimal], ...] = setting(
        RATES, "GATEWAY_RATES_FIXED", "", Parsed(parse_fixed_rates), "KZT per whole unit for "
        "the fixed provider; `SYMBOL=RATE` items separated by commas, merged over the "
        "defaults (`BNB=300000.00,USDT=500.00,USDC=500.00,SOL=75000.00,KZTE=1`).",
        shown="empty")
    rules: tuple[RateRule, ...] = setting(
        RATES, "GATEWAY_RATE_RULES", "", Parsed(parse_rules), "Rules replacing the mode's "
        "default for the symbols they name, separated by `;` or new lines: `SYMBOL = FORMULA "
        "[\\| FORMULA ...] [spread=BPS] [max_age=SECONDS]`.", shown="empty")
    refresh_seconds: int = setting(
        RATES, "GATEWAY_RATES_REFRESH_SECONDS", "30", Integer(1, 3600),
        "How often every provider is fetched.", unit=SECONDS)
    timeout_seconds: int = setting(
        RATES, "GATEWAY_RATES_TIMEOUT_SECONDS", "10", Integer(1, 120), "Per-provider fetch "
        "timeout; a timed-out provider keeps its previous prices until they age out.",
        unit=SECONDS)
    nbk_url: str = setting(
        RATES, "GATEWAY_NBK_URL", "https://nationalbank.kz/rss/get_rates.cfm?fdate={date}",
        text, "NBK rates feed; `{date}` becomes today's date in Asia/Almaty as `DD.MM.YYYY`.")
    binance_url: str = setting(
        RATES, "GATEWAY_BINANCE_URL", "https://api.binance.com", text,
        "Base URL of the Binance spot API (`/api/v3/ticker/price` is appended).")


@dataclass(frozen=True)
class DevnetSettings:
    """The local devnets `make run` starts (`settings.devnet`, docs/devnets.md)."""

    bsc_port: int = setting(DEVNETS, "BSC_DEVNET_PORT", "8545", Integer(1, 65535),
                                   "Port of the local anvil devnet (always on 127.0.0.1).")
    bsc_block_time: Decimal = setting(
        DEVNETS, "BSC_BLOCK_TIME", "1", seconds("0.05", "60"),
        "Time between anvil blocks, fractions allowed (the tests use 0.2).", unit=SECONDS)
    bsc_finality_blocks: int = setting(
        DEVNETS, "BSC_FINALITY_BLOCKS", "2", Integer(0, 1024, even=True), "How far the "
        "devnet's `finalized` tag lags `latest` (anvil steps 2 per slot); `safe` lags half as "
        "much.", unit="blocks")
    solana_port: int = setting(DEVNETS, "SOLANA_DEVNET_PORT", "8899", Integer(1, 65535),
                                      "Port of the local Solana devnet (always on 127.0.0.1).")
    solana_slot_time: Decimal = setting(
        DEVNETS, "SOLANA_SLOT_TIME", "0.4", seconds("0.01", "10"),
        "Time per slot of the Solana devnet (the tests use 0.05).", unit=SECONDS)
    solana_finality_slots: int = setting(
        DEVNETS, "SOLANA_FINALITY_SLOTS", "32", Integer(1, 1024),
        "Slots until a Solana devnet transaction is `finalized` (the tests use 8).",
        unit="slots")


@dataclass(frozen=True)
class Settings:
    """All configuration of one gateway process."""

    env: str = setting(CORE, "GATEWAY_ENV", "dev", Choice(ENVIRONMENTS), "`prod` turns on the "
                       "strict checks (https-only public webhook URLs, JSON logs, required "
                       "secrets).")
    host: str = setting(CORE, "GATEWAY_HOST", "127.0.0.1", text,
                        "Address the HTTP server binds.")
    port: int = setting(CORE, "GATEWAY_PORT", "8080", Integer(1, 65535),
                        "Port of the HTTP server.")
    public_url: str = setting(
        CORE, "GATEWAY_PUBLIC_URL", "http://{GATEWAY_HOST}:{GATEWAY_PORT}", url,
        "Base URL used in `checkout_url` and QR links; also makes cookies `Secure`.",
        prod_required=True, https_in_prod=True)
    database_url: str | None = setting(
        CORE, "DATABASE_URL", "", optional, "PostgreSQL DSN. Unset: the embedded cluster under "
        "`<data dir>/pg` (unix socket in `<data dir>/run`).", shown="unset")
    data_dir: Path = setting(CORE, "GATEWAY_DATA_DIR", ".data", absolute_path, "Where the "
                             "embedded cluster, devnet state, demo key and logs live.")
    log_format: str = setting(CORE, "GATEWAY_LOG_FORMAT", "console", Choice(LOG_FORMATS),
                              "Log lines as text or JSON (structlog).", prod="json")
    log_level: str = setting(CORE, "GATEWAY_LOG_LEVEL", "info", Choice(LOG_LEVELS),
                             "Lowest level logged.")
    db_pool_size: int = setting(CORE, "GATEWAY_DB_POOL_SIZE", "20", Integer(2, 500),
                                "Maximum connections in the process's pool.")
    max_body_bytes: int = setting(
        CORE, "GATEWAY_MAX_BODY_BYTES", "65536", Integer(1024, 2**26),
        "Request bodies above this get 413 `body_too_large`.", unit="bytes")
    ledger_snapshot_seconds: int = setting(
        MONEY, "LEDGER_SNAPSHOT_SECONDS", "60", Integer(0, DAY), "How often each process "
        "snapshots ledger balances (0: never; balances stay exact either way).", unit=SECONDS)
    # Merchant API
    api_key_pepper: str = setting(
        API, "API_KEY_PEPPER", DEV_API_KEY_PEPPER, text, "Server-side secret mixed into API "
        "key hashes (HMAC-SHA256); changing it invalidates every issued key.",
        prod_required=True, public=DEV_API_KEY_PEPPER, shown="a public dev value")
    api_key_cache_ttl: int = setting(
        API, "API_KEY_CACHE_TTL", "5", Integer(0, 300), "How long an authenticated key (or a "
        "refusal) is cached in-process; revocations take effect within this time. 0: the "
        "database on every request.", unit=SECONDS)
    api_rate_limit: int = setting(API, "API_RATE_LIMIT", "100", Integer(1, 10**6),
                                  "Token bucket refill rate per API key, per process.",
                                  unit="requests/s")
    api_rate_burst: int = setting(
        API, "API_RATE_BURST", "200", Integer(1, 10**6), "Requests a key may send at once "
        "before 429 `rate_limited` with `Retry-After`.", unit="requests")
    idempotency_ttl: int = setting(
        API, "IDEMPOTENCY_TTL", str(DAY), Integer(60, 30 * DAY), "How long an "
        "`Idempotency-Key` and its saved response are kept (then purged every 10 min).",
        unit=SECONDS)
    invoice_max_amount: int = setting(API, "INVOICE_MAX_AMOUNT", "10000000000",
                                      Integer(1, 2**62), "Largest invoice amount.", unit="tiyn")
    invoice_expires_in: int = setting(API, "INVOICE_EXPIRES_IN", "900", Integer(60, 30 * DAY),
                                      "Default time until a new invoice expires.", unit=SECONDS)
    invoice_max_expires_in: int = setting(
        API, "INVOICE_MAX_EXPIRES_IN", str(7 * DAY), Integer(60, 30 * DAY),
        "Largest `expires_in` a merchant may ask for (the smallest is 60).", unit=SECONDS)
    invoice_volatile_max_expires_in: int = setting(
        API, "INVOICE_VOLATILE_MAX_EXPIRES_IN", "3600", Integer(60, 30 * DAY),
        "Largest `expires_in` for an invoice that offers a volatile asset (BNB, SOL: their "
        "quote moves with the market); pegged tokens alone allow INVOICE_MAX_EXPIRES_IN.",
        unit=SECONDS)
    invoice_monitoring_window: int = setting(
        API, "INVOICE_MONITORING_WINDOW", str(DAY), Integer(0, 30 * DAY), "Time after expiry "
        "during which payments are still watched; a `processing` invoice not final by then "
        "becomes `invalid` (also the time a payment reorged out after expiry has to be mined "
        "again). Copied onto each invoice.", unit=SECONDS)
    invoice_late_accept_window: int = setting(
        API, "INVOICE_LATE_ACCEPT_WINDOW", "0", Integer(0, 30 * DAY), "Time after expiry "
        "during which a full payment is still accepted automatically (exception "
        "`paid_late`); 0 = never. Copied onto each invoice.", unit=SECONDS)
    invoice_tolerance_bps: int = setting(
        API, "INVOICE_TOLERANCE_BPS", "0", Integer(0, 10_000), "Underpayment still treated as "
        "paid, relative to the amount. Copied onto each invoice.", unit="basis points")
    invoice_tolerance_tiyn: int = setting(
        API, "INVOICE_TOLERANCE_TIYN", "100", Integer(0, 2**62), "Underpayment still treated "
        "as paid, absolute; the larger of the two tolerances applies.", unit="tiyn")
    invoice_assets: tuple[str, ...] = setting(
        API, "INVOICE_ASSETS", ",".join(ASSET_IDS), Parsed(parse_asset_list),
        "Asset ids offered (and accepted in `assets`), comma-separated.")
    bsc_account_xpub: str = setting(
        PAYMENTS, "BSC_ACCOUNT_XPUB", DEV_ACCOUNT_XPUB, Parsed(_account_xpub),
        "Account-level extended public key of `m/44'/60'/0'` (depth 3, `xpub`); deposit "
        "addresses are `m/44'/60'/0'/0/<index>`. Never a private key.", prod_required=True,
        public=DEV_ACCOUNT_XPUB,
        shown="the public test mnemonic's xpub (dev only)")
    solana_treasury: str | None = setting(
        API, "SOLANA_TREASURY", "", optional, "Recipient of every Solana Pay request.",
        public=DEVNET_SOLANA_TREASURY, shown="devnet treasury (dev)")
    bsc_chain_id: int = setting(
        API, "BSC_CHAIN_ID", "56", Integer(1, 2**53 - 1),
        "Chain id written into the EIP-681 payment URIs (`@<id>`), so a wallet pays on the "
        "chain the watchers follow: 56 for BNB Chain mainnet and the local devnet, 97 for "
        "BSC testnet; must be the chain id of `BSC_RPC_URL`.")
    bsc_usdt_contract: str | None = setting(
        API, "BSC_USDT_CONTRACT", "", optional, "USDT BEP-20 contract (EIP-55 checked).",
        shown="devnet token (dev)")
    bsc_usdc_contract: str | None = setting(
        API, "BSC_USDC_CONTRACT", "", optional, "USDC BEP-20 contract (EIP-55 checked).",
        shown="devnet token (dev)")
    solana_usdt_mint: str | None = setting(API, "SOLANA_USDT_MINT", "", optional,
                                           "USDT SPL mint.", shown="devnet mint (dev)")
    solana_usdc_mint: str | None = setting(API, "SOLANA_USDC_MINT", "", optional,
                                           "USDC SPL mint.", shown="devnet mint (dev)")
    solana_kzte_mint: str | None = setting(API, "SOLANA_KZTE_MINT", "", optional,
                                           "KZTE SPL mint.", shown="devnet mint (dev)")
    kzte_decimals: int = setting(
        MONEY, "SOLANA_KZTE_DECIMALS", "2", Integer(0, 18), "Decimals of the KZTE mint "
        "(`settlement.money.build_registry`); must match `SOLANA_KZTE_MINT`.")
    bsc_rpc_url: str = setting(
        DEVNETS, "BSC_RPC_URL", "http://127.0.0.1:{BSC_DEVNET_PORT}", url, "JSON-RPC URL of "
        "the BNB Chain node; the local devnet is started only while this is its URL.")
    solana_rpc_url: str = setting(
        DEVNETS, "SOLANA_RPC_URL", "http://127.0.0.1:{SOLANA_DEVNET_PORT}", url, "JSON-RPC URL "
        "of the Solana node; the local devnet is started only while this is its URL.")
    webhooks: WebhookSettings = section(WebhookSettings)
    live: LiveSettings = section(LiveSettings)
    checkout: CheckoutSettings = section(CheckoutSettings)
    rates: RatesSettings = section(RatesSettings)
    devnet: DevnetSettings = section(DevnetSettings)
    settlement: SettlementSettings = section(SettlementSettings)
    chains: ChainSettings = section(ChainSettings)
    admin: AdminSettings = section(AdminSettings)
    refund_sending: RefundSendingSettings = section(RefundSendingSettings)

    @property
    def dev(self) -> bool:
        return self.env == "dev"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        for old, new in RENAMED.items():
            if old in environ:
                raise ConfigError(f"{old} was replaced by {new}, in seconds")
        for gone, replacement in RETIRED.items():
            if gone in environ:
                raise ConfigError(f"{gone} is no longer read: it was replaced by {replacement}")
        env = Choice(ENVIRONMENTS)("GATEWAY_ENV", environ.get("GATEWAY_ENV", "dev"))
        settings: Settings = read_section(cls, env, environ)
        return settings


# -- docs/configuration.md -------------------------------------------------------------------
SECTION_INTROS: dict[str, str] = {
    CORE: "",
    RATES: "See `docs/rates.md` for how quotes are computed.",
    PAYMENTS: "",
    API: "See `docs/api.md` for the endpoints. Token addresses and the treasury are shared "
         "with the chain watchers; in dev mode, unset ones are filled in by the dev entry "
         "point (`python -m gateway run`) from the local devnets; otherwise every enabled "
         "asset's address must be set.",
    WEBHOOKS: "See `docs/webhooks.md` for events, signatures and the retry schedule. Outside "
              "dev endpoint URLs must be `https` and must not resolve to private or reserved "
              "addresses (checked on create and again on every delivery).",
    LIVE: "",
    CHECKOUT: "See `docs/user-guide.md` (\"Paying at the checkout\") for what shoppers see.",
    MONEY: "See `docs/ledger.md`.",
    SettlementSettings.S: "See `docs/settlement.md`. Read into `settings.settlement`.",
    DEVNETS: "See `docs/devnets.md`. `make run` (and `python -m gateway devnet up`) starts a "
             "local devnet for each chain whose RPC URL is the local one; set the URL elsewhere "
             "to use another node. In prod no devnet is ever started.",
    ChainSettings.S: "See `docs/watchers.md`. The watchers and the expiry sweeper run inside "
                     "the app when `GATEWAY_WATCHERS` is on, or as `python -m gateway watch "
                     "--chain bsc|solana`; with several processes one is active per chain.",
    "Solana watcher": "Shares the chain watchers' RPC, backoff and leader settings and follows "
                      "`SOLANA_TREASURY` and the token accounts of the `SOLANA_*_MINT` mints; "
                      "at start it refuses to run when a mint is missing or its decimals "
                      "differ. See docs/watchers.md (\"Solana\").",
    RefundSendingSettings.S: "See `docs/refunds.md`. Under `make run` the hot wallets are "
                             "the devnet keys, funded at start; production defaults to offline "
                             "signing and refuses the devnet keys.",
    AdminSettings.S: "The zone administrators' console at `/admin` (`gateway/admin`). The "
                     "session cookie is `Secure` whenever the request arrived over https or "
                     "`GATEWAY_PUBLIC_URL` is an https URL.",
}

DOCS_HEAD = """# Configuration

<!-- Generated from gateway/config.py by `python -m gateway.config`; do not edit. -->

Everything is configured by environment variables, read once at start
(`gateway/config.py`). A bad value stops the process with one line naming the variable, e.g.
`configuration error: GATEWAY_PORT must be between 1 and 65535, got 70000`.
Defaults run the whole product on one laptop: the embedded PostgreSQL cluster and the local
devnets. Durations are in the unit the table names.
"""


def _shown_default(var: Var) -> str:
    if var.shown is not None:
        shown = var.shown
    elif var.default == "":
        shown = "unset"
    else:
        shown = f"`{var.default}`"
    if var.dev is not None:
        return f"`{var.dev}` in dev, {shown} in prod"
    if var.prod is not None:
        return f"{shown} in dev, `{var.prod}` in prod"
    if var.https_in_prod:
        return f"{shown}; **required in prod, https**"
    if var.public is not None and var.prod_required:
        return f"{shown}; **required in prod** (the dev value is refused)"
    if var.public is not None:
        return f"{shown}; the dev value is refused in prod"
    if var.prod_required:
        return f"{shown}; **required in prod**"
    return shown


def configuration_docs() -> str:
    """docs/configuration.md, rendered from the declarations above."""
    by_section: dict[str, list[Var]] = {name: [] for name in SECTION_INTROS}
    for var in declared(Settings):
        by_section[var.section].append(var)
    parts = [DOCS_HEAD.strip()]
    for name, variables in by_section.items():
        parts.append(f"## {name}")
        if SECTION_INTROS[name]:
            parts.append(SECTION_INTROS[name])
        rows = ["| variable | default | unit | range | meaning |", "|---|---|---|---|---|"]
        rows += [f"| `{v.name}` | {_shown_default(v)} | {v.unit} | "
                 f"{getattr(v.parse, 'bounds', '')} | {v.doc} |" for v in variables]
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    print(configuration_docs(), end="")
