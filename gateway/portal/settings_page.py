"""The merchant's settings page rules: its own invoice terms (accepted assets, default expiry,
payment tolerance, late-payment window) and the domains `redirect_url` may name. The
merchants domain stores them (one writer); this module parses the form, audits the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.invoices.params import Limits
from gateway.merchants import service as merchants
from gateway.merchants.defaults import InvoiceDefaults
from gateway.merchants.errors import InvalidMerchant
from gateway.portal import queries as q
from gateway.portal.errors import InvalidForm
from gateway.portal.pos import parse_amount
from gateway.portal.service import Actor, record
from settlement.db import Conn

MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class MerchantSettings:
    defaults: InvoiceDefaults
    redirect_domains: list[str] | None


async def load(conn: Conn, merchant_id: str) -> MerchantSettings:
    return MerchantSettings(await merchants.invoice_defaults(conn, merchant_id),
                            await q.select_redirect_domains(conn, merchant_id))


def _minutes(raw: str, field: str) -> int | None:
    """Blank: the zone default; else whole minutes as seconds."""
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_MINUTES:
        raise InvalidForm(field, f"must be whole minutes 0..{MAX_MINUTES}")
    return int(text) * 60


def parse_form(assets: list[str], expires_min: str, tolerance_bps: str, tolerance_kzt: str,
               late_min: str, domains: str) -> MerchantSettings:
    bps = tolerance_bps.strip()
    if bps and (not bps.isdigit() or int(bps) > 10_000):
        raise InvalidForm("tolerance_bps", "must be 0..10000 basis points")
    kzt = tolerance_kzt.strip()
    defaults = InvoiceDefaults(
        accepted_assets=tuple(assets) or None, expires_in=_minutes(expires_min, "expires_in"),
        tolerance_bps=int(bps) if bps else None,
        tolerance_tiyn=(0 if kzt in ("0", "0.00", "0,00") else parse_amount(kzt)) if kzt
        else None,
        late_accept_window=_minutes(late_min, "late_accept_window"))
    listed = [d for d in domains.replace(",", "\n").split() if d]
    return MerchantSettings(defaults, listed or None)


async def save(conn: Conn, merchant_id: str, new: MerchantSettings, limits: Limits,
               actor: Actor) -> None:
    async with conn.transaction():
        before = await load(conn, merchant_id)
        try:
            await merchants.set_invoice_defaults(conn, merchant_id, new.defaults,
                                                 enabled_assets=limits.assets,
                                                 max_expires_in=limits.max_expires_in)
            stored = await merchants.set_redirect_domains(conn, merchant_id,
                                                          new.redirect_domains)
        except InvalidMerchant as exc:
            raise InvalidForm(exc.field, str(exc)) from exc
        await record(conn, merchant_id, actor, "settings.update", target_type="merchant",
                     target_id=merchant_id, before=_json(before),
                     after=_json(MerchantSettings(new.defaults, stored)))


def _json(s: MerchantSettings) -> dict[str, object]:
    d = s.defaults
    return {"accepted_assets": None if d.accepted_assets is None else list(d.accepted_assets),
            "expires_in": d.expires_in, "tolerance_bps": d.tolerance_bps,
            "tolerance_tiyn": d.tolerance_tiyn, "late_accept_window": d.late_accept_window,
            "redirect_domains": s.redirect_domains}
