"""The JSON shapes of an event: the `/v1/events` object and the payload signed and POSTed.

Times are RFC 3339 UTC strings, like every `/v1` object (`gateway.timestamps`). The event's
own timestamp is called `created` (the webhook payload's documented name).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from asyncpg import Record as Row

from gateway.timestamps import timestamp


def when(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def _decode(data: Any) -> Any:
    # jsonb arrives decoded from pools made by gateway.db.pool, as text from bare connections.
    return json.loads(data) if isinstance(data, str) else data


def event_object(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "event",
        "type": row["type"],
        "created": when(row["created_at"]),
        "api_version": row["api_version"],
        "data": _decode(row["data"]),
    }


def event_payload(
    *, event_id: str, type: str, created: datetime, api_version: str, data_json: str
) -> bytes:
    """The exact bytes POSTed to the endpoint (and signed): compact JSON."""
    body = {
        "id": event_id,
        "object": "event",
        "type": type,
        "created": when(created),
        "api_version": api_version,
        "data": json.loads(data_json),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
