"""What an invoice can still give back, per asset, and how a refund draws on it (pure, no I/O).

Stranded money is kept per asset (a `Pool`): it goes back in kind, so one refund draws on one
pool. A pool holds
    the loose payments    final, not part of a sale (invoices.payments `refundable`): all
                          their units, valued at the invoice's locked rate
    the overpaid excess   on a settled invoice, the counted value above the amount; its units
                          are the counted units of the asset minus the option's `amount_units`
                          (one asset paid), else the excess's share of the latest counted
                          payment's units (several assets paid: rare, floor)
less what live refunds already hold: their `stranded_amount` (tiyn, per asset) and their
refund_sources units (per transfer). A partial refund of a pool takes the same share of its
units, floored: units = avail_units * amount // avail_tiyn (integer math, no rate needed).

The sale part (a settled invoice only) is the invoice amount less the sale parts of live
refunds; its units are floor(tiyn * 10^decimals / (100 * rate)) of the refund's asset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.invoices.models import Invoice, InvoicePayment, PaymentOption
from gateway.invoices.states import InvoiceStatus
from gateway.rates.units import TIYN_PER_KZT


@dataclass(frozen=True, slots=True)
class Source:
    """Units of one transfer a refund gives back (one refund_sources row)."""

    transfer_id: int
    units: int


@dataclass(slots=True)
class Pool:
    """The stranded money of one asset of one invoice still free to refund."""

    asset_id: str
    chain: str
    amount: int = 0                                  # tiyn at the invoice's locked rate
    sources: list[Source] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(s.units for s in self.sources)


@dataclass(frozen=True, slots=True)
class Held:
    """What live refunds of the invoice already hold."""

    units_by_transfer: Mapping[int, int]
    stranded_by_asset: Mapping[str, int]
    sale_amount: int


@dataclass(frozen=True, slots=True)
class Draw:
    """A refund's stranded part: tiyn, units and the transfers they come from."""

    amount: int
    units: int
    sources: tuple[Source, ...]


def _excess_sources(invoice: Invoice, counted: Sequence[InvoicePayment],
                    excess: int) -> tuple[str, str, list[Source]] | None:
    """The overpaid excess as units of the counted transfers, latest first."""
    latest = counted[-1]
    same = [p for p in counted if p.asset_id == latest.asset_id]
    option = next((o for o in invoice.options if o.asset_id == latest.asset_id), None)
    if len(same) == len(counted) and option is not None:
        units = sum(p.units for p in same) - option.amount_units
    else:
        units = latest.units * excess // latest.value if latest.value else 0
    sources: list[Source] = []
    for payment in reversed(same):
        if units <= 0:
            break
        take = min(units, payment.units)
        sources.append(Source(payment.id, take))
        units -= take
    return (latest.asset_id, latest.chain, sources) if sources else None


def stranded_pools(invoice: Invoice) -> dict[str, Pool]:
    """Every asset's stranded money, before any refund (amounts sum to the gross
    `amount_refundable` of gateway.invoices.payments, less an excess too small for a unit)."""
    pools: dict[str, Pool] = {}

    def pool(asset_id: str, chain: str) -> Pool:
        return pools.setdefault(asset_id, Pool(asset_id, chain))

    for payment in invoice.payments:
        if payment.refundable > 0:
            target = pool(payment.asset_id, payment.chain)
            target.amount += payment.refundable
            target.sources.append(Source(payment.id, payment.units))
    if invoice.status is InvoiceStatus.SETTLED:
        counted = [p for p in invoice.payments if p.counted and p.status == "final"]
        excess = sum(p.value or 0 for p in counted) - invoice.amount
        found = _excess_sources(invoice, counted, excess) if counted and excess > 0 else None
        if found is not None:
            asset_id, chain, sources = found
            target = pool(asset_id, chain)
            target.amount += excess
            target.sources.extend(sources)
    return pools


def free_pools(invoice: Invoice, held: Held) -> dict[str, Pool]:
    """The pools less what live refunds hold; empty pools left out."""
    free: dict[str, Pool] = {}
    for asset_id, gross in stranded_pools(invoice).items():
        amount = gross.amount - held.stranded_by_asset.get(asset_id, 0)
        sources = [Source(s.transfer_id, s.units - held.units_by_transfer.get(s.transfer_id, 0))
                   for s in gross.sources]
        sources = [s for s in sources if s.units > 0]
        if amount > 0 and sources:
            free[asset_id] = Pool(asset_id, gross.chain, amount, sources)
    return free


def free_sale(invoice: Invoice, held: Held) -> int:
    """Tiyn of the sale a merchant may still return (a settled invoice only)."""
    if invoice.status is not InvoiceStatus.SETTLED:
        return 0
    return max(0, invoice.amount - held.sale_amount)


def draw(pool: Pool, amount: int) -> Draw:
    """`amount` tiyn (at most the pool's) of the pool, as the same share of its units."""
    units = pool.units if amount >= pool.amount else pool.units * amount // pool.amount
    taken: list[Source] = []
    left = units
    for source in pool.sources:
        if left <= 0:
            break
        take = min(left, source.units)
        taken.append(Source(source.transfer_id, take))
        left -= take
    return Draw(min(amount, pool.amount), units, tuple(taken))


def units_floor(tiyn: int, rate: Decimal, decimals: int) -> int:
    """Base units worth at most `tiyn` at `rate` KZT per whole unit (floor: never more)."""
    numerator, denominator = rate.as_integer_ratio()
    scale: int = 10**decimals
    units: int = (tiyn * denominator * scale) // (TIYN_PER_KZT * numerator)
    return units


def option_for(invoice: Invoice, asset_id: str) -> PaymentOption | None:
    return next((o for o in invoice.options if o.asset_id == asset_id), None)


def sale_assets(invoice: Invoice) -> list[str]:
    """The assets the sale was paid with (its counted, final payments), first paid first."""
    seen = [p.asset_id for p in invoice.payments if p.counted and p.status == "final"]
    return list(dict.fromkeys(seen))
