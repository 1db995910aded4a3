"""Server-Sent Events framing (the WHATWG `text/event-stream` format) over aiohttp.

A field value must not contain a newline, so `data` is split into one `data:` line per line
(JSON from `json.dumps` has none anyway). `id:` values come from our own ids, which are
newline-free by construction; they are checked regardless so a bad value cannot inject fields.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

CONTENT_TYPE: Final = "text/event-stream"


def _field(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"SSE {name} must not contain line breaks")
    return f"{name}: {value}\n"


def format_event(data: str, *, event: str | None = None, id: str | None = None) -> bytes:
    lines = []
    if id is not None:
        lines.append(_field("id", id))
    if event is not None:
        lines.append(_field("event", event))
    lines.extend(f"data: {line}\n" for line in data.splitlines() or [""])
    return ("".join(lines) + "\n").encode()


def format_retry(milliseconds: int) -> bytes:
    return f"retry: {int(milliseconds)}\n\n".encode()


def format_comment(text: str) -> bytes:
    return "".join(f": {line}\n" for line in text.splitlines() or [""]).encode() + b"\n"


class EventStream:
    """An open SSE response."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response

    @classmethod
    async def open(cls, request: web.Request, *, retry_ms: int) -> EventStream:
        response = web.StreamResponse(headers={
            "Content-Type": CONTENT_TYPE,
            "Cache-Control": "no-cache, no-transform",
            # Reverse proxies (nginx) must not buffer the stream.
            "X-Accel-Buffering": "no",
        })
        response.enable_chunked_encoding()
        await response.prepare(request)
        stream = cls(response)
        await response.write(format_retry(retry_ms))
        return stream

    async def send(self, event: str, payload: dict[str, Any], *, id: str | None = None) -> None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        await self.response.write(format_event(data, event=event, id=id))

    async def comment(self, text: str) -> None:
        await self.response.write(format_comment(text))
