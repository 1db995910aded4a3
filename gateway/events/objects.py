"""The JSON shapes of an event: the `/v1/events` object and the payload signed and POSTed.

Times are RFC 3339 UTC strings, like every `/v1` object (`gateway.timestamps`). The event's
own timestamp is called `created` (the webhook payload's documented name).

Links in an event's data may be stored as paths (`"checkout_url": "/pay/inv_…"`), so a writer
needs no public URL (the chain watchers have no use for one otherwise); every reader resolves
them with `resolve_urls` against the public URL it has at hand. Absolute URLs (a merchant's
`redirect_url`, events written with the public URL) pass unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from asyncpg import Record as Row

from gateway.timestamps import timestamp


def when(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def _is_path(key: str, value: Any) -> bool:
    return (key.endswith("_url") and isinstance(value, str) and value.startswith("/")
            and not value.startswith("//"))


def resolve_urls(data: Any, public_url: str) -> Any:
    """`data` with every `*_url` value that is a path made absolute under `public_url`."""
    if isinstance(data, dict):
        return {key: public_url + value if _is_path(key, value) else resolve_urls(value, public_url)
                for key, value in data.items()}
    if isinstance(data, list):
        return [resolve_urls(item, public_url) for item in data]
    return data


def _decode(data: Any) -> Any:
    # jsonb arrives decoded from pools made by gateway.db.pool, as text from bare connections.
    return json.loads(data) if isinstance(data, str) else data


def event_object(row: Row, public_url: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "event",
        "livemode": row["livemode"],
        "type": row["type"],
        "created": when(row["created_at"]),
        "api_version": row["api_version"],
        "data": resolve_urls(_decode(row["data"]), public_url),
    }


def event_payload(
    *, event_id: str, type: str, created: datetime, api_version: str, data_json: str,
    public_url: str, livemode: bool,
) -> bytes:
    """The exact bytes POSTed to the endpoint (and signed): compact JSON."""
    body = {
        "id": event_id,
        "object": "event",
        "livemode": livemode,
        "type": type,
        "created": when(created),
        "api_version": api_version,
        "data": resolve_urls(json.loads(data_json), public_url),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
