"""Refunds over the admin JSON API under /admin/api (rules: gateway.refunds.service):

    GET  /admin/api/refunds[?status=...&after=<refund id>&limit=1..100]   any role
    POST /admin/api/refunds/{id}/approve     pending_approval -> sending   the `admin` role
    POST /admin/api/refunds/{id}/reject      {"reason": "..."} -> cancelled the `admin` role
    GET  /admin/api/refunds/{id}/unsigned    offline signing: the transaction to sign   any role
    POST /admin/api/refunds/{id}/signed      {"signed": "..."}: the operator's signed bytes
                                             (gateway.refunds.sending.offline)     the `admin` role

Money leaves custody on an approval, so deciding needs an administrator (as four-eyes
approvals do); each decision is one audit log line in the decision's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.admin import audit
from gateway.admin.api_access import ApiCaller, api_caller
from gateway.admin.settlement.routes_approvals import admin_caller
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest
from gateway.http.json import read_json_object
from gateway.refunds import service
from gateway.refunds.models import Refund, refund_object
from gateway.refunds.routes import parse_status, refund_id_param
from gateway.refunds.sending import offline
from gateway.refunds.sending.wiring import open_networks

routes = web.RouteTableDef()
PREFIX = "/admin/api/refunds"
DEFAULT_PAGE, MAX_PAGE = 50, 100
MAX_REASON = 500


def admin_object(refund: Refund, public_url: str) -> dict[str, Any]:
    """The merchant's Refund object plus what the zone console needs to decide."""
    return {
        **refund_object(refund, service.claim_url(public_url, refund)),
        "merchant_id": refund.merchant_id,
        "stranded_amount": refund.stranded_amount,
        "sale_amount": refund.sale_amount,
        "decided_by": refund.decided_by,
        "decided_at": refund.decided_at.isoformat() if refund.decided_at else None,
    }


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit", str(DEFAULT_PAGE))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1..{MAX_PAGE}", param="limit")
    return int(raw)


@routes.get(PREFIX)
async def list_refunds(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    limit = _limit(request.query)
    async with request.app[DB_POOL].acquire() as conn:
        found = await service.list_all_refunds(
            conn, status=parse_status(request.query),
            starting_after=request.query.get("after") or None, limit=limit + 1)
    public_url = request.app[SETTINGS].public_url
    return web.json_response({"object": "list",
                              "data": [admin_object(r, public_url) for r in found[:limit]],
                              "has_more": len(found) > limit})


async def _decide(request: web.Request, caller: ApiCaller, action: str,
                  reason: str | None) -> web.Response:
    refund_id = refund_id_param(request)
    async with request.app[DB_POOL].acquire() as conn, conn.transaction():
        if reason is None:
            done = await service.approve_refund(conn, refund_id=refund_id,
                                                admin=caller.actor.name)
        else:
            done = await service.reject_refund(conn, refund_id=refund_id,
                                               admin=caller.actor.name, reason=reason)
        await audit.record(conn, caller.actor, action, target_type="refund",
                           target_id=refund_id, before={"status": "pending_approval"},
                           after={"status": done.status.value, "amount": done.amount,
                                  "reason": reason})
    return web.json_response(admin_object(done, request.app[SETTINGS].public_url))


@routes.post(PREFIX + "/{id}/approve")
async def approve(request: web.Request) -> web.Response:
    caller = await admin_caller(request)
    await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    return await _decide(request, caller, "refund.approve", None)


@routes.post(PREFIX + "/{id}/reject")
async def reject(request: web.Request) -> web.Response:
    caller = await admin_caller(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidRequest(f"reason is required (1..{MAX_REASON} characters)",
                             param="reason")
    return await _decide(request, caller, "refund.reject", reason.strip())


@routes.get(PREFIX + "/{id}/unsigned")
async def unsigned(request: web.Request) -> web.Response:
    """409 not_awaiting_signature when nothing waits for a signature; 422 blockhash_expired
    while an expired Solana message waits to be rebuilt."""
    await api_caller(request, change=False)
    refund_id = refund_id_param(request)
    async with request.app[DB_POOL].acquire() as conn, \
            open_networks(request.app[SETTINGS]) as chains:
        found = await offline.unsigned_transaction(conn, refund_id, networks=chains)
    return web.json_response(found.as_json())


@routes.post(PREFIX + "/{id}/signed")
async def signed(request: web.Request) -> web.Response:
    """422 signature_refused (not exactly the built transaction signed by the refund wallet)
    or blockhash_expired (signed too late: nothing stored, the refund is rebuilt)."""
    caller = await admin_caller(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    text = body.get("signed")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("signed is required: the signed transaction", param="signed")
    refund_id = refund_id_param(request)
    async with request.app[DB_POOL].acquire() as conn, \
            open_networks(request.app[SETTINGS]) as chains, conn.transaction():
        done = await offline.submit_signed(conn, refund_id, text, networks=chains)
        await audit.record(conn, caller.actor, "refund.signed", target_type="refund",
                           target_id=refund_id, after={"tx": done.tx})
    return web.json_response(admin_object(done, request.app[SETTINGS].public_url))


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
