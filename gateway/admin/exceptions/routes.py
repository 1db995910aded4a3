"""Admin JSON API of the exceptions queue (under /admin/api/, administrators' tokens or
sessions; decisions need `operator` or `admin`)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from gateway.admin.api_access import api_caller
from gateway.admin.exceptions import service
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest
from gateway.http.json import read_json_object

routes = web.RouteTableDef()
DEFAULT_PAGE = 100


def _decided(query: Mapping[str, str]) -> bool | None:
    raw = query.get("decided")
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise InvalidRequest("decided must be true or false", param="decided")
    return raw == "true"


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit():
        raise InvalidRequest("limit must be a number", param="limit")
    return int(raw)


def filters(query: Mapping[str, str]) -> service.Filters:
    return service.Filters(kind=query.get("kind") or None, chain=query.get("chain") or None,
                           asset=query.get("asset") or None,
                           invoice_id=query.get("invoice") or None, decided=_decided(query))


@routes.get("/admin/api/exceptions")
async def list_exceptions(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    floors = request.app[SETTINGS].settlement.dust_floors
    async with request.app[DB_POOL].acquire() as conn:
        found = await service.page(conn, floors, filters(request.query),
                                   request.query.get("after") or None, _limit(request.query))
    return web.json_response({"object": "list", "data": [i.as_json() for i in found.items],
                              "has_more": found.next_cursor is not None,
                              "next_cursor": found.next_cursor})


@routes.post("/admin/api/exceptions/{key}/decision")
async def decide(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    action, note, invoice_id = body.get("action"), body.get("note"), body.get("invoice_id")
    if not isinstance(action, str):
        raise InvalidRequest("action is required (accept, assign, refund or acknowledge)",
                             param="action")
    if note is not None and not isinstance(note, str):
        raise InvalidRequest("note must be text", param="note")
    if invoice_id is not None and not isinstance(invoice_id, str):
        raise InvalidRequest("invoice_id must be text", param="invoice_id")
    async with request.app[DB_POOL].acquire() as conn:
        done = await service.decide(conn, caller.actor, request.match_info["key"], action, note,
                                    invoice_id=invoice_id,
                                    public_url=request.app[SETTINGS].public_url)
    return web.json_response(done)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
