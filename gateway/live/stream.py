"""One SSE stream of an invoice: snapshot, Last-Event-ID replay, then changes as they commit.

The subscription is taken before the snapshot is read, so a change committing in between is
either in the snapshot's event list or queued for us; nothing falls in the gap. A reconnect of
the hub (RESYNC) makes the stream compare the invoice's events with what it sent and send the
difference. A dropped (too slow) or closing subscriber ends the stream; the browser's
EventSource reconnects after `retry` with Last-Event-ID and catches up from the table.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.events.hub import HUB, RESYNC, Notice, Subscription
from gateway.live import service
from gateway.live.service import LiveEvent
from gateway.live.sse import EventStream
from gateway.live.views import live_view
from gateway.log import get_logger

log = get_logger(__name__)

SNAPSHOT_EVENT = "invoice"


@dataclass
class InvoiceStream:
    request: web.Request
    invoice_id: str
    merchant_id: str | None  # None: the public checkout stream
    livemode: bool | None = None  # the API key's mode (None: the public stream, any mode)
    sent: set[str] = field(default_factory=set)

    @property
    def public(self) -> bool:
        return self.merchant_id is None

    @property
    def _public_url(self) -> str:
        return self.request.app[SETTINGS].public_url

    async def serve(self) -> web.StreamResponse:
        app = self.request.app
        settings = app[SETTINGS]
        with app[HUB].subscribe(self.invoice_id) as sub:
            # Read before the response starts, so an unknown invoice is a normal 404.
            async with app[DB_POOL].acquire() as conn:
                snapshot = await service.load_snapshot(
                    conn, self.invoice_id, self.merchant_id, settings.public_url,
                    livemode=self.livemode)
            self.sent.update(snapshot.event_ids)
            stream = await EventStream.open(self.request, retry_ms=int(settings.live.retry * 1000))
            try:
                await stream.send(SNAPSHOT_EVENT, live_view(snapshot.invoice, public=self.public),
                                  id=snapshot.latest_event_id)
                await self._replay(stream, self.request.headers.get("Last-Event-ID"))
                await self._follow(stream, sub, float(settings.live.heartbeat))  # float-ok
            except ConnectionResetError:
                log.debug("live_client_gone", invoice_id=self.invoice_id)
        return stream.response

    async def _send(self, stream: EventStream, events: list[LiveEvent]) -> None:
        for event in events:
            await stream.send(event.type, live_view(event.data, public=self.public),
                              id=event.id)
            self.sent.add(event.id)

    async def _replay(self, stream: EventStream, last_event_id: str | None) -> None:
        if not last_event_id:
            return
        async with self.request.app[DB_POOL].acquire() as conn:
            events = await service.events_after(conn, self.invoice_id, last_event_id.strip(),
                                                self._public_url)
        await self._send(stream, events)

    async def _catch_up(self, stream: EventStream) -> None:
        async with self.request.app[DB_POOL].acquire() as conn:
            events = await service.unsent_events(conn, self.invoice_id, self.sent,
                                                 self._public_url)
        await self._send(stream, events)

    async def _follow(self, stream: EventStream, sub: Subscription,
                      heartbeat: float) -> None:  # float-ok
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    item = await sub.get()
            except TimeoutError:
                await stream.comment("heartbeat")
                continue
            if isinstance(item, Notice):
                if item.payload.get("event_id") not in self.sent:
                    await self._catch_up(stream)
            elif item is RESYNC:
                await self._catch_up(stream)
            else:
                return  # dropped or closed
