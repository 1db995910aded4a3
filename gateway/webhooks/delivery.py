"""The delivery worker: claims due deliveries, POSTs signed events, logs every attempt.

Several workers (in one or many processes) share the outbox: a claim is one statement with
`FOR UPDATE SKIP LOCKED` that also moves the row's `next_attempt_at` past the HTTP timeout
(a lease) and stamps a claim token. The HTTP call runs outside any transaction; its result is
recorded by an UPDATE guarded by that token, so a delivery marked `delivered` is never sent
again, and a worker that lost its lease cannot overwrite another worker's result. A worker that
dies mid-attempt leaves the row to be retried when the lease runs out (at-least-once; receivers
dedupe by event id).

Deliveries are not written with the event: before each claim the worker fans out committed
events into their deliveries (`gateway.events.outbox.fan_out`, exactly once per event even with
many workers), outside the transaction of whoever wrote the event.

The worker wakes on NOTIFY (`ccp_events`, `ccp_deliveries`, via the live hub), on a timer
armed for its own retries, when a slot frees up, and otherwise every poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp
import asyncpg
from aiohttp.abc import AbstractResolver
from structlog.typing import FilteringBoundLogger

from gateway.config import Settings, WebhookSettings
from gateway.events.objects import event_payload
from gateway.events.outbox import fan_out
from gateway.log import get_logger
from gateway.merchants.ids import random_token
from gateway.metrics.instruments import WEBHOOK_ATTEMPTS
from gateway.webhooks import queries, signing
from gateway.webhooks.errors import UrlNotAllowed
from gateway.webhooks.sealing import open_secret
from gateway.webhooks.service import RetryPolicy
from gateway.webhooks.states import DeliveryStatus, EndpointStatus, delivery_transition
from gateway.webhooks.urlguard import GuardedResolver, UrlPolicy, check_static

log = get_logger(__name__)

EXCERPT_BYTES: Final = 1024
# Events fanned out per statement; a full batch makes the worker go round again at once.
FAN_OUT_BATCH: Final = 500
LEASE_MARGIN: Final = 30.0
USER_AGENT: Final = "CryptoCityPay-Webhooks/1"


@dataclass(frozen=True)
class WorkerConfig:
    timeout: float  # float-ok
    concurrency: int
    poll_interval: float  # float-ok
    url_policy: UrlPolicy
    retry: RetryPolicy
    # Resolves the links an event stores as paths (gateway.events.objects.resolve_urls).
    public_url: str = ""
    # Opens the endpoints' signing secrets, stored encrypted (gateway.webhooks.sealing).
    secret_key: bytes = WebhookSettings().secret_key  # the dev key unless configured

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            timeout=float(settings.webhooks.timeout),  # float-ok
            concurrency=settings.webhooks.concurrency,
            poll_interval=float(settings.webhooks.poll_interval),  # float-ok
            url_policy=UrlPolicy(dev=settings.dev),
            retry=RetryPolicy.from_settings(settings.webhooks),
            public_url=settings.public_url,
            secret_key=settings.webhooks.secret_key,
        )

    @property
    def lease_seconds(self) -> float:  # float-ok
        # Longer than any attempt can take, so no other worker claims a row still in flight.
        return self.timeout + LEASE_MARGIN


@dataclass(frozen=True)
class Outcome:
    """The result of one HTTP attempt, as written to the delivery log."""

    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_event(
    session: aiohttp.ClientSession, *, url: str, secret: str, body: bytes, policy: UrlPolicy
) -> Outcome:
    """POST one signed event; never raises for receiver-side failures."""
    started_at, t0 = datetime.now(UTC), time.monotonic()
    status: int | None = None
    excerpt, error = "", None
    try:
        check_static(url, policy)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.SIGNATURE_HEADER: signing.header(secret, int(time.time()), body),
        }
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
            status = resp.status
            excerpt = (await resp.content.read(EXCERPT_BYTES)).decode("utf-8", "replace")
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except UrlNotAllowed as exc:
        error = exc.message
    except TimeoutError:
        error = "timeout"
    except aiohttp.ClientError as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - t0) * 1000)
    return Outcome(started_at, duration_ms, status, error, excerpt)


def make_session(config: WorkerConfig, inner: AbstractResolver | None = None
                 ) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(config.url_policy, inner), limit=config.concurrency
    )
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=config.timeout),
        trust_env=False,
    )


class DeliveryWorker:
    """One worker loop with up to `concurrency` deliveries in flight."""

    def __init__(self, pool: asyncpg.Pool, config: WorkerConfig, *,
                 resolver: AbstractResolver | None = None,
                 rng: random.Random | None = None) -> None:
        self.pool = pool
        self.config = config
        self.resolver = resolver
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def wake(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; in-flight attempts are awaited on the way out."""
        self._session = make_session(self.config, self.resolver)
        log.info("webhook_worker_started", concurrency=self.config.concurrency)
        try:
            while True:
                await self._tick()
        finally:
            await self._drain()
            await self._session.close()

    async def _tick(self) -> None:
        self._wake.clear()
        more_events = await self._fan_out()
        slots = self.config.concurrency - len(self._inflight)
        # Under load, claim in batches of a quarter of the slots rather than one row per
        # finished attempt: one claim query serves several deliveries.
        batch = max(1, self.config.concurrency // 4) if self._inflight else 1
        claimed = await self._claim(slots) if slots >= batch else 0
        if more_events or (slots >= batch and claimed == slots):
            return  # a full batch: more may be due right now
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.poll_interval):
                await self._wake.wait()

    async def _fan_out(self) -> bool:
        """Write the deliveries of newly committed events; True when a full batch was taken."""
        try:
            async with self.pool.acquire() as conn:
                done = await fan_out(conn, limit=FAN_OUT_BATCH)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("webhook_fan_out_failed", error=str(exc))
            return False
        if done.events:
            log.debug("webhook_fan_out", events=done.events, deliveries=done.deliveries)
        return done.events == FAN_OUT_BATCH

    async def _claim(self, limit: int) -> int:
        token = random_token(16)
        try:
            async with self.pool.acquire() as conn:
                rows = await queries.claim_due(
                    conn, limit=limit, lease_seconds=self.config.lease_seconds, token=token
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("webhook_claim_failed", error=str(exc))
            return 0
        for row in rows:
            task = asyncio.create_task(self._deliver(row, token))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(rows)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()

    async def _drain(self) -> None:
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch and wait for it (tests and the one-shot CLI use this)."""
        own_session = self._session is None
        if own_session:
            self._session = make_session(self.config, self.resolver)
        try:
            await self._fan_out()
            claimed = await self._claim(self.config.concurrency)
            await self._drain()
            return claimed
        finally:
            if own_session and self._session is not None:
                await self._session.close()
                self._session = None

    async def _deliver(self, row: asyncpg.Record, token: str) -> None:
        bound = log.bind(delivery_id=row["id"], event_id=row["event_id"],
                         merchant_id=row["merchant_id"], attempt=row["attempt_count"])
        try:
            if row["endpoint_status"] != EndpointStatus.ENABLED:
                await self._finish(row, token, DeliveryStatus.CANCELLED)
                bound.info("webhook_delivery_cancelled", endpoint_status=row["endpoint_status"])
                return
            assert self._session is not None
            body = event_payload(
                event_id=row["event_id"], type=row["type"], created=row["event_created_at"],
                api_version=row["api_version"], data_json=row["data_json"],
                public_url=self.config.public_url, livemode=row["livemode"],
            )
            secret = open_secret(self.config.secret_key, row["endpoint_id"], row["secret"])
            outcome = await post_event(self._session, url=row["url"], secret=secret,
                                       body=body, policy=self.config.url_policy)
            await self._record(row, token, outcome, bound)
        except Exception:
            # The lease expires and another attempt follows; nothing is lost.
            bound.exception("webhook_delivery_crashed")

    async def _finish(self, row: asyncpg.Record, token: str, target: DeliveryStatus) -> bool:
        delivery_transition(DeliveryStatus.PENDING, target)
        async with self.pool.acquire() as conn:
            return await queries.finish_delivery(conn, row["id"], token, target)

    async def _record(self, row: asyncpg.Record, token: str, outcome: Outcome,
                      bound: FilteringBoundLogger) -> None:
        attempt = row["attempt_count"]
        delay = None if outcome.succeeded else self.config.retry.next_delay(
            attempt, row["created_at"], row["claimed_at"], self.rng)
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.insert_attempt(
                conn, delivery_id=row["id"], attempt=attempt, started_at=outcome.started_at,
                duration_ms=outcome.duration_ms, status_code=outcome.status_code,
                succeeded=outcome.succeeded, error=outcome.error,
                response_excerpt=outcome.excerpt,
            )
            if outcome.succeeded or delay is None:
                target = DeliveryStatus.DELIVERED if outcome.succeeded else DeliveryStatus.FAILED
                delivery_transition(DeliveryStatus.PENDING, target)
                kept = await queries.finish_delivery(conn, row["id"], token, target)
            else:
                target = DeliveryStatus.PENDING
                kept = await queries.reschedule_delivery(conn, row["id"], token, delay)
        fields = {"status_code": outcome.status_code, "duration_ms": outcome.duration_ms,
                  "error": outcome.error, "next": target}
        WEBHOOK_ATTEMPTS.labels("delivered" if outcome.succeeded else
                                "failed" if delay is None else "retrying").inc()
        if not kept:
            bound.warning("webhook_claim_lost", **fields)
        elif outcome.succeeded:
            bound.info("webhook_delivered", **fields)
        else:
            bound.info("webhook_attempt_failed", retry_in=delay, **fields)
        if kept and delay is not None and not outcome.succeeded:
            # Our own retry is due before the next poll in tests and for early attempts.
            asyncio.get_running_loop().call_later(delay, self._wake.set)
