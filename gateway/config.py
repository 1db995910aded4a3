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

from gateway.errors import ConfigError

T = TypeVar("T")

ENVIRONMENTS = ("dev", "prod")
LOG_FORMATS = ("console", "json")


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
        )
