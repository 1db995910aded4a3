"""What the claim page shows: a refund, its merchant and the coins the shopper may pick, as
plain values (no SQL, no HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gateway.payments.amounts import format_units
from gateway.refunds.models import Refund
from gateway.refunds.states import RefundStatus
from settlement.assets import ASSETS, CHAINS

# While the refund moves by itself the page reloads itself (a meta refresh: no script).
MOVING: Final = frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.SENDING,
                           RefundStatus.SENT})


@dataclass(frozen=True)
class AssetChoice:
    asset_id: str
    symbol: str
    chain: str
    chain_name: str


@dataclass(frozen=True)
class ClaimView:
    token: str
    merchant_name: str
    status: RefundStatus
    amount: int                  # tiyn
    units: str | None            # "0.005 BNB" once the asset and amount are known
    chain_name: str | None
    address: str | None
    tx: str | None
    choices: tuple[AssetChoice, ...]

    @property
    def claimable(self) -> bool:
        return self.status is RefundStatus.AWAITING_ADDRESS

    @property
    def moving(self) -> bool:
        return self.status in MOVING

    def choice(self, asset_id: str | None) -> AssetChoice | None:
        return next((c for c in self.choices if c.asset_id == asset_id), None)


def asset_choice(asset_id: str) -> AssetChoice | None:
    asset = ASSETS.get(asset_id)
    if asset is None:
        return None
    return AssetChoice(asset.id, asset.symbol, asset.chain, CHAINS[asset.chain].name)


def units_text(units: int | None, asset_id: str | None) -> str | None:
    """Base units in the asset's units with its symbol ("0.005 BNB"); None when unknown."""
    asset = ASSETS.get(asset_id or "")
    if units is None or asset is None:
        return None
    return f"{format_units(units, asset.decimals)} {asset.symbol}"


def build_view(refund: Refund, merchant_name: str, claim_assets: list[str]) -> ClaimView:
    choices = tuple(c for a in claim_assets if (c := asset_choice(a)) is not None)
    chain = CHAINS.get(refund.chain or "")
    return ClaimView(
        token=refund.claim_token or "", merchant_name=merchant_name, status=refund.status,
        amount=refund.amount, units=units_text(refund.amount_units, refund.asset_id),
        chain_name=chain.name if chain else None, address=refund.address, tx=refund.tx,
        choices=choices)
