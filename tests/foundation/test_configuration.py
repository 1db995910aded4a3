"""The settings schema: docs/configuration.md is generated from it, and it reads the env."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Settings, configuration_docs, declared
from gateway.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_committed_docs_match_the_schema() -> None:
    # Regenerate with `python -m gateway.config > docs/configuration.md`.
    assert DOCS.read_text() == configuration_docs()


def test_every_variable_is_declared_once() -> None:
    names = [var.name for var in declared(Settings)]
    assert len(names) == len(set(names))


def test_direct_defaults_equal_the_environment_defaults() -> None:
    # One declaration gives both: Settings() and Settings.from_env({}) agree (dev mode),
    # except the values dev mode turns on and the absolute data directory.
    from_env = Settings.from_env({})
    assert from_env.chains.watchers and not Settings().chains.watchers
    assert Settings().chains.watch_chains == from_env.chains.watch_chains == ("bsc", "solana")
    assert Settings().public_url == from_env.public_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(("environ", "message"), [
    ({"GATEWAY_PORT": "70000"}, "GATEWAY_PORT must be between 1 and 65535, got 70000"),
    ({"GATEWAY_PORT": "x"}, "GATEWAY_PORT must be an integer, got 'x'"),
    ({"WEBHOOK_WORKER": "maybe"}, "WEBHOOK_WORKER must be true or false, got 'maybe'"),
    ({"GATEWAY_LOG_FORMAT": "xml"}, "GATEWAY_LOG_FORMAT must be one of console, json"),
    ({"BSC_FINALITY_BLOCKS": "3"}, "BSC_FINALITY_BLOCKS must be an even integer"),
    ({"GATEWAY_WATCH_CHAINS": "doge"}, "GATEWAY_WATCH_CHAINS is invalid: unknown chain"),
    ({"SETTLEMENT_CUTOFF": "6pm"}, "SETTLEMENT_CUTOFF is invalid: expected HH:MM"),
])
def test_bad_values_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_derived_defaults_follow_the_variables_they_name() -> None:
    settings = Settings.from_env({"GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": "9000",
                                  "BSC_DEVNET_PORT": "9545"})
    assert settings.public_url == "http://0.0.0.0:9000"
    assert settings.bsc_rpc_url == "http://127.0.0.1:9545"


def test_a_variable_renamed_to_seconds_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"^WEBHOOK_RETRY_BASE_MS was replaced by "
                                          r"WEBHOOK_RETRY_BASE, in seconds$"):
        Settings.from_env({"WEBHOOK_RETRY_BASE_MS": "10000"})
