"""HTTP of the point of sale (role with the CHARGE permission; checked on every request):

    GET  /pos                          choose a terminal
    GET  /pos/t/{terminal}             the keypad (carries a fresh charge id)
    POST /pos/t/{terminal}/charge      create (or find again) the charge's invoice -> 303
    GET  /pos/charge/{invoice}         the full-screen customer view (QR, countdown, live)
    GET  /pos/receipt/{invoice}        the receipt, printable on 58/80 mm paper
    GET  /pos/t/{terminal}/report      the terminal's day (Asia/Almaty)
    GET  /r/{qr token}                 the shopper's own receipt (public, unguessable)
    GET  /t/{terminal}[/current]       the stand sticker's page: the current charge (public)
    GET/POST /t/{terminal}/solana-pay  Solana Pay transaction request of the current charge
    GET  /merchant/terminals/{terminal}/sticker   the printable sticker (SETTINGS)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from aiohttp import web
from markupsafe import Markup

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.chains.solana.rpc import SolanaRpc
from gateway.checkout.qrsvg import inline_svg, qr_markup
from gateway.errors import ApiError, ChainError
from gateway.http.json import read_json_object
from gateway.invoices.routes import INVOICE_DEPS, LIMITS
from gateway.merchants.ids import random_token
from gateway.portal import pos, solana_pay
from gateway.portal.errors import InvalidForm, PortalError
from gateway.portal.roles import Perm, allows
from gateway.portal.sales import today_almaty
from gateway.portal.web import (
    Ctx,
    action,
    error_page,
    page,
    redirect,
    render,
    secure_headers,
    words,
)

routes = web.RouteTableDef()
CHARGE_ID_CHARS = 24
MAX_TYPED_AMOUNT = 32  # longer than any amount parse_amount takes, short enough to echo


@dataclass(frozen=True)
class Typed:
    """What the cashier typed into a refused charge, shown again as it was (raw text: the
    cashier corrects it rather than starting again)."""

    amount: str = ""
    note: str = ""
    quantities: dict[str, str] = field(default_factory=dict)  # item id -> the typed count

    @classmethod
    def of(cls, ctx: Ctx) -> Typed:
        return cls(amount=ctx.field("amount")[:MAX_TYPED_AMOUNT],
                   note=ctx.field("note")[:200],
                   quantities={name.removeprefix("qty_"): value.strip()[:3]
                               for name, value in ctx.form.items()
                               if name.startswith("qty_") and isinstance(value, str)})


@routes.get("/pos")
@page(Perm.CHARGE)
async def choose(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        rows = await pos.terminals(conn, ctx.merchant_id)
    if len(rows) == 1:
        return redirect(ctx.request, f"/pos/t/{rows[0]['id']}")
    return ctx.render("pos_terminals.html", terminals=rows,
                      can_manage=allows(ctx.session.role, Perm.SETTINGS))


@routes.get("/pos/t/{terminal}")
@page(Perm.CHARGE)
async def keypad(ctx: Ctx) -> web.StreamResponse:
    return await _keypad(ctx, random_token(CHARGE_ID_CHARS))


async def _keypad(ctx: Ctx, charge_id: str, *, error: str | None = None,
                  typed: Typed | None = None) -> web.Response:
    """The keypad; after a refused charge, again with what was wrong and what was typed
    (nothing was created, so the same charge id stays safe to send)."""
    async with ctx.pool.acquire() as conn:
        till = await pos.terminal(conn, ctx.merchant_id, ctx.request.match_info["terminal"])
        on_sale = await pos.items(conn, ctx.merchant_id)
    return ctx.render("pos_keypad.html", status=200 if error is None else 400, error=error,
                      terminal=till, items=on_sale, charge_id=charge_id,
                      typed=typed or Typed())


@routes.post("/pos/t/{terminal}/charge")
@action(Perm.CHARGE)
async def charge(ctx: Ctx) -> web.StreamResponse:
    try:
        invoice_id = await _charge(ctx)
    except InvalidForm as exc:
        if exc.field != "amount":
            raise
        sent = ctx.field("charge_id")
        kept = sent if pos.CHARGE_ID.match(sent) else random_token(CHARGE_ID_CHARS)
        return await _keypad(ctx, kept, typed=Typed.of(ctx),
                             error=words(ctx.request)(exc.word) if exc.word else str(exc))
    return redirect(ctx.request, f"/pos/charge/{invoice_id}")


async def _charge(ctx: Ctx) -> str:
    req = pos.ChargeRequest(terminal_id=ctx.request.match_info["terminal"],
                            charge_id=ctx.field("charge_id"),
                            amount=pos.parse_amount(ctx.field("amount"), optional=True),
                            note=ctx.field("note")[:200] or None,
                            quantities={name.removeprefix("qty_"): pos.parse_quantity(value)
                                        for name, value in ctx.form.items()
                                        if name.startswith("qty_") and isinstance(value, str)})
    app = ctx.request.app
    try:
        async with ctx.pool.acquire() as conn:
            return await pos.charge(conn, app[INVOICE_DEPS], app[LIMITS], ctx.session, req)
    except ApiError as exc:  # the invoice service's own refusal (amount, stale rate, ...)
        raise InvalidForm("amount", str(exc)) from exc


@routes.get("/pos/charge/{invoice}")
@page(Perm.CHARGE)
async def customer_view(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        view = await pos.charge_view(conn, ctx.merchant_id, ctx.request.match_info["invoice"])
    options = view.invoice.options
    chosen = next((o for o in options if o.asset_id == ctx.query("asset")),
                  options[0] if options else None)
    seconds = max(0, int((view.invoice.expires_at - datetime.now(UTC)).total_seconds()))
    pay = None if chosen is None else pos.payable(view.invoice, chosen)
    qr = None if pay is None or not pay.partial else await _qr(pay.uri, pay.uri)
    return ctx.render("pos_charge.html", v=view, inv=view.invoice, chosen=chosen, pay=pay,
                      qr=qr, seconds_left=seconds)


async def _qr(url: str, label: str) -> Markup:
    return Markup(inline_svg(await asyncio.to_thread(qr_markup, url), label))


@routes.get("/pos/receipt/{invoice}")
@page(Perm.CHARGE)
async def receipt(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        view = await pos.charge_view(conn, ctx.merchant_id, ctx.request.match_info["invoice"])
    link = ctx.settings.public_url + pos.receipt_path(view.invoice.qr_token)
    return ctx.render("pos_receipt.html", v=view, inv=view.invoice, link=link,
                      qr=await _qr(link, link))


@routes.get("/t/{terminal}")
async def stand(request: web.Request) -> web.StreamResponse:
    """The shopper's side of the stand sticker: the terminal's current charge."""
    try:
        async with request.app[DB_POOL].acquire() as conn:
            view = await pos.stand(conn, request.match_info["terminal"])
    except PortalError as exc:
        return error_page(request, exc, None)
    inv = view.invoice
    chosen = None if inv is None or not inv.options else next(
        (o for o in inv.options if o.asset_id == request.query.get("asset")), inv.options[0])
    seconds = 0 if inv is None else max(
        0, int((inv.expires_at - datetime.now(UTC)).total_seconds()))
    pay = None if inv is None or chosen is None else pos.payable(inv, chosen)
    return render(request, "stand.html", s=view, inv=inv, chosen=chosen, pay=pay,
                  seconds_left=seconds)


@routes.get("/t/{terminal}/current")
async def stand_current(request: web.Request) -> web.StreamResponse:
    """The current charge's invoice id as JSON; the stand page polls it to follow the till."""
    try:
        async with request.app[DB_POOL].acquire() as conn:
            view = await pos.stand(conn, request.match_info["terminal"])
    except PortalError as exc:
        return error_page(request, exc, None)
    response = web.json_response({"invoice": None if view.invoice is None
                                  else view.invoice.id})
    secure_headers(request, response)
    return response


# Wallets fetch these from their own origin (web wallets too): the spec's CORS requirement.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type"}


def _wallet_json(request: web.Request, body: dict[str, str], status: int = 200) -> web.Response:
    response = web.json_response(body, status=status, headers=CORS)
    secure_headers(request, response)
    return response


@routes.get("/t/{terminal}/solana-pay")
async def solana_pay_label(request: web.Request) -> web.StreamResponse:
    """Solana Pay transaction request, GET: the label and icon the wallet shows."""
    try:
        async with request.app[DB_POOL].acquire() as conn:
            view = await pos.stand(conn, request.match_info["terminal"])
    except PortalError as exc:
        return _wallet_json(request, {"message": str(exc)}, exc.status)
    icon = request.app[SETTINGS].public_url + "/checkout/static/icon.svg"
    label = f"{view.terminal['merchant_name']} · {view.terminal['name']}"
    return _wallet_json(request, {"label": label, "icon": icon})


async def _latest_blockhash(rpc_url: str) -> str:
    rpc = SolanaRpc(rpc_url)
    try:
        answer = await rpc.call("getLatestBlockhash", [{"commitment": "confirmed"}])
    finally:
        await rpc.close()
    blockhash: str = answer["value"]["blockhash"]
    return blockhash


@routes.post("/t/{terminal}/solana-pay")
async def solana_pay_transaction(request: web.Request) -> web.StreamResponse:
    """Solana Pay transaction request, POST {"account"}: the unsigned transaction paying the
    terminal's current charge."""
    try:
        body = await read_json_object(request, max_bytes=4096)
        account = solana_pay.parse_account(body.get("account"))
        async with request.app[DB_POOL].acquire() as conn:
            view = await pos.stand(conn, request.match_info["terminal"])
        payment = pos.solana_payment(view, request.query.get("asset"))
        blockhash = await _latest_blockhash(request.app[SETTINGS].solana_rpc_url)
    except PortalError as exc:
        return _wallet_json(request, {"message": str(exc)}, exc.status)
    except (ApiError, ChainError) as exc:
        return _wallet_json(request, {"message": str(exc)}, 400 if isinstance(exc, ApiError)
                            else 503)
    assert view.invoice is not None  # solana_payment refused a terminal without a charge
    return _wallet_json(request, {
        "transaction": solana_pay.unsigned_transaction(account, payment, blockhash),
        "message": f"{view.terminal['merchant_name']}: {view.invoice.id}"})


@routes.get("/merchant/terminals/{terminal}/sticker")
@page(Perm.SETTINGS)
async def sticker(ctx: Ctx) -> web.StreamResponse:
    """A printable stand sticker whose QR opens /t/<terminal> on the shopper's phone."""
    async with ctx.pool.acquire() as conn:
        till = await pos.terminal(conn, ctx.merchant_id, ctx.request.match_info["terminal"])
    link = ctx.settings.public_url + pos.stand_path(till["id"])
    solana = pos.solana_pay_link(ctx.settings.public_url, till["id"])
    return ctx.render("sticker.html", terminal=till, link=link, qr=await _qr(link, link),
                      solana_link=solana, solana_qr=await _qr(solana, solana))


@routes.get("/r/{token}")
async def public_receipt(request: web.Request) -> web.StreamResponse:
    try:
        async with request.app[DB_POOL].acquire() as conn:
            row = await pos.public_receipt(conn, request.match_info["token"])
    except PortalError as exc:
        return error_page(request, exc, None)
    return render(request, "receipt_public.html", r=row)


@routes.get("/pos/t/{terminal}/report")
@page(Perm.CHARGE)
async def report(ctx: Ctx) -> web.StreamResponse:
    raw = ctx.query("day")
    try:
        day = date.fromisoformat(raw) if raw else today_almaty(datetime.now(UTC))
    except ValueError as exc:
        raise InvalidForm("day", "must be YYYY-MM-DD") from exc
    async with ctx.pool.acquire() as conn:
        till, rows = await pos.day_report(conn, ctx.merchant_id,
                                          ctx.request.match_info["terminal"], day)
    return ctx.render("pos_report.html", terminal=till, day=day, rows=rows,
                      count=sum(r["count"] for r in rows), total=sum(r["total"] for r in rows))


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
