"""/v1/webhook_endpoints and /v1/events (HTTP only; rules live in service.py).

POSTs run inside the request transaction opened by the idempotency middleware
(`tx_conn`, `json_body`), so an Idempotency-Key replays a created endpoint instead of creating
a second one; the replay leaves the secret out (it is shown once and never saved).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest
from gateway.http.auth import principal
from gateway.http.idempotency import json_body, save_instead, tx_conn
from gateway.http.pagination import list_object, parse_page
from gateway.invoices.params import reject_unknown
from gateway.webhooks import service
from gateway.webhooks.urlguard import UrlPolicy

routes = web.RouteTableDef()

# A misspelt or unsupported field is 400 unknown_parameter, as on invoice and refund create,
# instead of an endpoint created without what the caller meant to set.
ENDPOINT_FIELDS = frozenset({"url", "enabled_events", "description"})
REDELIVER_FIELDS = frozenset({"endpoint"})


def _merchant(request: web.Request) -> str:
    return principal(request).merchant_id


def _livemode(request: web.Request) -> bool:
    """The API key's mode: a key sees and acts on endpoints and events of its mode only."""
    return principal(request).livemode


def _list(request: web.Request, items: list[dict[str, Any]], has_more: bool) -> web.Response:
    return web.json_response(list_object(request.path, items, has_more))


@routes.post("/v1/webhook_endpoints")
async def create_endpoint(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = json_body(request)
    reject_unknown(body, ENDPOINT_FIELDS)
    endpoint = await service.create_endpoint(
        tx_conn(request), _merchant(request), body, UrlPolicy(dev=settings.dev),
        max_endpoints=settings.webhooks.max_endpoints,
        secret_key=settings.webhooks.secret_key, livemode=_livemode(request))
    # The secret is shown this once: an Idempotency-Key replay answers the endpoint without
    # it (the saved response never holds it).
    save_instead(request, json.dumps({k: v for k, v in endpoint.items() if k != "secret"}))
    return web.json_response(endpoint)


# A misspelt filter is 400 unknown_parameter, as on the invoice and refund lists, instead of
# silently answering the unfiltered list.
ENDPOINT_LIST_PARAMS = frozenset({"limit", "starting_after"})
EVENT_LIST_PARAMS = frozenset({"limit", "starting_after", "type", "invoice"})


@routes.get("/v1/webhook_endpoints")
async def list_endpoints(request: web.Request) -> web.Response:
    reject_unknown(dict(request.query), ENDPOINT_LIST_PARAMS)
    page = parse_page(request.query)
    async with request.app[DB_POOL].acquire() as conn:
        items, has_more = await service.list_endpoints(conn, _merchant(request),
                                                       page.starting_after, page.limit,
                                                       livemode=_livemode(request))
    return _list(request, items, has_more)


@routes.get("/v1/webhook_endpoints/{id}")
async def get_endpoint(request: web.Request) -> web.Response:
    async with request.app[DB_POOL].acquire() as conn:
        endpoint = await service.get_endpoint(conn, _merchant(request), request.match_info["id"],
                                              livemode=_livemode(request))
    return web.json_response(endpoint)


@routes.delete("/v1/webhook_endpoints/{id}")
async def delete_endpoint(request: web.Request) -> web.Response:
    async with request.app[DB_POOL].acquire() as conn:
        deleted = await service.delete_endpoint(conn, _merchant(request),
                                                request.match_info["id"],
                                                livemode=_livemode(request))
    return web.json_response(deleted)


@routes.get("/v1/events")
async def list_events(request: web.Request) -> web.Response:
    reject_unknown(dict(request.query), EVENT_LIST_PARAMS)
    page = parse_page(request.query)
    type_filter = service.parse_event_type_filter(request.query.get("type"))
    async with request.app[DB_POOL].acquire() as conn:
        items, has_more = await service.list_events(
            conn, _merchant(request), page.starting_after, page.limit, type=type_filter,
            invoice_id=request.query.get("invoice") or None,
            public_url=request.app[SETTINGS].public_url, livemode=_livemode(request))
    return _list(request, items, has_more)


@routes.get("/v1/events/{id}")
async def get_event(request: web.Request) -> web.Response:
    async with request.app[DB_POOL].acquire() as conn:
        event = await service.get_event(conn, _merchant(request), request.match_info["id"],
                                        request.app[SETTINGS].public_url,
                                        livemode=_livemode(request))
    return web.json_response(event)


@routes.post("/v1/events/{id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    body = json_body(request)
    reject_unknown(body, REDELIVER_FIELDS)
    endpoint = body.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        raise InvalidRequest("endpoint must be a webhook endpoint id.", param="endpoint")
    event_id = request.match_info["id"]
    ids = await service.redeliver(tx_conn(request), _merchant(request), event_id, endpoint,
                                  livemode=_livemode(request))
    return web.json_response({"object": "redelivery", "event": event_id, "deliveries": ids})
