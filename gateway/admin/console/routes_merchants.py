"""Merchant pages: list, create, edit fees and bank details, suspend, issue/revoke API keys,
invite the merchant's owner to the portal (a one-time link shown once)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.admin.console import service
from gateway.admin.console.web import Ctx, reader, redirect, writer
from gateway.admin.errors import ActionRefused, InvalidForm
from gateway.merchants import service as merchants
from gateway.merchants.errors import InvalidMerchant

NOTICES = {
    "created": "Merchant created.",
    "updated": "Merchant details saved.",
    "approval": "Fees saved. The new payout account waits for a second administrator's "
                "approval (Approvals page); until then payouts go to the current one.",
    "suspended": "Merchant suspended: its API keys can no longer create invoices.",
    "active": "Merchant reactivated.",
    "revoked": "API key revoked. Running gateways refuse it within the key cache TTL.",
}
BLANK_FORM = {"name": "", "bin": "", "iban": "", "bic": "", "fee_bps": "100", "fee_fixed": "0",
              "fee_minimum": "0"}


def _int_field(ctx: Ctx, name: str) -> int:
    raw = ctx.field(name)
    if not raw.isdigit():
        raise InvalidForm(name, "must be a whole number (0 or more)")
    return int(raw)


def _merchant_input(ctx: Ctx) -> tuple[merchants.MerchantInput, int]:
    return merchants.MerchantInput(
        name=ctx.field("name"), bin=ctx.field("bin"), iban=ctx.field("iban"),
        bic=ctx.optional("bic"), fee_bps=_int_field(ctx, "fee_bps"),
        fee_fixed=_int_field(ctx, "fee_fixed"),
    ), _int_field(ctx, "fee_minimum")


def _submitted(ctx: Ctx) -> dict[str, Any]:
    return {name: ctx.field(name, required=False) for name in BLANK_FORM}


def _values(page: service.MerchantPage) -> dict[str, Any]:
    m = page.merchant
    return {"name": m.name, "bin": m.bin, "iban": m.iban, "bic": m.bic or "",
            "fee_bps": m.fee_bps, "fee_fixed": m.fee_fixed,
            "fee_minimum": page.schedules[-1].minimum if page.schedules else 0}


@reader
async def merchant_list(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        found = await merchants.list_merchants(conn)
    found.sort(key=lambda m: (m.created_at, m.id), reverse=True)
    return ctx.render("merchants.html", merchants=found,
                      notice=NOTICES.get(ctx.query("done") or ""))


@reader
async def merchant_new(ctx: Ctx) -> web.StreamResponse:
    return ctx.render("merchant_new.html", values=BLANK_FORM, error=None)


@writer
async def merchant_create(ctx: Ctx) -> web.StreamResponse:
    try:
        data, _minimum = _merchant_input(ctx)
        async with ctx.pool.acquire() as conn:
            merchant = await service.create_merchant(conn, ctx.actor, data)
    except (InvalidForm, InvalidMerchant) as exc:
        return ctx.render("merchant_new.html", status=400, values=_submitted(ctx),
                          error=str(exc))
    return redirect(ctx.request, f"/admin/merchants/{merchant.id}?done=created")


async def _show(ctx: Ctx, merchant_id: str, *, status: int = 200, **extra: Any
                ) -> web.Response:
    async with ctx.pool.acquire() as conn:
        page = await service.merchant_page(conn, merchant_id)
    values = extra.pop("values", None) or _values(page)
    return ctx.render("merchant.html", status=status, page=page, values=values,
                      notice=NOTICES.get(ctx.query("done") or ""),
                      **{"new_key": None, "new_invite": None, "error": None, **extra})


@reader
async def merchant_detail(ctx: Ctx) -> web.StreamResponse:
    return await _show(ctx, ctx.request.match_info["merchant_id"])


@writer
async def merchant_update(ctx: Ctx) -> web.StreamResponse:
    merchant_id = ctx.request.match_info["merchant_id"]
    try:
        data, minimum = _merchant_input(ctx)
        async with ctx.pool.acquire() as conn:
            update = await service.update_merchant(conn, ctx.actor, merchant_id, data,
                                                   minimum)
    except (InvalidForm, InvalidMerchant, ActionRefused) as exc:
        return await _show(ctx, merchant_id, status=400, values=_submitted(ctx),
                           error=str(exc))
    done = "updated" if update.approval is None else "approval"
    return redirect(ctx.request, f"/admin/merchants/{merchant_id}?done={done}")


@writer
async def merchant_status(ctx: Ctx) -> web.StreamResponse:
    merchant_id = ctx.request.match_info["merchant_id"]
    status = ctx.field("status")
    if status not in merchants.STATUSES:
        raise InvalidForm("status", "must be active or suspended")
    async with ctx.pool.acquire() as conn:
        await service.set_merchant_status(conn, ctx.actor, merchant_id, status)
    return redirect(ctx.request, f"/admin/merchants/{merchant_id}?done={status}")


@writer
async def key_issue(ctx: Ctx) -> web.StreamResponse:
    """The one response that shows the secret: rendered directly (never a redirect, so the
    key is in no URL, history entry or log) and, like every console page, not cached."""
    merchant_id = ctx.request.match_info["merchant_id"]
    async with ctx.pool.acquire() as conn:
        key = await service.issue_key(conn, ctx.actor, merchant_id,
                                      ctx.settings.api_key_pepper)
    return await _show(ctx, merchant_id, new_key=key)


@writer
async def owner_invite(ctx: Ctx) -> web.StreamResponse:
    """The one response that shows the invite link: rendered directly, like a new key."""
    merchant_id = ctx.request.match_info["merchant_id"]
    try:
        async with ctx.pool.acquire() as conn:
            made = await service.invite_owner(conn, ctx.actor, merchant_id,
                                              ctx.field("email"))
    except InvalidForm as exc:
        return await _show(ctx, merchant_id, status=400, error=str(exc))
    return await _show(ctx, merchant_id, new_invite=(
        made, f"{ctx.settings.public_url}/merchant/invite/{made.url_token}"))


@writer
async def key_revoke(ctx: Ctx) -> web.StreamResponse:
    merchant_id = ctx.request.match_info["merchant_id"]
    async with ctx.pool.acquire() as conn:
        await service.revoke_key(conn, ctx.actor, merchant_id, ctx.request.match_info["key_id"])
    return redirect(ctx.request, f"/admin/merchants/{merchant_id}?done=revoked")


ROUTES = [
    web.get("/admin/merchants", merchant_list),
    web.get("/admin/merchants/new", merchant_new),
    web.post("/admin/merchants", merchant_create),
    web.get("/admin/merchants/{merchant_id}", merchant_detail),
    web.post("/admin/merchants/{merchant_id}", merchant_update),
    web.post("/admin/merchants/{merchant_id}/status", merchant_status),
    web.post("/admin/merchants/{merchant_id}/keys", key_issue),
    web.post("/admin/merchants/{merchant_id}/keys/{key_id}/revoke", key_revoke),
    web.post("/admin/merchants/{merchant_id}/owner-invites", owner_invite),
]
