"""The JSON objects of the webhooks API: endpoints, deliveries and their attempts.

The event object itself and the payload that is signed and POSTed are `gateway.events.objects`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asyncpg import Record as Row

from gateway.events.objects import event_object, when


def endpoint_object(row: Row, secret: str | None = None) -> dict[str, Any]:
    """A webhook endpoint; `secret` is included only in the answer that created it."""
    obj: dict[str, Any] = {
        "id": row["id"],
        "object": "webhook_endpoint",
        "livemode": row["livemode"],
        "url": row["url"],
        "enabled_events": list(row["enabled_events"]),
        "description": row["description"],
        "status": row["status"],
        "created_at": when(row["created_at"]),
    }
    if secret is not None:
        obj["secret"] = secret
    return obj


def attempt_object(row: Row) -> dict[str, Any]:
    return {
        "attempt": row["attempt"],
        "started_at": when(row["started_at"]),
        "duration_ms": row["duration_ms"],
        "status_code": row["status_code"],
        "succeeded": row["succeeded"],
        "error": row["error"],
        "response_excerpt": row["response_excerpt"],
    }


def delivery_object(
    row: Row, attempts: Iterable[Row]
) -> dict[str, Any]:
    pending = row["status"] == "pending"
    return {
        "id": row["id"],
        "object": "webhook_delivery",
        "endpoint": row["endpoint_id"],
        "url": row["url"],
        "status": row["status"],
        "attempt_count": row["attempt_count"],
        "next_attempt_at": when(row["next_attempt_at"]) if pending else None,
        "created_at": when(row["created_at"]),
        "finished_at": when(row["finished_at"]),
        "attempts": [attempt_object(a) for a in attempts],
    }


def event_with_deliveries(
    event: Row, deliveries: list[Row], attempts: list[Row], public_url: str,
) -> dict[str, Any]:
    by_delivery: dict[str, list[Row]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_id"], []).append(attempt)
    obj = event_object(event, public_url)
    obj["deliveries"] = [delivery_object(d, by_delivery.get(d["id"], [])) for d in deliveries]
    return obj
