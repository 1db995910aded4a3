"""Errors of the FX rates domain.

    GatewayError                       (gateway.errors)
    ├── ConfigError
    │   └── RateRuleError              (gateway.rate_rules) GATEWAY_RATE_RULES / _FIXED malformed
    ├── RatesError                     fetching or computing rates
    │   └── ProviderError              a provider answered with an HTTP error or garbage
    └── ApiError
        └── ServiceUnavailable
            └── RateUnavailable        503 rate_unavailable, param = the pair ("BNB_KZT")
"""

from __future__ import annotations

from gateway.errors import GatewayError, ServiceUnavailable


class RatesError(GatewayError):
    """Fetching or computing an exchange rate failed."""


class ProviderError(RatesError):
    """A rate provider answered with an error status or a body we cannot read."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class RateUnavailable(ServiceUnavailable):
    """No fresh rate exists for a pair; a stale rate is never quoted."""

    default_code = "rate_unavailable"

    def __init__(self, pair: str, reason: str) -> None:
        super().__init__(f"No fresh exchange rate for {pair}: {reason}", param=pair)
        self.pair = pair
