"""Invoices and payment options as Python values (built from rows or on the create path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from gateway.invoices.states import InvoiceException, InvoiceStatus


@dataclass(frozen=True)
class PaymentOption:
    """One offered asset with its quote locked at creation."""

    asset_id: str
    chain: str
    symbol: str
    token: str | None
    decimals: int
    amount_units: int
    rate: Decimal
    rate_source: str
    rate_fetched_at: datetime
    uri: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> PaymentOption:
        return cls(
            asset_id=row["asset"], chain=row["chain"], symbol=row["symbol"], token=row["token"],
            decimals=row["decimals"], amount_units=int(row["amount_units"]), rate=row["rate"],
            rate_source=row["rate_source"], rate_fetched_at=row["rate_fetched_at"],
            uri=row["uri"],
        )

    def record(self, position: int) -> dict[str, Any]:
        """The option as queries.CREATE_INVOICE's JSON takes it (numbers as exact text)."""
        return {
            "asset": self.asset_id, "position": position, "chain": self.chain,
            "symbol": self.symbol, "token": self.token, "decimals": self.decimals,
            "amount_units": str(self.amount_units), "rate": str(self.rate),
            "rate_source": self.rate_source, "rate_fetched_at": self.rate_fetched_at.isoformat(),
            "uri": self.uri,
        }


@dataclass(frozen=True, slots=True)
class InvoicePayment:
    id: int
    chain: str
    asset_id: str
    tx: str
    index: int
    units: int
    value: int | None
    status: str          # pending | final | reverted
    counted: bool
    seen_at: datetime
    final_at: datetime | None

    @property
    def refundable(self) -> int:
        """Tiyn to give back for this payment alone (the overpaid excess is the invoice's)."""
        if self.counted or self.status != "final" or self.value is None:
            return 0
        return self.value


@dataclass(frozen=True)
class Invoice:
    id: str
    merchant_id: str
    status: InvoiceStatus
    exception: InvoiceException | None
    amount: int
    currency: str
    amount_paid: int
    order_id: str | None
    description: str | None
    metadata: dict[str, str]
    redirect_url: str | None
    created_at: datetime
    expires_at: datetime
    monitoring_window: timedelta
    late_accept_window: timedelta
    tolerance_bps: int
    tolerance_tiyn: int
    bsc_address: str | None
    solana_reference: str | None
    solana_recipient: str | None
    qr_token: str
    options: tuple[PaymentOption, ...]
    livemode: bool = True  # False: made with a ccp_test_ key, never booked
    # Loaded only where the object is served after creation (a new invoice has none).
    payments: tuple[InvoicePayment, ...] = ()
    amount_refundable: int = 0  # net of the stranded money live refunds hold
    refunds: tuple[str, ...] = ()  # ids of the invoice's refunds, oldest first

    @classmethod
    def from_row(cls, row: asyncpg.Record, options: tuple[PaymentOption, ...]) -> Invoice:
        return cls(
            id=row["id"], merchant_id=row["merchant_id"], status=InvoiceStatus(row["status"]),
            exception=InvoiceException(row["exception"]) if row["exception"] else None,
            amount=row["amount"], currency=row["currency"], amount_paid=row["amount_paid"],
            order_id=row["order_id"], description=row["description"],
            metadata=row["metadata"], redirect_url=row["redirect_url"],
            created_at=row["created_at"], expires_at=row["expires_at"],
            monitoring_window=row["monitoring_window"],
            late_accept_window=row["late_accept_window"],
            tolerance_bps=row["tolerance_bps"], tolerance_tiyn=row["tolerance_tiyn"],
            bsc_address=row["bsc_address"], solana_reference=row["solana_reference"],
            solana_recipient=row["solana_recipient"], qr_token=row["qr_token"],
            options=options, livemode=row.get("livemode", True),
        )
