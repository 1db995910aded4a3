"""Four-eyes approvals over the JSON API under /admin/api (gateway.admin.approvals):

    GET  /admin/api/approvals[?status=pending|approved|rejected]
    GET  /admin/api/approvals/{id}
    POST /admin/api/approvals/{id}/approve      an admin other than the requester
    POST /admin/api/approvals/{id}/reject       {"reason": "..."} (optional)

`POST /admin/api/batches/export` and `POST /admin/api/batches/{id}/paid` answer 202 with the
pending request; the approval's answer carries what the change did (`result`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from gateway.admin import auth
from gateway.admin.api_access import ApiCaller, api_caller
from gateway.admin.approvals import service as approvals
from gateway.admin.errors import (
    ActionRefused,
    ApprovalNotFound,
    OwnApproval,
    RoleForbidden,
)
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unprocessable
from gateway.http.json import read_json_object
from settlement.batches.errors import BatchNotFound, IllegalBatchTransition
from settlement.errors import LedgerError, MoneyError, SettlementError

routes = web.RouteTableDef()
PREFIX = "/admin/api/approvals"


@contextmanager
def mapped() -> Iterator[None]:
    """Four-eyes refusals (and those of the approved change) in the one error shape."""
    try:
        yield
    except (ApprovalNotFound, BatchNotFound) as exc:
        raise NotFound(str(exc)) from exc
    except OwnApproval as exc:
        raise Forbidden(str(exc), code="own_approval") from exc
    except (ActionRefused, IllegalBatchTransition) as exc:
        raise Conflict(str(exc)) from exc
    except (SettlementError, LedgerError, MoneyError) as exc:
        raise Unprocessable(str(exc)) from exc


async def admin_caller(request: web.Request) -> ApiCaller:
    """Deciding needs the `admin` role (with a write token)."""
    caller = await api_caller(request, change=True)
    try:
        auth.require_admin(caller.principal)
    except RoleForbidden as exc:
        raise Forbidden(str(exc), code="role_forbidden") from exc
    return caller


@routes.get(PREFIX)
async def list_approvals(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    status = request.query.get("status")
    if status is not None and status not in {s.value for s in approvals.Status}:
        raise InvalidRequest("status must be pending, approved or rejected", param="status")
    async with request.app[DB_POOL].acquire() as conn:
        found = await approvals.list_approvals(conn, status)
    return web.json_response({"data": [a.as_json() for a in found]})


@routes.get(PREFIX + "/{approval_id}")
async def get_approval(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    with mapped():
        async with request.app[DB_POOL].acquire() as conn:
            found = await approvals.get_approval(conn, request.match_info["approval_id"])
    return web.json_response(found.as_json())


@routes.post(PREFIX + "/{approval_id}/approve")
async def approve(request: web.Request) -> web.Response:
    caller = await admin_caller(request)
    await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    with mapped():
        async with request.app[DB_POOL].acquire() as conn:
            done = await approvals.approve(conn, caller.actor, request.app[SETTINGS],
                                           request.match_info["approval_id"])
    return web.json_response(done.as_json())


@routes.post(PREFIX + "/{approval_id}/reject")
async def reject(request: web.Request) -> web.Response:
    caller = await admin_caller(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    reason = body.get("reason")
    with mapped():
        async with request.app[DB_POOL].acquire() as conn:
            done = await approvals.reject(conn, caller.actor, request.match_info["approval_id"],
                                          reason if isinstance(reason, str) else None)
    return web.json_response(done.as_json())


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
