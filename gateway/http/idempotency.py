"""Stripe-style `Idempotency-Key` for every authenticated POST, and its one transaction.

This middleware and its store (gateway/http/queries.py) are the ONLY place that knows about
idempotency: handlers and domain services never see the key. Each /v1 POST runs inside one
database transaction opened here; the handler does its writes on `tx_conn(request)` and reads
its parsed body with `json_body(request)` (the stream is consumed here, so `read_json_object`
must not be called again). With a key, the handler runs first and then ONE statement
(`CLAIM_AND_SAVE`) claims the key, through `idempotency_claim()` (migration 0012: a
transaction-scoped advisory lock on (merchant, key), then the saved response read with a fresh
snapshot), and saves this response in the same transaction if the key is free. Keys are
scoped per merchant and per mode (migration 0130): the same key sent with a `ccp_test_` key
and with a `ccp_live_` key is two different requests.

- lock busy: a twin request is in flight -> 409 `idempotency_key_in_use`;
- a saved response whose request fingerprint differs -> 422 `idempotency_key_reused`;
- a saved response with the same fingerprint -> replayed verbatim, `Idempotent-Replayed: true`;
- in those three cases this request's own writes are rolled back, so exactly one request per
  key ever commits; otherwise its rows and its saved response commit together or not at all.

A handler that fails is answered by the claim all the same (a twin in flight, or the saved
answer to replay: e.g. a retry after the rates went stale still gets its invoice); errors are
never saved (Stripe does the same for validation errors): a client that fixes its body may
retry with the same key. The fingerprint is sha256 over method, path and the body
re-serialised canonically (sorted keys), so whitespace and key order do not matter.
A handler may ask for work to run once its transaction has committed (`after_commit`): e.g.
queueing a NOTIFY, which inside a writing transaction would hold PostgreSQL's one notify-queue
lock through the commit's WAL flush and so make concurrent POSTs commit one at a time
(gateway.invoices.notices). The actions run right after COMMIT, and never when the
transaction rolls back (an error, a replay, a refused twin); a failing action is logged, not
answered: the request's writes are committed by then.

Keys live `IDEMPOTENCY_TTL` seconds (24 h); `purge_ctx` deletes older ones periodically.
Two different keys hashing to the same 32-bit lock slot at the same instant would see a
spurious 409 — a retry resolves it.

Why claim after the handler, and why not one statement for everything: the hot path
`POST /v1/invoices` once wrote its rows, the claim and the save in ONE statement spliced from
three packages' SQL. Its SQL is now whole (gateway/invoices/queries.py) and idempotency lives
here only, so a keyed create costs BEGIN, the create statement, CLAIM_AND_SAVE and COMMIT
(its `invoice.created` notice is queued after it, see `after_commit`). The
claim goes after the handler so that claim and save are one round trip, not two; the price is
that a replayed or refused twin does its work before it is rolled back, which is rare.
tests/bench/api_bench.py measures the create path against its one-INSERT ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable
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
from gateway.http.queries import PURGE_BATCH, claim_and_save
from gateway.http.queries import claim as claim_row
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
AfterCommit = Callable[[], None]
AFTER_COMMIT = web.RequestKey("after_commit", list)
SAVED_BODY = web.RequestKey("saved_body", bytes)


def tx_conn(request: web.Request) -> Conn:
    """The connection (inside the request's transaction) of an authenticated POST."""
    return request[TX_CONN]


def json_body(request: web.Request) -> dict[str, Any]:
    """The parsed JSON object body of an authenticated POST (`{}` when empty)."""
    return request[JSON_BODY]


def after_commit(request: web.Request, action: AfterCommit) -> None:
    """Call `action` once the request's transaction has committed (never when it rolls
    back); what it raises is logged, the response stands."""
    request[AFTER_COMMIT].append(action)


def _run_after_commit(actions: list[AfterCommit]) -> None:
    for action in actions:
        try:
            action()
        except Exception:  # the writes are committed: the answer must say so
            log.exception("after_commit_failed")


def save_instead(request: web.Request, body: str) -> None:
    """Save `body` (JSON) for replays instead of this answer's own: an answer that carries a
    secret shown once (a webhook endpoint's) is replayed without it, and never stored."""
    request[SAVED_BODY] = body.encode()


def fingerprint(request: web.Request, body: dict[str, Any]) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).digest()


def _key(request: web.Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    # ASCII only: clients send other characters in different encodings (Latin-1, UTF-8), so
    # one key could arrive as two strings; the document says the same (IDEMPOTENCY_HEADER).
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidRequest(f"{HEADER} must be 1..{MAX_KEY_LENGTH} printable ASCII characters.",
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


@dataclass(frozen=True, slots=True)
class _Claim:
    """The key of one request and what its claim needs."""

    merchant_id: str
    livemode: bool  # the API key's mode: keys are scoped per merchant and per mode
    key: str
    ttl: timedelta
    request_hash: bytes


def _in_memory_body(response: web.StreamResponse) -> bytes:
    body = response.body if isinstance(response, web.Response) else None
    if not isinstance(body, bytes | bytearray):
        raise TypeError("idempotent POST handlers must answer with an in-memory body")
    return bytes(body)


def _earlier_answer(row: asyncpg.Record, claim: _Claim) -> web.Response | None:
    """What a claim row says to answer instead of this request's own response, if anything."""
    if not row["locked"]:
        raise _in_use()
    saved = _saved_response(row)
    return _replay(saved, claim.request_hash) if saved is not None else None


async def _claim_after(conn: Conn, claim: _Claim, response: web.StreamResponse,
                       saved_body: bytes | None) -> web.Response | None:
    """Claim the key now that the handler answered: save a 2xx answer, or say what wins."""
    if 200 <= response.status < 300:
        row = await claim_and_save(conn, claim.merchant_id, claim.livemode, claim.key, claim.ttl,
                                   claim.request_hash, response.status,
                                   saved_body or _in_memory_body(response),
                                   response.content_type)
    else:
        row = await claim_row(conn, claim.merchant_id, claim.livemode, claim.key, claim.ttl)
    return _earlier_answer(row, claim)


async def _run_keyed(request: web.Request, handler: Handler, conn: Conn,
                     claim: _Claim) -> tuple[web.StreamResponse, bool]:
    """The answer, and whether this request's transaction committed."""
    # The handler runs first and the key is claimed (and its answer saved) after, in the same
    # transaction and in one statement: a twin in flight (409) or a request answered before
    # (replay, or 422 for another body) wins, and this request's writes are rolled back.
    tx = conn.transaction()
    await tx.start()
    try:
        response = await handler(request)
        earlier = await _claim_after(conn, claim, response, request.get(SAVED_BODY))
    except Exception:
        # The handler failed (an error is never saved): an earlier answer to the same request
        # still wins, as if it had been replayed before the handler ran.
        await tx.rollback()
        earlier = _earlier_answer(
            await claim_row(conn, claim.merchant_id, claim.livemode, claim.key, claim.ttl),
            claim)
        if earlier is None:
            raise
        return earlier, False
    except BaseException:  # cancelled: pooled connections are not reset, so end the txn here
        await tx.rollback()
        raise
    if earlier is not None:
        await tx.rollback()
        return earlier, False
    await tx.commit()
    return response, True


def _is_api_post(request: web.Request) -> bool:
    return request.method == "POST" and is_private_api(request.path)


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api_post(request):
        return await handler(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)
    request[JSON_BODY] = body
    key = _key(request)
    actions: list[AfterCommit] = []
    request[AFTER_COMMIT] = actions
    async with request.app[DB_POOL].acquire() as conn:
        request[TX_CONN] = conn
        if key is None:
            async with conn.transaction():
                response = await handler(request)
            committed = True
        else:
            ttl = timedelta(seconds=request.app[SETTINGS].idempotency_ttl)
            caller = principal(request)
            claim = _Claim(caller.merchant_id, caller.livemode, key, ttl,
                           fingerprint(request, body))
            response, committed = await _run_keyed(request, handler, conn, claim)
    if committed:
        _run_after_commit(actions)
    return response


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
