"""The embedded cluster and the migration runner, against real PostgreSQL processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from gateway.db.embedded import EmbeddedCluster
from gateway.db.migrate import discover

ROOT = Path(__file__).resolve().parents[2]
# Slow: each test starts and stops its own PostgreSQL cluster.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL given: no embedded cluster"
)]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="ccpe-", dir="/tmp"))
    yield tmp
    EmbeddedCluster(tmp).stop()
    shutil.rmtree(tmp, ignore_errors=True)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_start_stop_start_keeps_data(data_dir: Path) -> None:
    cluster = EmbeddedCluster(data_dir)
    assert _cli(data_dir, "db", "start").returncode == 0
    assert _cli(data_dir, "db", "start").returncode == 0, "start must be idempotent"
    assert cluster.running()

    async def write_then_read(write: bool) -> int:
        conn = await asyncpg.connect(cluster.url())
        try:
            if write:
                await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
            value: int = await conn.fetchval("SELECT n FROM kept")
            return value
        finally:
            await conn.close()

    assert asyncio.run(write_then_read(True)) == 42
    assert _cli(data_dir, "db", "stop").returncode == 0
    assert _cli(data_dir, "db", "status").returncode == 3
    assert _cli(data_dir, "db", "start").returncode == 0
    assert asyncio.run(write_then_read(False)) == 42
    url = _cli(data_dir, "db", "url").stdout.strip()
    assert url == cluster.url() and "host=" in url


def test_concurrent_migrate_applies_each_once(data_dir: Path) -> None:
    cluster = EmbeddedCluster(data_dir)
    cluster.start()
    env = {**os.environ, "GATEWAY_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    procs = [
        subprocess.Popen([sys.executable, "-m", "gateway", "db", "migrate"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs

    async def applied() -> list[int]:
        conn = await asyncpg.connect(cluster.url())
        try:
            rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
            return [r["version"] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(applied()) == [m.version for m in discover()]


def test_changed_migration_is_refused(data_dir: Path, tmp_path: Path) -> None:
    from gateway.db import migrate as runner
    from gateway.errors import MigrationError

    cluster = EmbeddedCluster(data_dir)
    cluster.start()
    mig_dir = tmp_path / "migrations"
    mig_dir.mkdir()
    sql_file = mig_dir / "0001_demo.sql"
    sql_file.write_text("CREATE TABLE demo (n int);\n")

    async def run() -> None:
        original = runner.MIGRATION_DIRS
        runner.MIGRATION_DIRS = (mig_dir,)
        try:
            await runner.migrate(cluster.url())
            sql_file.write_text("CREATE TABLE demo (n bigint);\n")
            with pytest.raises(MigrationError, match="changed after it was applied"):
                await runner.migrate(cluster.url())
        finally:
            runner.MIGRATION_DIRS = original

    asyncio.run(run())
