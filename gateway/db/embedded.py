"""A private PostgreSQL cluster under the data directory, reachable only by unix socket.

`initdb` runs once into `<data_dir>/pg`; the server listens on no TCP address (so it never
clashes with a system server) and puts its socket in `<data_dir>/run`. PostgreSQL refuses to
run as root, so when we are root the server runs as the unprivileged `postgres` user (created
by Debian's postgresql package) with the data directory handed to it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gateway.errors import DatabaseError

DB_NAME = "cryptocity"
SUPERUSER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "300",
    "shared_buffers": "256MB",
    "fsync": "on",
    "synchronous_commit": "on",
    # Group commit: concurrent writers share one WAL flush instead of queueing for their own.
    "commit_delay": "200",
    "commit_siblings": "2",
    "max_wal_size": "2GB",
    "log_min_messages": "warning",
}


def find_pg_bin(name: str) -> str:
    """The path of a PostgreSQL server binary (PATH first, then Debian's versioned dirs)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise DatabaseError(
        f"{name} not found: install the PostgreSQL server (apt-get install postgresql)"
    )


@dataclass(frozen=True)
class EmbeddedCluster:
    """Control of one private cluster rooted at `data_dir`."""

    data_dir: Path

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "pg.log"

    def url(self, dbname: str = DB_NAME) -> str:
        host = quote(str(self.socket_dir.absolute()), safe="")
        return f"postgresql://{SUPERUSER}@/{dbname}?host={host}"

    # -- running the binaries as the right user -------------------------------------------
    def _run_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise DatabaseError("running as root and no unprivileged 'postgres' user exists")

    def _cmd(self, *args: str) -> list[str]:
        user = self._run_user()
        return ["runuser", "-u", user, "--", *args] if user else list(args)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise DatabaseError(f"{args[0]} failed: {(proc.stderr or proc.stdout).strip()}")
        return proc

    def _prepare_dirs(self) -> None:
        for path in (self.data_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        user = self._run_user()
        if user:
            entry = pwd.getpwnam(user)
            os.chmod(self.data_dir, 0o755)
            for path in (self.socket_dir, *( [self.pgdata] if self.pgdata.exists() else [] )):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            if not self.log_file.exists():
                self.log_file.touch()
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self._prepare_dirs()
        if self.initialized():
            return
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._prepare_dirs()
        self._run(
            find_pg_bin("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"unix_socket_directories = '{self.socket_dir.absolute()}'\n")
            for key, value in SERVER_SETTINGS.items():
                conf.write(f"{key} = {value}\n")

    def running(self) -> bool:
        if not self.initialized():
            return False
        proc = self._run(find_pg_bin("pg_ctl"), "status", "-D", str(self.pgdata), check=False)
        return proc.returncode == 0

    def start(self) -> None:
        """Initialise if needed and start; a no-op when already running."""
        self.init()
        if not self.running():
            self._prepare_dirs()
            self._run(
                find_pg_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
                "-l", str(self.log_file),
            )
        self._create_database()

    def stop(self) -> None:
        if self.running():
            self._run(find_pg_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def _create_database(self) -> None:
        psql = find_pg_bin("psql")
        host = str(self.socket_dir.absolute())
        for _ in range(50):
            probe = subprocess.run(
                [psql, "-h", host, "-U", SUPERUSER, "-d", "postgres", "-tAc",
                 f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
                capture_output=True, text=True, check=False,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise DatabaseError(f"embedded cluster not reachable: {probe.stderr.strip()}")
        if probe.stdout.strip() != "1":
            subprocess.run(
                [psql, "-h", host, "-U", SUPERUSER, "-d", "postgres", "-c",
                 f"CREATE DATABASE {DB_NAME}"],
                capture_output=True, text=True, check=True,
            )

    def status(self) -> str:
        if not self.initialized():
            return "not initialised"
        return "running" if self.running() else "stopped"
