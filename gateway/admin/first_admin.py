"""Dev `run` startup step: a first administrator when there is none, and how to sign in.

There is no open mode, even in dev, so a fresh dev database needs an account to reach the
console and its JSON API. When no enabled `admin` exists, one is created (`admin`, or
`admin-<hex>` if that name is taken) with a random password, saved 0600 in
`<data_dir>/first_admin_password` and printed in the banner. Never in prod: a deployment's
first admin is made with `python -m gateway.cli admin create`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from gateway.admin import auth
from gateway.admin import queries as q
from gateway.admin.audit import Actor
from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from settlement.db import Conn

PASSWORD_FILE = "first_admin_password"
FIRST_ADMIN = "admin"
DEV_ACTOR = Actor(None, "dev-run")


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    password: str


def _write_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")


async def ensure_first_admin(conn: Conn, settings: Settings) -> FirstAdmin | None:
    """Create the first admin when no enabled admin exists; None when one does."""
    if not settings.dev:
        return None
    if await q.count_enabled_admins(conn) > 0:
        return None
    taken = await q.select_user_by_name(conn, FIRST_ADMIN) is not None
    username = f"{FIRST_ADMIN}-{secrets.token_hex(3)}" if taken else FIRST_ADMIN
    password = secrets.token_urlsafe(15)
    await auth.create_user(conn, username, password, auth.Role.ADMIN, DEV_ACTOR)
    _write_password(settings.data_dir / PASSWORD_FILE, password)
    return FirstAdmin(username, password)


async def seed_first_admin(settings: Settings) -> list[str]:
    """The startup step of the dev `run`; returns the banner lines."""
    if not settings.dev:
        return ["first admin: not created (GATEWAY_ENV=prod)"]
    # A pool of one: its connections carry the jsonb codec the audit row needs.
    pool = await create_pool(database_url(settings), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            created = await ensure_first_admin(conn, settings)
    finally:
        await pool.close()
    if created is None:
        return []
    return [
        f"first admin: {created.username} / {created.password}  "
        f"(saved in {settings.data_dir / PASSWORD_FILE})",
        f"  sign in at {settings.public_url}/admin; change the password with "
        f"`admin set-password --username {created.username}`",
    ]
