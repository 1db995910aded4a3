"""REFUND_AUTO_APPROVE_MAX: every refund waits for approval in production unless configured;
`make run` (dev) sends refunds up to 10,000.00 KZT at once."""

from __future__ import annotations

from gateway.config import Settings
from tests.foundation.test_prod_refusals import PROD


def test_auto_approve_defaults() -> None:
    assert Settings.from_env(PROD).settlement.refund_auto_approve_max == 0
    assert Settings.from_env({}).settlement.refund_auto_approve_max == 1_000_000
    configured = Settings.from_env({**PROD, "REFUND_AUTO_APPROVE_MAX": "50000"})
    assert configured.settlement.refund_auto_approve_max == 50_000
