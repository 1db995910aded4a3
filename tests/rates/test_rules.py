"""Rule syntax: parsing, defaults per mode, overrides and errors naming the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.rate_rules import (
    DEFAULT_FIXED_RATES,
    RateRuleError,
    effective_rules,
    instruments,
    parse_fixed_rates,
    parse_rule,
    parse_rules,
)
from settlement.assets import ASSET_SYMBOLS


def test_parse_full_rule() -> None:
    rule = parse_rule("BNB = binance:BNBUSDT*nbk:USD | fixed:BNB  spread=100 max_age=120")
    assert rule.pair == "BNB_KZT"
    assert rule.spread_bps == 100
    assert rule.max_age_seconds == 120
    assert [f.text for f in rule.formulas] == ["binance:BNBUSDT * nbk:USD", "fixed:BNB"]
    assert parse_rule(rule.text) == rule


def test_parse_literal_and_division() -> None:
    rule = parse_rule("KZTE=1")
    assert rule.formulas[0].factors[0].literal == Decimal(1)
    rule = parse_rule("EURX = nbk:EUR / 2.5")
    assert rule.formulas[0].factors[1].divide is True
    assert rule.formulas[0].text == "nbk:EUR / 2.5"


def test_rule_list_separators_and_duplicates() -> None:
    rules = parse_rules("SOL = fixed:SOL; USDT = nbk:USD\n\nKZTE = 1;")
    assert [r.symbol for r in rules] == ["SOL", "USDT", "KZTE"]
    with pytest.raises(RateRuleError, match="twice"):
        parse_rules("SOL = fixed:SOL; SOL = nbk:USD")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("bnb = fixed:BNB", "SYMBOL"),
        ("BNB fixed:BNB", "SYMBOL"),
        ("BNB = kraken:BNBUSD", "unknown rate source"),
        ("BNB = fixed:BNB *", "incomplete"),
        ("BNB = fixed:BNB fixed:X", "expected \\* or /"),
        ("BNB = ", "incomplete"),
        ("BNB = fixed:BNB |", "incomplete"),
        ("BNB = fixed:BNB spread=-1", "spread"),
        ("BNB = fixed:BNB spread=6000", "spread"),
        ("BNB = fixed:BNB max_age=0", "max_age"),
        ("BNB = fixed:BNB colour=red", "unknown option"),
        ("BNB = 0", "positive"),
        ("BNB = 1e5", "expected source"),
    ],
)
def test_bad_rules_are_refused(text: str, needle: str) -> None:
    with pytest.raises(RateRuleError, match=needle):
        parse_rule(text)


def test_fixed_rates_merge_over_defaults() -> None:
    rates = dict(parse_fixed_rates("BNB=310000.50, DOGE=40"))
    assert rates["BNB"] == Decimal("310000.50")
    assert rates["DOGE"] == Decimal(40)
    assert rates["SOL"] == Decimal("75000.00")
    assert parse_fixed_rates("") == DEFAULT_FIXED_RATES
    for bad in ("BNB", "BNB=abc", "BNB=-1", "BNB=Infinity", "bnb=1"):
        with pytest.raises(RateRuleError):
            parse_fixed_rates(bad)


def test_effective_rules_per_mode_with_overrides() -> None:
    fixed = effective_rules("fixed", DEFAULT_FIXED_RATES, ())
    assert {r.symbol: r.formulas[0].text for r in fixed}["BNB"] == "fixed:BNB"
    live = effective_rules("live", DEFAULT_FIXED_RATES, parse_rules("SOL = fixed:SOL"))
    by_symbol = {r.symbol: r for r in live}
    assert by_symbol["BNB"].formulas[0].text == "binance:BNBUSDT * nbk:USD"
    assert by_symbol["SOL"].formulas[0].text == "fixed:SOL"
    assert instruments(live, "binance") == ("BNBUSDT",)
    assert instruments(live, "nbk") == ("USD",)


def test_fixed_reference_without_a_fixed_rate_is_refused() -> None:
    with pytest.raises(RateRuleError, match="GATEWAY_RATES_FIXED"):
        effective_rules("live", DEFAULT_FIXED_RATES, parse_rules("DOGE = fixed:DOGE"))


def test_settings_read_the_rates_variables() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_RATES_MODE": "live",
            "GATEWAY_RATE_RULES": "BNB = binance:BNBUSDT * nbk:USD | fixed:BNB spread=80",
            "GATEWAY_RATES_FIXED": "BNB=299000",
            "GATEWAY_RATES_REFRESH_SECONDS": "5",
        }
    )
    assert settings.rates.mode == "live"
    assert settings.rates.rules[0].spread_bps == 80
    assert dict(settings.rates.fixed)["BNB"] == Decimal(299000)
    assert settings.rates.refresh_seconds == 5
    assert Settings.from_env({}).rates.mode == "fixed"


def test_settings_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="GATEWAY_RATE_RULES"):
        Settings.from_env({"GATEWAY_RATE_RULES": "BNB = oops"})
    with pytest.raises(ConfigError, match="GATEWAY_RATES_FIXED"):
        Settings.from_env({"GATEWAY_RATES_FIXED": "BNB=free"})
    with pytest.raises(ConfigError, match="GATEWAY_RATES_MODE"):
        Settings.from_env({"GATEWAY_RATES_MODE": "magic"})


def test_every_registry_symbol_has_a_default_rate_in_both_modes() -> None:
    # The rate defaults are rates data, but they must cover every asset of the registry.
    symbols = set(ASSET_SYMBOLS)
    assert {symbol for symbol, _ in DEFAULT_FIXED_RATES} == symbols
    assert {rule.symbol for rule in effective_rules("live", DEFAULT_FIXED_RATES, ())} == symbols
