"""Webhook rules: endpoint validation, listing, redelivery and the retry schedule (no SQL).

Retry schedule: attempt n failing waits `base * 3^(n-1)` (default base 10 s), capped at
`cap` (default 6 h), each delay jittered by ±20 % so endpoints that fail together are not
retried in lockstep. With defaults: 10 s, 30 s, 1.5 min, 4.5 min, 13.5 min, 40.5 min, 2 h,
then every 6 h. An attempt whose next retry would fall after `window` (default 3 days) from the
delivery's creation marks the delivery `failed` instead.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from gateway.config import WebhookSettings
from gateway.errors import InvalidRequest, NotFound
from gateway.events import queries as event_queries
from gateway.events.objects import event_object
from gateway.events.outbox import EVENT_TYPES
from gateway.merchants.ids import new_id
from gateway.webhooks import objects, queries
from gateway.webhooks.errors import InvalidEventFilter
from gateway.webhooks.sealing import seal_secret
from gateway.webhooks.signing import new_secret
from gateway.webhooks.states import EndpointStatus, endpoint_transition
from gateway.webhooks.urlguard import Resolve, UrlPolicy, check_url, system_resolve
from settlement.db import Conn

MAX_DESCRIPTION: Final = 500
JITTER: Final = 0.2


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float  # float-ok
    cap_seconds: float  # float-ok
    window_seconds: float  # float-ok

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> RetryPolicy:
        return cls(float(settings.retry_base),  # float-ok
                   float(settings.retry_cap),  # float-ok
                   float(settings.retry_window))  # float-ok

    def nominal_delay(self, attempt: int) -> float:  # float-ok
        """The un-jittered wait after failed attempt number `attempt` (1-based)."""
        # Bounding the exponent keeps 3**n small; the cap is reached long before 40.
        exponent: int = min(attempt - 1, 40)
        return min(self.base_seconds * float(3**exponent), self.cap_seconds)  # float-ok

    def delay(self, attempt: int, rng: random.Random) -> float:  # float-ok
        return self.nominal_delay(attempt) * rng.uniform(1 - JITTER, 1 + JITTER)

    def next_delay(self, attempt: int, created_at: datetime, now: datetime,
                   rng: random.Random) -> float | None:  # float-ok
        """Seconds until the next attempt, or None when the retry window is used up."""
        wait = self.delay(attempt, rng)
        if now + timedelta(seconds=wait) > created_at + timedelta(seconds=self.window_seconds):
            return None
        return wait


# -- request parsing -------------------------------------------------------------------------
def parse_enabled_events(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        raise InvalidEventFilter("enabled_events must be a non-empty list of event types.",
                                 param="enabled_events")
    if "*" in raw:
        return ["*"]
    unknown = sorted(set(raw) - set(EVENT_TYPES))
    if unknown:
        raise InvalidEventFilter(
            f"Unknown event types: {', '.join(unknown)}. Use any of {', '.join(EVENT_TYPES)}"
            " or \"*\".", param="enabled_events")
    return sorted(set(raw), key=EVENT_TYPES.index)


def parse_description(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_DESCRIPTION:
        raise InvalidRequest(f"description must be a string of at most {MAX_DESCRIPTION}"
                             " characters.", param="description")
    return raw


def parse_url_field(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRequest("url is required.", code="missing_parameter", param="url")
    return raw.strip()


def parse_event_type_filter(raw: str | None) -> str | None:
    if raw is not None and raw not in EVENT_TYPES:
        raise InvalidRequest(f"Unknown event type {raw!r}.", param="type")
    return raw


# -- endpoints -------------------------------------------------------------------------------
async def _check_room(conn: Conn, merchant_id: str, livemode: bool, max_endpoints: int) -> None:
    """400 `too_many_endpoints` when the merchant already has `max_endpoints` endpoints of
    this mode.

    Every event is fanned out to each endpoint of its mode, so the count is what one merchant
    can make the delivery machinery do per event; deleted endpoints do not count.
    """
    await queries.lock_merchant_endpoints(conn, merchant_id)
    if await queries.count_live_endpoints(conn, merchant_id, livemode) >= max_endpoints:
        raise InvalidRequest(
            f"A merchant can have at most {max_endpoints} webhook endpoints; delete one first.",
            code="too_many_endpoints")


async def create_endpoint(
    conn: Conn, merchant_id: str, body: dict[str, Any], policy: UrlPolicy,
    resolve: Resolve = system_resolve, *, max_endpoints: int, secret_key: bytes,
    livemode: bool = True,
) -> dict[str, Any]:
    """Validate and store an endpoint; the answer carries the secret (shown this once), the
    row keeps it encrypted with `secret_key` (gateway.webhooks.sealing). A test endpoint
    (`livemode` False, made with a ccp_test_ key) is sent test events only, a live one live
    events only.

    Call inside a transaction: the per-merchant lock of the cap check lasts until it ends.
    """
    url = parse_url_field(body.get("url"))
    events = parse_enabled_events(body.get("enabled_events"))
    description = parse_description(body.get("description"))
    await check_url(url, policy, resolve)
    await _check_room(conn, merchant_id, livemode, max_endpoints)
    secret, endpoint_id = new_secret(), new_id("we")
    row = await queries.insert_endpoint(
        conn, endpoint_id=endpoint_id, merchant_id=merchant_id, url=url,
        description=description, enabled_events=events,
        secret=seal_secret(secret_key, endpoint_id, secret), livemode=livemode,
    )
    return objects.endpoint_object(row, secret)


async def get_endpoint(conn: Conn, merchant_id: str, endpoint_id: str, *,
                       livemode: bool | None = None) -> dict[str, Any]:
    """The endpoint; with `livemode` (an API key's) one of the other mode is missing. None:
    either mode (the portal)."""
    row = await queries.select_endpoint(conn, endpoint_id, merchant_id, livemode=livemode)
    if row is None:
        raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="id")
    return objects.endpoint_object(row)


async def list_endpoints(conn: Conn, merchant_id: str, starting_after: str | None,
                         limit: int, *, livemode: bool | None = None) -> tuple[list[Any], bool]:
    """Up to `limit` endpoints after `starting_after` (newest first), and whether more exist;
    with `livemode`, of that mode only."""
    if starting_after is not None and await queries.select_endpoint(
        conn, starting_after, merchant_id, livemode=livemode
    ) is None:
        raise NotFound(f"No such webhook endpoint: {starting_after}", param="starting_after")
    rows = await queries.list_endpoints(conn, merchant_id, starting_after, limit + 1,
                                        livemode=livemode)
    return [objects.endpoint_object(r) for r in rows[:limit]], len(rows) > limit


async def delete_endpoint(conn: Conn, merchant_id: str, endpoint_id: str, *,
                          livemode: bool | None = None) -> dict[str, Any]:
    """Soft-delete (kept for the delivery log) and cancel its pending deliveries; with
    `livemode` an endpoint of the other mode is missing."""
    async with conn.transaction():
        row = await queries.select_endpoint(conn, endpoint_id, merchant_id, livemode=livemode)
        if row is None:
            raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="id")
        endpoint_transition(row["status"], EndpointStatus.DELETED)
        if not await queries.delete_endpoint(conn, endpoint_id, merchant_id, row["status"]):
            raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="id")
        await queries.cancel_endpoint_deliveries(conn, endpoint_id)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


async def set_endpoint_enabled(conn: Conn, merchant_id: str, endpoint_id: str,
                               enabled: bool) -> dict[str, Any]:
    """Enable or disable an endpoint (asking for its current state changes nothing).

    A disabled endpoint is sent nothing: fan-out and redelivery skip it, the worker cancels
    any delivery of it it claims, and its pending ones are cancelled here, like a deletion's.
    Enabled again, it gets what happens from then on (older events: redeliver from the log).
    """
    target = EndpointStatus.ENABLED if enabled else EndpointStatus.DISABLED
    async with conn.transaction():
        row = await queries.select_endpoint(conn, endpoint_id, merchant_id)
        if row is None:
            raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="id")
        if row["status"] == target:
            return objects.endpoint_object(row)
        endpoint_transition(row["status"], target)
        row = await queries.update_endpoint_status(conn, endpoint_id, merchant_id,
                                                   row["status"], target.value)
        if row is None:
            raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="id")
        if target is EndpointStatus.DISABLED:
            await queries.cancel_endpoint_deliveries(conn, endpoint_id)
    return objects.endpoint_object(row)


# -- events ----------------------------------------------------------------------------------
async def list_events(
    conn: Conn, merchant_id: str, starting_after: str | None, limit: int, *,
    type: str | None, invoice_id: str | None, public_url: str, livemode: bool | None = None,
) -> tuple[list[Any], bool]:
    """Up to `limit` events after `starting_after` (newest first), and whether more exist;
    with `livemode`, of that mode only."""
    if starting_after is not None and await event_queries.select_event(
        conn, starting_after, merchant_id, livemode=livemode
    ) is None:
        raise NotFound(f"No such event: {starting_after}", param="starting_after")
    rows = await event_queries.list_events(
        conn, merchant_id, type=type, invoice_id=invoice_id,
        starting_after=starting_after, limit=limit + 1,  # one more row tells has_more
        livemode=livemode,
    )
    return [event_object(r, public_url) for r in rows[:limit]], len(rows) > limit


async def get_event(conn: Conn, merchant_id: str, event_id: str, public_url: str, *,
                    livemode: bool | None = None) -> dict[str, Any]:
    """The event with its deliveries and every logged attempt; with `livemode` an event of
    the other mode is missing."""
    event = await event_queries.select_event(conn, event_id, merchant_id, livemode=livemode)
    if event is None:
        raise NotFound(f"No such event: {event_id}", param="id")
    deliveries = await queries.select_event_deliveries(conn, event_id)
    attempts = await queries.select_event_attempts(conn, event_id)
    return objects.event_with_deliveries(event, list(deliveries), list(attempts), public_url)


async def redeliver(
    conn: Conn, merchant_id: str, event_id: str, endpoint_id: str | None, *,
    livemode: bool | None = None,
) -> list[str]:
    """Queue new deliveries of an event (to endpoints of its mode only); returns their ids
    and wakes the workers. With `livemode` an event or endpoint of the other mode is
    missing."""
    async with conn.transaction():
        if await event_queries.select_event(conn, event_id, merchant_id,
                                            livemode=livemode) is None:
            raise NotFound(f"No such event: {event_id}", param="id")
        if endpoint_id is not None and await queries.select_endpoint(
            conn, endpoint_id, merchant_id, livemode=livemode
        ) is None:
            raise NotFound(f"No such webhook endpoint: {endpoint_id}", param="endpoint")
        ids = await queries.insert_redeliveries(conn, event_id, merchant_id, endpoint_id,
                                                livemode=livemode)
        if ids:
            await queries.notify_deliveries(conn, json.dumps({"event_id": event_id}))
    return ids
