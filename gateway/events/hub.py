"""The LISTEN/NOTIFY hub: one listening connection per process, fanned out in-process.

Every state change emits `pg_notify('ccp_events', {event_id, type, merchant_id, invoice_id})`
at commit (gateway.events.outbox), so any API process can serve any invoice's live stream:
the hub hands each notice to the subscribers of that invoice and to channel listeners (the
webhook worker wakes on them).

Robustness:
- The connection is watched (termination callback plus a `SELECT 1` keepalive) and re-opened
  with backoff. Notices sent while it was down are lost, so after a reconnect every subscriber
  receives `RESYNC` and replays what it missed from the `events` table.
- Subscriber queues are bounded. A subscriber that falls `queue_size` notices behind is
  dropped: its queue is replaced by `DROPPED` and the stream ends; the client reconnects with
  Last-Event-ID and catches up from the table, so slowness never costs memory here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import asyncpg
from aiohttp import web
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from gateway.log import get_logger

log = get_logger(__name__)

_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, TimeoutError)
FIRST_BACKOFF: Final = 0.2  # float-ok: seconds before the first reconnect attempt


def _log_connect_failure(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    retry_in = state.next_action.sleep if state.next_action is not None else None
    log.warning("live_connect_failed", error=str(error), retry_in=retry_in)

EVENTS_CHANNEL: Final = "ccp_events"
DELIVERIES_CHANNEL: Final = "ccp_deliveries"


class Signal(Enum):
    RESYNC = "resync"    # the hub reconnected; notices may have been missed
    DROPPED = "dropped"  # this subscriber was too slow and is no longer fed
    CLOSED = "closed"    # the process is shutting down


RESYNC, DROPPED, CLOSED = Signal.RESYNC, Signal.DROPPED, Signal.CLOSED


@dataclass(frozen=True)
class Notice:
    channel: str
    payload: dict[str, Any]


Item = Notice | Signal
Listener = Callable[[Notice], None]


@dataclass(eq=False)
class Subscription:
    """Notices about one key (an invoice id); use as a context manager to unsubscribe."""

    hub: NotifyHub
    key: str
    queue: asyncio.Queue[Item]
    dropped: bool = field(default=False)

    async def get(self) -> Item:
        return await self.queue.get()

    def offer(self, item: Item) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= self.hub.queue_size:
            self.drop()
        else:
            self.queue.put_nowait(item)

    def drop(self, signal: Signal = DROPPED) -> None:
        """Stop feeding this subscriber; its consumer sees `signal` next."""
        self.dropped = True
        self.hub.unsubscribe(self)
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(signal)
        if signal is DROPPED:
            log.warning("live_subscriber_dropped", key=self.key)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.hub.unsubscribe(self)


class NotifyHub:
    def __init__(self, dsn: str, *, channels: tuple[str, ...] = (EVENTS_CHANNEL,
                                                                   DELIVERIES_CHANNEL),
                 queue_size: int = 100, keepalive: float = 30.0,  # float-ok
                 max_backoff: float = 10.0) -> None:  # float-ok
        self.dsn = dsn
        self.channels = channels
        self.queue_size = queue_size
        self.keepalive = keepalive
        self.max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.backend_pid: int | None = None
        self._subs: dict[str, set[Subscription]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self._lost = asyncio.Event()

    # -- subscribers -------------------------------------------------------------------------
    def subscribe(self, key: str) -> Subscription:
        # One slot more than the limit: the DROPPED marker always fits.
        sub = Subscription(self, key, asyncio.Queue(self.queue_size + 1))
        self._subs.setdefault(key, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.key]

    def close_subscribers(self) -> None:
        """End every stream (shutdown): consumers see CLOSED."""
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.drop(CLOSED)

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def add_listener(self, channel: str, listener: Listener) -> None:
        self._listeners.setdefault(channel, []).append(listener)

    # -- dispatch ----------------------------------------------------------------------------
    def _on_notify(self, _conn: object, _pid: int, channel: str, payload: object) -> None:
        try:
            data = json.loads(str(payload))
        except ValueError:
            log.warning("live_bad_notice", channel=channel, payload=str(payload)[:200])
            return
        if not isinstance(data, dict):
            return
        self.dispatch(Notice(channel, data))

    def dispatch(self, notice: Notice) -> None:
        for listener in self._listeners.get(notice.channel, ()):
            listener(notice)
        key = notice.payload.get("invoice_id")
        if notice.channel == EVENTS_CHANNEL and isinstance(key, str):
            for sub in list(self._subs.get(key, ())):
                sub.offer(notice)

    def _resync(self) -> None:
        for channel in self.channels:
            for listener in self._listeners.get(channel, ()):
                listener(Notice(channel, {"resync": True}))
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.offer(RESYNC)

    # -- the connection ----------------------------------------------------------------------
    async def run(self) -> None:
        """Keep one LISTEN connection open until cancelled."""
        first = True
        while True:
            conn = await self._connect()
            try:
                await self._listen(conn, resync=not first)
                first = False
                await self._watch(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("live_connection_lost", error=str(exc))
            finally:
                self.connected.clear()
                self.backend_pid = None
                conn.terminate()

    async def _connect(self) -> asyncpg.Connection:
        """A new connection; while the database is down, retried with capped exponential
        backoff (FIRST_BACKOFF doubling up to `max_backoff`)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_CONNECT_ERRORS),
            wait=wait_exponential(multiplier=FIRST_BACKOFF, max=self.max_backoff),
            before_sleep=_log_connect_failure,
            reraise=True,
        )
        conn: asyncpg.Connection = await retrying(asyncpg.connect, self.dsn)
        return conn

    async def _listen(self, conn: asyncpg.Connection, *, resync: bool) -> None:
        self._lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: self._lost.set())
        for channel in self.channels:
            await conn.add_listener(channel, self._on_notify)
        self.backend_pid = conn.get_server_pid()
        self.connected.set()
        log.info("live_listening", channels=list(self.channels), pid=self.backend_pid)
        if resync:
            self._resync()

    async def _watch(self, conn: asyncpg.Connection) -> None:
        while not self._lost.is_set() and not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.keepalive):
                    await self._lost.wait()
                continue
            async with asyncio.timeout(5):
                await conn.fetchval("SELECT 1")
        log.warning("live_connection_closed")


HUB = web.AppKey("live_hub", NotifyHub)
# How long startup waits for the first LISTEN; a database that is down only delays streams.
CONNECT_WAIT = 5.0


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    task = asyncio.create_task(hub.run(), name="live-hub")
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CONNECT_WAIT):
            await hub.connected.wait()
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_streams(app: web.Application) -> None:
    app[HUB].close_subscribers()


def ensure_hub(app: web.Application, dsn: str, *, queue_size: int) -> NotifyHub:
    """The app's hub, installed on first call (live streams and the webhook worker share it).

    Its settings are handed down by the callers (the database URL, the live subscribers'
    queue size), so the outbox never reads the application's whole configuration.
    """
    if HUB in app:
        return app[HUB]
    hub = NotifyHub(dsn, queue_size=queue_size)
    app[HUB] = hub
    app.cleanup_ctx.append(_hub_ctx)
    app.on_shutdown.append(_close_streams)
    return hub
