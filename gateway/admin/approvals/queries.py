"""SQL of the four-eyes approvals (migration 0056)."""

from __future__ import annotations

from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# ON CONFLICT: one pending request per (kind, target); None tells the caller one is waiting.
INSERT_APPROVAL = """
INSERT INTO admin_approvals (id, kind, target_type, target_id, payload, before, requested_by,
                             requested_name)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (kind, target_id) WHERE status = 'pending' DO NOTHING
RETURNING *
"""
# Locked for the decision: two approvers at once cannot both run the action.
SELECT_APPROVAL_FOR_DECISION = "SELECT * FROM admin_approvals WHERE id = $1 FOR UPDATE"
SELECT_APPROVAL = "SELECT * FROM admin_approvals WHERE id = $1"
DECIDE_APPROVAL = """
UPDATE admin_approvals
SET status = $2, decided_by = $3, decided_name = $4, decided_at = now(), reason = $5,
    result = $6
WHERE id = $1 AND status = 'pending'
RETURNING *
"""
LIST_APPROVALS = """
SELECT * FROM admin_approvals
WHERE ($1::text IS NULL OR status = $1)
ORDER BY requested_at DESC, id DESC
LIMIT $2
"""
# The payout account only: fees are not four-eyed and stay as they are.
UPDATE_PAYOUT_ACCOUNT = """
UPDATE merchants SET name = $2, bin = $3, iban = $4, bic = $5
WHERE id = $1
RETURNING *
"""


async def insert_approval(conn: Conn, approval_id: str, kind: str, target: tuple[str, str],
                          payload: Any, before: Any, requester: tuple[str | None, str]
                          ) -> Row | None:
    row: Row | None = await conn.fetchrow(
        INSERT_APPROVAL, approval_id, kind, target[0], target[1], payload,
        before, requester[0], requester[1])
    return row


async def select_approval(conn: Conn, approval_id: str, *, for_update: bool = False
                          ) -> Row | None:
    row: Row | None = await conn.fetchrow(
        SELECT_APPROVAL_FOR_DECISION if for_update else SELECT_APPROVAL, approval_id)
    return row


async def decide_approval(conn: Conn, approval_id: str, status: str,
                          decider: tuple[str | None, str], reason: str | None,
                          result: Any) -> Row | None:
    row: Row | None = await conn.fetchrow(DECIDE_APPROVAL, approval_id, status, decider[0],
                                          decider[1], reason, result)
    return row


async def list_approvals(conn: Conn, status: str | None, limit: int) -> list[Row]:
    return list(await conn.fetch(LIST_APPROVALS, status, limit))


async def update_payout_account(conn: Conn, merchant_id: str, name: str, bin_: str, iban: str,
                                bic: str | None) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_PAYOUT_ACCOUNT, merchant_id, name, bin_, iban,
                                          bic)
    return row
