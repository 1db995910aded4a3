"""Lifecycle errors, under `GatewayError` (see gateway.errors for the whole tree).

    GatewayError
    └── LifecycleError          applying chain facts to invoices
        ├── InvoiceMissing      a transfer names an invoice that does not exist
        ├── LostRace            a guarded invoice UPDATE found another status (row lock bug)
        └── NotAcceptable       an operator's accept names money that cannot join a sale

Ledger refusals (and `BookingError`) stay `settlement.errors.LedgerError`; illegal moves stay
`gateway.invoices.errors.IllegalTransition`.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class LifecycleError(GatewayError):
    """Chain facts could not be applied to an invoice."""


class InvoiceMissing(LifecycleError):
    """A transfer or sweep names an invoice that does not exist."""


class LostRace(LifecycleError):
    """The guarded UPDATE found the invoice in another status despite the row lock."""


class NotAcceptable(LifecycleError):
    """Accepting stranded money needs an expired invoice whose credits are all final."""
