"""The chart of accounts: account kinds, their normal side, and the codes every part books to.

Codes (docs/architecture.md): `custody:<chain>:<asset>` (asset, crypto), `fx_position:<currency>`
(equity, one per currency), `merchant_payable:<merchant_id>` (liability, KZT), `fee_revenue`
(revenue, KZT), `payouts_in_transit` (liability, KZT), `bank` (asset, KZT), `fx_result`
(revenue, KZT), `refunds_in_transit:<chain>:<asset>` (liability, crypto: signed refunds not yet
final), `network_fees:<chain>:<native>` (expense, the chain's own coin: fees the operator pays).
Accounts are created in the database on first use from their `AccountSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from settlement.errors import UnknownAccount
from settlement.money import KZT, Currency, CurrencyRegistry, currency


class Direction(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Direction:
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    REVENUE = "revenue"
    EXPENSE = "expense"
    EQUITY = "equity"

    @property
    def normal_side(self) -> Direction:
        """The side that increases the account: debit for assets and expenses, else credit."""
        if self in (AccountKind.ASSET, AccountKind.EXPENSE):
            return Direction.DEBIT
        return Direction.CREDIT


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What an account is: enough to create it on first use and to check a posting against."""

    code: str
    currency: Currency
    kind: AccountKind
    owner: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not 1 <= len(self.code) <= 200:
            raise UnknownAccount(f"account code must be 1..200 characters: {self.code!r}")


def custody(chain: str, asset: str, registry: CurrencyRegistry | None = None) -> AccountSpec:
    """Crypto the operator holds on `chain` in `asset` (deposit addresses and treasury)."""
    return custody_of(currency(f"{chain}:{asset}", registry))


def custody_of(cur: Currency) -> AccountSpec:
    """`custody(chain, asset)` for a Currency already in hand (e.g. a received Money's)."""
    if cur.chain is None:
        raise UnknownAccount(f"custody accounts hold crypto, not {cur.code}")
    return AccountSpec(f"custody:{cur.code}", cur, AccountKind.ASSET)


def refunds_in_transit(cur: Currency) -> AccountSpec:
    """Crypto promised back to shoppers by a signed refund transaction not yet final."""
    if cur.chain is None:
        raise UnknownAccount(f"refunds in transit are crypto, not {cur.code}")
    return AccountSpec(f"refunds_in_transit:{cur.code}", cur, AccountKind.LIABILITY)


def network_fees(cur: Currency) -> AccountSpec:
    """What the operator paid the network (in the chain's own coin) to send refunds."""
    if cur.chain is None:
        raise UnknownAccount(f"network fees are paid in a chain's coin, not {cur.code}")
    return AccountSpec(f"network_fees:{cur.code}", cur, AccountKind.EXPENSE)


def fx_position(cur: Currency) -> AccountSpec:
    """The operator's open position in `cur`: crypto bought from shoppers, KZT owed for it."""
    return AccountSpec(f"fx_position:{cur.code}", cur, AccountKind.EQUITY)


def merchant_payable(merchant_id: str | int | UUID) -> AccountSpec:
    """Tenge owed to one merchant until paid out."""
    owner = str(merchant_id)
    return AccountSpec(f"merchant_payable:{owner}", KZT, AccountKind.LIABILITY, owner)


FEE_REVENUE = AccountSpec("fee_revenue", KZT, AccountKind.REVENUE)
PAYOUTS_IN_TRANSIT = AccountSpec("payouts_in_transit", KZT, AccountKind.LIABILITY)
BANK = AccountSpec("bank", KZT, AccountKind.ASSET)
FX_RESULT = AccountSpec("fx_result", KZT, AccountKind.REVENUE)
