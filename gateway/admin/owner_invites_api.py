"""A merchant owner's portal invite over the admin JSON API under /admin/api (the console's
"Invite owner" button, gateway.admin.console.service.invite_owner, for scripts):

    POST /admin/api/merchants/{merchant_id}/owner-invites   {"email": "..."}   the `admin` role

201 with the one-time link (`url`), returned once: only its hash is kept, so this answer is
the only place it appears. Audited like the console action (`merchant.owner_invite` in the
admin audit log and, as `zone-admin:<name>`, in the merchant's own).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.admin.console import service
from gateway.admin.errors import InvalidForm, PageNotFound
from gateway.admin.settlement.routes_approvals import admin_caller
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest, NotFound
from gateway.http.json import read_json_object
from gateway.portal.service import Invite

routes = web.RouteTableDef()
PATH = "/admin/api/merchants/{merchant_id}/owner-invites"


def invite_object(made: Invite, public_url: str) -> dict[str, Any]:
    return {"object": "merchant_invite", "merchant_id": made.merchant_id,
            "email": made.email, "role": made.role.value,
            "expires_at": made.expires_at.isoformat(),
            "url": f"{public_url}/merchant/invite/{made.url_token}"}


@routes.post(PATH)
async def invite_owner(request: web.Request) -> web.Response:
    caller = await admin_caller(request)
    settings = request.app[SETTINGS]
    body = await read_json_object(request, max_bytes=settings.max_body_bytes)
    email = body.get("email")
    if not isinstance(email, str):
        raise InvalidRequest("email is required", param="email")
    try:
        async with request.app[DB_POOL].acquire() as conn:
            made = await service.invite_owner(conn, caller.actor,
                                              request.match_info["merchant_id"], email)
    except PageNotFound as exc:
        raise NotFound(str(exc)) from exc
    except InvalidForm as exc:
        raise InvalidRequest(str(exc), param=exc.field) from exc
    return web.json_response(invite_object(made, settings.public_url), status=201)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
