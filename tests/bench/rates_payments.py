"""Micro-benchmarks of the invoice-create hot path pieces and QR rendering.

    .venv/bin/python -m tests.bench.rates_payments

Prints per-call times (best of 5 rounds). Pure CPU, no I/O; figures on a shared machine are noisy.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from gateway.payments.hd import DEV_ACCOUNT_XPUB, derive_address
from gateway.payments.qr import QrCache, render_png, render_svg
from gateway.payments.references import new_reference
from gateway.payments.uri import eip681_token, solana_pay
from gateway.rate_rules import parse_rules
from gateway.rates.book import RateBook
from gateway.rates.units import units_for


def _per_call(label: str, func: Callable[[], object], number: int) -> None:
    best = min(timeit.repeat(func, number=number, repeat=5)) / number
    print(f"{label:<42} {best * 1e6:10.1f} µs/call")


def main() -> None:
    book = RateBook(parse_rules("BNB = binance:BNBUSDT * nbk:USD | fixed:BNB spread=100"))
    now = datetime.now(UTC)
    book.record("binance", {"BNBUSDT": Decimal("612.34000000")}, now)
    book.record("nbk", {"USD": Decimal("447.79")}, now)
    rate = book.quote("BNB").rate
    counter = iter(range(10**9))
    uri = solana_pay(
        "mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN", "1234.567891",
        spl_token="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        reference=new_reference(), label="Дүкен «Алма»", message="Заказ №42",
    )
    cache = QrCache()
    cache.get(uri, "png")
    _per_call("RateBook.quote (2-factor rule + spread)", lambda: book.quote("BNB"), 20_000)
    _per_call("units_for (18 decimals)", lambda: units_for(123_456_789, rate, 18), 50_000)
    _per_call("derive_address (cached account node)",
              lambda: derive_address(DEV_ACCOUNT_XPUB, next(counter)), 2_000)
    _per_call("new_reference", new_reference, 20_000)
    _per_call("eip681_token", lambda: eip681_token(
        "0x55d398326f99059fF775485246999027B3197955",
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", 10**21), 20_000)
    _per_call("render_png (Solana Pay URI, cold)", lambda: render_png(uri), 50)
    _per_call("render_svg (Solana Pay URI, cold)", lambda: render_svg(uri), 50)
    _per_call("QrCache.get (hit)", lambda: cache.get(uri, "png"), 50_000)


if __name__ == "__main__":
    main()
