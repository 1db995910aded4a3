"""Secrets never logged: DSN passwords and RPC provider keys (in the URL's path or query) are
masked on every log line, exception text included, in both log formats."""

from __future__ import annotations

import pytest
import structlog

from gateway.log import configure_logging, get_logger, redact_text

DSN = "postgresql://ccp:db-pass-9f2e@db.internal:5432/ccp"
INFURA = "https://bsc-mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161"
HELIUS = "https://mainnet.helius-rpc.com/?api-key=4c1f2a77-8d1e-4a4b-9b3c-2f6e0d5a1b2c"
SECRETS = ("db-pass-9f2e", "9aa3d95b3bc440fa88ea12eaa4456161",
           "4c1f2a77-8d1e-4a4b-9b3c-2f6e0d5a1b2c")


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_secrets_in_fields_and_exceptions_are_masked(
        log_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = structlog.get_config()
    configure_logging(log_format, "info")
    log = get_logger("redaction-test")
    try:
        log.error("rpc_failed", url=INFURA, fallback=[HELIUS], dsn=DSN)
        try:
            raise ConnectionError(f"cannot reach {INFURA} nor {DSN}")
        except ConnectionError:
            log.exception("watcher_crashed")
    finally:
        structlog.configure(**before)
    out = capsys.readouterr().err
    assert "rpc_failed" in out and "watcher_crashed" in out
    assert "bsc-mainnet.infura.io/v3/***" in out and "ccp:***@db.internal" in out
    for secret in SECRETS:
        assert secret not in out


def test_ordinary_urls_and_ids_stay_readable() -> None:
    for text in ("http://127.0.0.1:8545", "https://pay.example.kz/pay/inv_Vbq1ZA0s1T9WmXr2pQe4",
                 "https://coffee.kz/hooks/ccp?order=1042"):
        assert redact_text(text) == text
