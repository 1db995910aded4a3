"""The administrators' audit log: one append-only row per action (who, what, when, the record
before and after as JSON). Rows are written in the same transaction as the action they
describe, so an action that rolls back leaves no row and a committed action always has one.
The table refuses UPDATE, DELETE and TRUNCATE by trigger (migration 0051).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gateway.admin import queries as q
from gateway.log import get_logger
from settlement.db import Conn

log = get_logger(__name__)
PAGE_SIZE = 50
# Never copied into the log: secrets and their digests.
_REDACTED = frozenset({"key_hash", "password_hash", "secret", "token_hash", "csrf_token",
                       "document"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in administrator, or the command line (`id` None)."""

    id: str | None
    name: str
    client_ip: str | None = None


CLI_ACTOR = Actor(None, "cli")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    before: Any
    after: Any
    client_ip: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AuditEntry:
        return cls(row["id"], row["at"], row["actor"], row["action"], row["target_type"],
                   row["target_id"], row["before"], row["after"], row["client_ip"])


def snapshot(value: Any) -> Any:
    """A JSON-safe copy: dataclasses and records as objects, times as ISO text, big or exact
    numbers (crypto base units, Decimal rates) as strings, secrets left out."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        # JSON readers lose integers above 2^53 (wei amounts): keep those exact as text.
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, enum.Enum):
        return snapshot(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, asyncpg.Record):
        value = dict(value.items())
    if isinstance(value, Mapping):
        return {str(k): snapshot(v) for k, v in value.items() if k not in _REDACTED}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


async def record(conn: Conn, actor: Actor, action: str, *, target_type: str | None = None,
                 target_id: str | None = None, before: Any = None, after: Any = None) -> int:
    """Append one row; returns its id. Call inside the action's transaction."""
    row = await q.insert_audit(conn, (
        actor.id, actor.name, action, target_type, target_id,
        None if before is None else snapshot(before),
        None if after is None else snapshot(after), actor.client_ip,
    ))
    log.info("admin_action", actor=actor.name, action=action, target_type=target_type,
             target_id=target_id, audit_id=row["id"])
    audit_id: int = row["id"]
    return audit_id


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target_id: str | None = None


async def entries(conn: Conn, filters: AuditFilter, *, before_id: int | None = None,
                  limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest first, at most `limit`, older than `before_id` when given."""
    rows = await q.list_audit(conn, actor=filters.actor, action=filters.action,
                              target_id=filters.target_id, before_id=before_id, limit=limit)
    return [AuditEntry.from_row(r) for r in rows]
