"""The migration runner: numbered `.sql` files applied in order, exactly once.

Files live in `settlement/migrations/` and `gateway/db/migrations/` and are merged by their
number (`0007_name.sql`). Each runs in its own transaction together with its row in
`schema_migrations` (name + sha256). A session-level advisory lock makes two processes that
start together queue instead of applying a file twice. A file whose content changed after it
was applied is refused: landed migrations are never edited, only followed by new ones.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from gateway.errors import MigrationError
from gateway.log import get_logger
from settlement.db import Conn

log = get_logger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MIGRATION_DIRS = (ROOT / "settlement" / "migrations", ROOT / "gateway" / "db" / "migrations")
ADVISORY_LOCK_KEY = 0x43435041_59000001  # "CCPAY" + 1: the migration lock
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, sha256 FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(dirs: tuple[Path, ...] | None = None) -> list[Migration]:
    """All migration files, ordered by number; two files with one number are refused."""
    found: dict[int, Migration] = {}
    for directory in MIGRATION_DIRS if dirs is None else dirs:
        for path in sorted(directory.glob("*.sql")):
            match = _NAME.match(path.name)
            if not match:
                raise MigrationError(f"migration file name not NNNN_name.sql: {path}")
            version = int(match.group(1))
            if version in found:
                raise MigrationError(f"two migrations numbered {version}: {path}, "
                                     f"{found[version].path}")
            found[version] = Migration(version, path.name, path)
    return [found[v] for v in sorted(found)]


async def _applied(conn: Conn) -> dict[int, tuple[str, str]]:
    await conn.execute(CREATE_TABLE)
    return {r["version"]: (r["name"], r["sha256"]) for r in await conn.fetch(SELECT_APPLIED)}


def _check_unchanged(migrations: list[Migration], applied: dict[int, tuple[str, str]]) -> None:
    for m in migrations:
        if m.version in applied and applied[m.version] != (m.name, m.sha256):
            raise MigrationError(
                f"migration {m.name} was changed after it was applied; "
                "add a new migration instead of editing a landed one"
            )


async def pending(conn: Conn) -> list[Migration]:
    """Migrations not yet applied (raises if an applied one changed)."""
    migrations = discover()
    applied = await _applied(conn)
    _check_unchanged(migrations, applied)
    return [m for m in migrations if m.version not in applied]


async def migrate(dsn: str) -> list[str]:
    """Apply every pending migration; returns the names applied by this call."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            done: list[str] = []
            for m in await pending(conn):
                try:
                    async with conn.transaction():
                        await conn.execute(m.sql)
                        await conn.execute(INSERT_APPLIED, m.version, m.name, m.sha256)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"migration {m.name} failed: {exc}") from exc
                log.info("migration_applied", migration=m.name)
                done.append(m.name)
            return done
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await conn.close()
