"""Stripe-style `Idempotency-Key` for every authenticated POST, and its one transaction.

This middleware and its store (gateway/http/queries.py) are the ONLY place that knows about
idempotency: handlers and domain services never see the key. Each /v1 POST runs inside one
database transaction opened here; the handler does its writes on `tx_conn(request)` and reads
its parsed body with `json_body(request)` (the stream is consumed here, so `read_json_object`
must not be called again). With a key:

- `idempotency_claim()` (migration 0012) takes a transaction-scoped advisory lock on
  (merchant, key) and reads the saved response, in one round trip, before the handler runs;
- lock busy: the first request is still in flight -> 409 `idempotency_key_in_use`;
- a saved response whose request fingerprint differs -> 422 `idempotency_key_reused`;
- a saved response with the same fingerprint -> replayed verbatim, `Idempotent-Replayed: true`
  (so a retry gets its answer even when the handler could no longer produce it, e.g. after
  the rates went stale);
- otherwise the handler runs and a 2xx response is saved in the same transaction, so the
  business rows and the saved response commit together or not at all.

Errors are not saved (Stripe does the same for validation errors): a client that fixes its
body may retry with the same key. The fingerprint is sha256 over method, path and the body
re-serialised canonically (sorted keys), so whitespace and key order do not matter.
Keys live `IDEMPOTENCY_TTL` seconds (24 h); `purge_ctx` deletes older ones periodically.
Two different keys hashing to the same 32-bit lock slot at the same instant would see a
spurious 409 — a retry resolves it.

Why a transaction (BEGIN, claim, the handler's statements, save, COMMIT) and not one statement
for the hot `POST /v1/invoices`: a single round trip would need one SQL text holding both the
invoice insert and the claim/save, i.e. either idempotency SQL restated in the invoices domain
or SQL spliced from two packages' fragments. Keeping each statement whole and the rules here
costs four small round trips more per keyed create; tests/bench/api_bench.py measures the
create path against its one-INSERT ceiling with them included.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import Conflict, InvalidRequest, Unprocessable
from gateway.http.auth import is_private_api, principal
from gateway.http.json import read_json_object
from gateway.http.middleware import Handler
from gateway.http.queries import PURGE_BATCH, claim, save
from gateway.http.queries import purge as purge  # re-exported: its old home, used by tests
from gateway.log import get_logger
from settlement.db import Conn

log = get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
PURGE_INTERVAL_SECONDS = 600

JSON_CONTENT_TYPE = "application/json"
IN_USE = "idempotency_key_in_use"
REUSED = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class SavedResponse:
    """The response saved for a key by an earlier request."""

    request_hash: bytes
    status: int
    body: bytes
    content_type: str


TX_CONN = web.RequestKey("tx_conn", asyncpg.pool.PoolConnectionProxy)
JSON_BODY = web.RequestKey("json_body", dict)


def tx_conn(request: web.Request) -> Conn:
    """The connection (inside the request's transaction) of an authenticated POST."""
    return request[TX_CONN]


def json_body(request: web.Request) -> dict[str, Any]:
    """The parsed JSON object body of an authenticated POST (`{}` when empty)."""
    return request[JSON_BODY]


def fingerprint(request: web.Request, body: dict[str, Any]) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).digest()


def _key(request: web.Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequest(f"{HEADER} must be 1..{MAX_KEY_LENGTH} printable characters.",
                             code="invalid_idempotency_key", param=HEADER)
    return key


def _saved_response(row: asyncpg.Record) -> SavedResponse | None:
    """The saved response in a claim row (`idempotency_claim` columns), if there is one."""
    if row["request_hash"] is None:
        return None
    return SavedResponse(bytes(row["request_hash"]), row["response_status"],
                         bytes(row["response_body"]), row["content_type"])


def _in_use() -> Conflict:
    return Conflict("A request with this idempotency key is still in progress.",
                    code=IN_USE, param=HEADER)


def _replay(saved: SavedResponse, request_hash: bytes) -> web.Response:
    """The saved response again, or 422 when the key was used for another request."""
    if saved.request_hash != request_hash:
        raise Unprocessable(
            "This idempotency key was already used with a different request.",
            code=REUSED, param=HEADER,
        )
    return web.Response(status=saved.status, body=saved.body, content_type=saved.content_type,
                        headers={REPLAYED_HEADER: "true"})


async def _run(request: web.Request, handler: Handler, conn: Conn, key: str | None,
               request_hash: bytes) -> web.StreamResponse:
    merchant_id = principal(request).merchant_id
    settings = request.app[SETTINGS]
    if key is not None:
        row = await claim(conn, merchant_id, key, timedelta(seconds=settings.idempotency_ttl))
        if not row["locked"]:
            raise _in_use()
        saved = _saved_response(row)
        if saved is not None:
            return _replay(saved, request_hash)
    response = await handler(request)
    if key is not None and 200 <= response.status < 300:
        body = response.body if isinstance(response, web.Response) else None
        if not isinstance(body, bytes | bytearray):
            raise TypeError("idempotent POST handlers must answer with an in-memory body")
        await save(conn, merchant_id, key, request_hash, response.status, bytes(body),
                   response.content_type)
    return response


def _is_api_post(request: web.Request) -> bool:
    return request.method == "POST" and is_private_api(request.path)


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api_post(request):
        return await handler(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    request[JSON_BODY] = body
    key = _key(request)
    request_hash = fingerprint(request, body)
    async with request.app[DB_POOL].acquire() as conn, conn.transaction():
        request[TX_CONN] = conn
        return await _run(request, handler, conn, key, request_hash)


async def _purge_loop(app: web.Application) -> None:
    ttl = timedelta(seconds=app[SETTINGS].idempotency_ttl)
    while True:
        try:
            async with app[DB_POOL].acquire() as conn:
                while await purge(conn, ttl) == PURGE_BATCH:
                    await asyncio.sleep(0)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("idempotency_purge_failed", error=str(exc))
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)


async def purge_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_purge_loop(app), name="idempotency-purge")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
