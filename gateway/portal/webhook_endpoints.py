"""The developers page's webhook endpoints: add one (its signing secret is shown once), disable
or enable it, delete it; each change in the merchant's audit log, in the change's transaction.

The rules are the webhooks domain's own (gateway.webhooks.service: the API's URL check with
its private-network refusal, the event filter, the per-merchant endpoint cap), so the portal
accepts exactly what `POST /v1/webhook_endpoints` accepts. No SQL, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gateway.config import Settings
from gateway.errors import InvalidRequest, NotFound
from gateway.portal.errors import InvalidForm, PageNotFound
from gateway.portal.service import Actor, record
from gateway.webhooks import service as webhooks
from gateway.webhooks.urlguard import UrlPolicy
from settlement.db import Conn

ALL_EVENTS: Final = "*"
TARGET: Final = "webhook_endpoint"


@dataclass(frozen=True)
class EndpointForm:
    """What the owner typed: the URL, the chosen event types ("*" for all), a note, and the
    mode (a test endpoint is sent the events of test invoices only, a live one live only)."""

    url: str
    events: list[str]
    description: str
    livemode: bool = True

    def body(self) -> dict[str, Any]:
        """The same fields the API's JSON body carries."""
        events = [ALL_EVENTS] if ALL_EVENTS in self.events else self.events
        return {"url": self.url, "enabled_events": events,
                "description": self.description}


async def create(conn: Conn, merchant_id: str, form: EndpointForm, settings: Settings,
                 actor: Actor) -> dict[str, Any]:
    """A new endpoint; the answer carries its `secret`, which is never shown again."""
    try:
        async with conn.transaction():
            endpoint = await webhooks.create_endpoint(
                conn, merchant_id, form.body(), UrlPolicy(dev=settings.dev),
                max_endpoints=settings.webhooks.max_endpoints,
                secret_key=settings.webhooks.secret_key, livemode=form.livemode)
            await record(conn, merchant_id, actor, "webhook_endpoint.create",
                         target_type=TARGET, target_id=endpoint["id"],
                         after={k: endpoint[k] for k in ("url", "enabled_events",
                                                         "description", "status",
                                                         "livemode")})
    except InvalidRequest as exc:
        raise InvalidForm(exc.param or "url", exc.message) from exc
    return endpoint


async def set_enabled(conn: Conn, merchant_id: str, endpoint_id: str, enabled: bool,
                      actor: Actor) -> None:
    async with conn.transaction():
        try:
            before = await webhooks.get_endpoint(conn, merchant_id, endpoint_id)
            after = await webhooks.set_endpoint_enabled(conn, merchant_id, endpoint_id,
                                                        enabled)
        except NotFound as exc:
            raise PageNotFound("No such webhook endpoint.") from exc
        if after["status"] != before["status"]:
            await record(conn, merchant_id, actor,
                         "webhook_endpoint.enable" if enabled else "webhook_endpoint.disable",
                         target_type=TARGET, target_id=endpoint_id,
                         before={"status": before["status"]},
                         after={"status": after["status"]})


async def delete(conn: Conn, merchant_id: str, endpoint_id: str, actor: Actor) -> None:
    """Deleted for good (kept for the delivery log); its pending deliveries are cancelled."""
    async with conn.transaction():
        try:
            before = await webhooks.get_endpoint(conn, merchant_id, endpoint_id)
            await webhooks.delete_endpoint(conn, merchant_id, endpoint_id)
        except NotFound as exc:
            raise PageNotFound("No such webhook endpoint.") from exc
        await record(conn, merchant_id, actor, "webhook_endpoint.delete", target_type=TARGET,
                     target_id=endpoint_id,
                     before={"url": before["url"], "status": before["status"]})
