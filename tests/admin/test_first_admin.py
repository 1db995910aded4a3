"""Dev `run` makes a first admin when there is none (no open mode, even in dev) and says how
to sign in; never in prod, and never a second one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import asyncpg

from gateway.admin import auth
from gateway.admin.first_admin import PASSWORD_FILE, ensure_first_admin, seed_first_admin
from gateway.config import AdminSettings
from tests.plugins.app import settings_for_tests


async def test_dev_creates_one_first_admin_who_can_sign_in(
        conn: asyncpg.Connection, database_url: str, tmp_path: Path) -> None:
    settings = settings_for_tests(database_url, tmp_path)
    transaction = conn.transaction()
    await transaction.start()
    try:
        # A database without an enabled admin (other tests' admins demoted in this
        # transaction only).
        await conn.execute("UPDATE admin_users SET role = 'auditor' WHERE role = 'admin'")
        assert await ensure_first_admin(conn, replace(settings, env="prod")) is None
        created = await ensure_first_admin(conn, settings)
        assert created is not None and created.username.startswith("admin")
        saved = tmp_path / PASSWORD_FILE
        assert saved.read_text().strip() == created.password
        assert saved.stat().st_mode & 0o077 == 0
        opened = await auth.sign_in(conn, AdminSettings(), created.username, created.password,
                                    client_ip=None, user_agent=None)
        assert opened.session.role is auth.Role.ADMIN
        assert await ensure_first_admin(conn, settings) is None  # one is enough
    finally:
        await transaction.rollback()


async def test_prod_run_creates_no_admin(database_url: str, tmp_path: Path) -> None:
    settings = replace(settings_for_tests(database_url, tmp_path), env="prod")
    assert await seed_first_admin(settings) == ["first admin: not created (GATEWAY_ENV=prod)"]
    assert not (tmp_path / PASSWORD_FILE).exists()
