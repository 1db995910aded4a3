"""HTTP of the shopper checkout.

    GET /pay/{id}                  the page (`checkout_url`); `?lang=kk|ru|en`, `?asset=<id>`
    GET /pay/{id}/panel            the payment panel of one option, as an HTML fragment: the
                                   script swaps it in on an option switch and after a partial
                                   payment (new remainder QR), without reloading the page
    GET /checkout/static/{name}    the page's CSS, JS and icon
    GET /favicon.ico               the same icon, for pages without a <link rel="icon"> (a
                                   merchant's redirect target on our host, /healthz): browsers
                                   ask for it unprompted

The live status stream `GET /pay/{id}/events` belongs to gateway.live. An unknown invoice is
an HTML 404 page in the shopper's language (the JSON error shape is for API clients).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.checkout import service
from gateway.checkout.assets import StaticFile, load_static
from gateway.checkout.headers import SECURITY_HEADERS
from gateway.checkout.i18n import Translator, choose_language
from gateway.checkout.qrsvg import QrMarkupCache, inline_svg
from gateway.checkout.render import (
    Chrome,
    page_url,
    qr_label,
    render_not_found,
    render_page,
    render_panel,
)
from gateway.log import get_logger
from gateway.merchants.ids import INVOICE_ID
from gateway.status.routes import STATUS_CACHE
from gateway.status.service import not_live

log = get_logger(__name__)

HTML: Final = "text/html"
NO_STORE: Final = "no-store"


@dataclass(frozen=True)
class CheckoutContext:
    static: dict[str, StaticFile]
    chrome: Chrome
    qr: QrMarkupCache
    default_lang: str
    redirect_delay: int


CHECKOUT: Final = web.AppKey("checkout", CheckoutContext)

routes = web.RouteTableDef()


def _translator(request: web.Request) -> Translator:
    ctx = request.app[CHECKOUT]
    return Translator(choose_language(request.query.get("lang"),
                                      request.headers.get("Accept-Language"), ctx.default_lang))


def _html(body: str, *, status: int = 200, lang: str | None = None) -> web.Response:
    headers = {**SECURITY_HEADERS, "Cache-Control": NO_STORE}
    if lang:
        headers["Content-Language"] = lang
    response = web.Response(text=body, status=status, content_type=HTML, charset="utf-8",
                            headers=headers)
    response.enable_compression()
    return response


async def _view(request: web.Request, invoice_id: str) -> service.CheckoutView | None:
    if not INVOICE_ID.match(invoice_id):
        return None  # cannot exist: no query
    async with request.app[DB_POOL].acquire() as conn:
        down = frozenset(not_live(await request.app[STATUS_CACHE].states(conn)))
        return await service.load_view(conn, invoice_id, datetime.now(UTC), down)


def _not_found(request: web.Request, t: Translator, invoice_id: str) -> web.Response:
    ctx = request.app[CHECKOUT]
    body = render_not_found(t, ctx.chrome, page_url(invoice_id[:80]))
    return _html(body, status=404, lang=t.lang)


async def _panel(ctx: CheckoutContext, option: service.OptionView, t: Translator) -> str:
    markup = await ctx.qr.get(option.uri)
    return render_panel(option, inline_svg(markup, qr_label(option, t)), t)


@routes.get("/pay/{id}")
async def checkout_page(request: web.Request) -> web.Response:
    invoice_id = request.match_info["id"]
    t = _translator(request)
    view = await _view(request, invoice_id)
    if view is None:
        return _not_found(request, t, invoice_id)
    ctx = request.app[CHECKOUT]
    selected = view.option(request.query.get("asset"))
    panel = await _panel(ctx, selected, t) if selected is not None else ""
    log.debug("checkout_page", invoice_id=invoice_id, phase=view.phase.value, lang=t.lang)
    return _html(render_page(view, selected, panel, t, ctx.chrome, ctx.redirect_delay),
                 lang=t.lang)


@routes.get("/pay/{id}/panel")
async def checkout_panel(request: web.Request) -> web.Response:
    invoice_id = request.match_info["id"]
    t = _translator(request)
    view = await _view(request, invoice_id)
    if view is None:
        return _not_found(request, t, invoice_id)
    selected = view.option(request.query.get("asset"))
    if selected is None:
        # Nothing to pay any more (paid, expired, ...): the script follows the live status.
        return _html("", status=409, lang=t.lang)
    return _html(await _panel(request.app[CHECKOUT], selected, t), lang=t.lang)


@routes.get("/checkout/static/{name}")
async def static_file(request: web.Request) -> web.Response:
    found = request.app[CHECKOUT].static.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    return _static_response(request, found)


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.Response:
    return _static_response(request, request.app[CHECKOUT].static["icon.svg"])


def _static_response(request: web.Request, found: StaticFile) -> web.Response:
    headers = {**SECURITY_HEADERS, "Cache-Control": found.cache_control(request.query.get("v")),
               "ETag": f'"{found.version}"'}
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    response = web.Response(body=found.body, content_type=found.content_type, headers=headers)
    response.enable_compression()
    return response


def _context(app: web.Application) -> CheckoutContext:
    settings = app[SETTINGS]
    static = load_static()
    chrome = Chrome(css_url=static["checkout.css"].url, js_url=static["checkout.js"].url,
                    icon_url=static["icon.svg"].url)
    return CheckoutContext(static=static, chrome=chrome, qr=QrMarkupCache(),
                           default_lang=settings.checkout.default_lang,
                           redirect_delay=settings.checkout.redirect_delay)


def setup(app: web.Application) -> None:
    app[CHECKOUT] = _context(app)
    app.router.add_routes(routes)
