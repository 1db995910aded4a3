"""HTTP of the refund claim page (public: the unguessable claim token is the key).

    GET  /refunds/claim/{token}    the refund: merchant, amount in KZT (and in the asset's
                                   units once known), then the form (awaiting an address) or
                                   the status with the address and transaction; `?lang=`
    POST /refunds/claim/{token}    asset + address: gateway.refunds.service.claim_refund;
                                   an invalid address is shown inline, in the page's language

CSRF: a double-submit token. GET sets a random value in a SameSite=Strict, HttpOnly cookie
scoped to this claim's path and puts the same value in the form; POST must echo it. Rate
limits are the public pages' (gateway.http.public_limits covers /refunds/claim/).
"""

from __future__ import annotations

import re
from typing import Final

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.auth.tokens import new_token, tokens_match
from gateway.checkout.claim.links import claim_url
from gateway.checkout.claim.render import render_claim, render_not_found
from gateway.checkout.claim.view import ClaimView, build_view
from gateway.checkout.claim.words import ClaimWords
from gateway.checkout.headers import SECURITY_HEADERS
from gateway.checkout.i18n import choose_language
from gateway.checkout.routes import CHECKOUT
from gateway.errors import ApiError, NotFound
from gateway.log import get_logger
from gateway.merchants import service as merchants
from gateway.rates import RATE_BOOK
from gateway.refunds import service as refunds
from gateway.refunds.errors import InvalidRefundAddress
from gateway.refunds.states import RefundStatus

log = get_logger(__name__)

CLAIM_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
CSRF_COOKIE: Final = "ccp_claim"
CSRF_FIELD: Final = "csrf_token"
ADDRESS_CHARS: Final = 100


def _words(request: web.Request) -> ClaimWords:
    default = request.app[CHECKOUT].default_lang
    return ClaimWords(choose_language(request.query.get("lang"),
                                      request.headers.get("Accept-Language"), default))


def _html(request: web.Request, body: str, lang: str, *, status: int = 200,
          csrf: str | None = None) -> web.Response:
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store", "Content-Language": lang}
    response = web.Response(text=body, status=status, content_type="text/html",
                            charset="utf-8", headers=headers)
    if csrf is not None:
        secure = request.secure or request.app[SETTINGS].public_url.startswith("https://")
        response.set_cookie(CSRF_COOKIE, csrf, path=claim_url(request.match_info["token"]),
                            httponly=True, samesite="Strict", secure=secure)
    return response


async def _view(request: web.Request, token: str) -> ClaimView | None:
    if not CLAIM_TOKEN.match(token):
        return None  # cannot exist: no query
    async with request.app[DB_POOL].acquire() as conn:
        try:
            refund = await refunds.refund_for_claim(conn, token)
        except NotFound:
            return None
        merchant = await merchants.get_merchant(conn, refund.merchant_id)
        assets = (await refunds.claim_assets(conn, refund)
                  if refund.status is RefundStatus.AWAITING_ADDRESS else [])
    return build_view(refund, merchant.name, assets)


def _not_found(request: web.Request, t: ClaimWords, token: str) -> web.Response:
    body = render_not_found(t, request.app[CHECKOUT].chrome, claim_url(token[:130]))
    return _html(request, body, t.lang, status=404)


def _csrf(request: web.Request) -> str:
    """The claim's double-submit token: the browser's own when it sent one, else a new one."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if tokens_match(current, current) else new_token()


async def claim_page(request: web.Request) -> web.Response:
    token, t = request.match_info["token"], _words(request)
    view = await _view(request, token)
    if view is None:
        return _not_found(request, t, token)
    csrf = _csrf(request)
    body = render_claim(view, t, request.app[CHECKOUT].chrome, csrf=csrf)
    return _html(request, body, t.lang, csrf=csrf)


def _again(request: web.Request, view: ClaimView, t: ClaimWords, *, status: int,
           error: str, picked: str | None, address: str) -> web.Response:
    """The form again with the shopper's input and the reason inline."""
    csrf = _csrf(request)
    body = render_claim(view, t, request.app[CHECKOUT].chrome, csrf=csrf, picked=picked,
                        address=address, error=error)
    return _html(request, body, t.lang, status=status, csrf=csrf)


def _see_status(token: str, t: ClaimWords) -> web.Response:
    """After a POST: the page again by GET (a reload never re-submits the form)."""
    return web.Response(status=303, headers={**SECURITY_HEADERS, "Cache-Control": "no-store",
                                             "Location": f"{claim_url(token)}?lang={t.lang}"})


def _field(value: object, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


async def claim_submit(request: web.Request) -> web.Response:
    token, t = request.match_info["token"], _words(request)
    view = await _view(request, token)
    if view is None:
        return _not_found(request, t, token)
    if not view.claimable:  # claimed already (another tab, a double tap): show where it is
        return _see_status(token, t)
    form = await request.post()
    picked, address = _field(form.get("asset"), 20) or None, _field(form.get("address"),
                                                                     ADDRESS_CHARS)
    given = form.get(CSRF_FIELD)
    if not tokens_match(request.cookies.get(CSRF_COOKIE), given if isinstance(given, str)
                        else None):
        log.warning("claim_csrf_rejected", client_ip=request.remote)
        return _again(request, view, t, status=403, error=t("error_form"), picked=picked,
                      address=address)
    choice = view.choice(picked)
    if choice is None:
        return _again(request, view, t, status=422, error=t("error_asset"), picked=None,
                      address=address)
    try:
        async with request.app[DB_POOL].acquire() as conn, conn.transaction():
            await refunds.claim_refund(
                conn, request.app[RATE_BOOK], token=token, asset_id=choice.asset_id,
                address=address,
                auto_approve_max=request.app[SETTINGS].settlement.refund_auto_approve_max)
    except InvalidRefundAddress:
        return _again(request, view, t, status=422, picked=picked, address=address,
                      error=t("error_address", chain=choice.chain_name))
    except ApiError as exc:
        log.info("claim_refused", code=exc.code)
        return _again(request, view, t, status=exc.status, picked=picked, address=address,
                      error=t("error_other", detail=exc.message))
    log.info("refund_claimed", asset=choice.asset_id)
    return _see_status(token, t)


def setup(app: web.Application) -> None:
    app.router.add_routes([
        web.get("/refunds/claim/{token}", claim_page),
        web.post("/refunds/claim/{token}", claim_submit),
    ])
