"""The gateway as separate processes that the chaos run kills with SIGKILL and starts again.

`make run` (tests/e2e/harness.py) prepares the workspace once: the embedded database
(migrated), both devnets, the demo merchant. It is then stopped and the gateway runs as the
processes a deployment has:

    api             python -m gateway serve             (GATEWAY_WATCHERS=off: HTTP only)
    watch-bsc(-2)   python -m gateway watch --chain bsc     (+ the expiry sweeper)
    watch-solana(-2) python -m gateway watch --chain solana (+ the expiry sweeper)

Two of each watcher: one leads its chain's lock (and maybe the sweeper's), the other stands
by and takes over when the leader dies.

Each runs in its own session, so SIGKILL reaches the whole process group. The devnets and
the database are never killed (they stand for the chains and the database server).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gateway.db.embedded import EmbeddedCluster
from tests.e2e.harness import (
    Workspace,
    http,
    new_workspace,
    start_run,
    stop_everything,
    stop_run,
    wait_ready,
)

# Finality deep enough that a reorg of a few blocks lands before it (anvil's `finalized`
# tag lags `latest` by this many blocks: 3.2 s at 0.2 s blocks).
BSC_FINALITY_BLOCKS = 16
CHAOS_ENV = {
    "BSC_FINALITY_BLOCKS": str(BSC_FINALITY_BLOCKS),
    "LIFECYCLE_SWEEP_INTERVAL": "0.2",
    "WATCHED_RELOAD_SECONDS": "5",
    "GATEWAY_LOG_LEVEL": "warning",
}
SERVICES: dict[str, tuple[str, ...]] = {
    "api": ("serve",),
    "watch-bsc": ("watch", "--chain", "bsc"),
    "watch-bsc-2": ("watch", "--chain", "bsc"),
    "watch-solana": ("watch", "--chain", "solana"),
    "watch-solana-2": ("watch", "--chain", "solana"),
}
READY_TIMEOUT = 60.0


class ChaosWorkspace(Workspace):
    """The e2e workspace with the chaos run's chain timing."""

    def env(self) -> dict[str, str]:
        return {**super().env(), **CHAOS_ENV}


@dataclass
class Stack:
    ws: ChaosWorkspace
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kills: dict[str, int] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return EmbeddedCluster(self.ws.data_dir).url()

    @property
    def bsc_rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.ws.bsc_port}"

    @property
    def solana_rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.ws.solana_port}"

    def api_key(self) -> str:
        return (self.ws.data_dir / "demo_api_key").read_text().strip()

    def log_path(self, name: str) -> Path:
        return self.ws.root / f"{name}.out"

    def start(self, name: str) -> None:
        env = self.ws.env()
        if name == "api":
            env["GATEWAY_WATCHERS"] = "off"
        with self.log_path(name).open("ab") as out:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "gateway", *SERVICES[name]], cwd=self.ws.root, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        if name == "api":
            self.wait_api()

    def kill(self, name: str) -> None:
        """SIGKILL the service's whole process group (no cleanup of any kind runs)."""
        proc = self.procs.pop(name)
        self.note_crash(name, proc)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.kills[name] = self.kills.get(name, 0) + 1

    def note_crash(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        """A service found ended though nobody killed it: a finding of the run."""
        if proc.poll() is not None:
            self.crashes.append(f"{name} exited by itself with {proc.returncode}:\n"
                                f"{self.tail(name, 1500)}")

    def ensure_running(self) -> None:
        """Every service up (a crashed one is noted, then started again)."""
        for name in SERVICES:
            proc = self.procs.get(name)
            if proc is not None:
                self.note_crash(name, proc)
            if proc is None or proc.poll() is not None:
                self.start(name)

    def wait_api(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        proc = self.procs["api"]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"api exited with {proc.returncode}:\n{self.tail('api')}")
            with contextlib.suppress(OSError):
                if http("GET", self.ws.url + "/readyz", timeout=2).status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"api not ready in {READY_TIMEOUT:.0f}s:\n{self.tail('api')}")

    def tail(self, name: str, chars: int = 3000) -> str:
        try:
            return self.log_path(name).read_text(errors="replace")[-chars:]
        except OSError:
            return "(no output)"

    def stop_all(self) -> None:
        for name in list(self.procs):
            stop_run(self.procs.pop(name), signal.SIGTERM, timeout=10)


@contextlib.contextmanager
def running_stack(root: Path) -> Iterator[Stack]:
    """`make run` once to prepare, then the three services; everything stopped after."""
    base = new_workspace(root)
    ws = ChaosWorkspace(base.root, base.gateway_port, base.bsc_port, base.solana_port)
    run = start_run(ws)
    stack = Stack(ws)
    try:
        wait_ready(ws, run)
        stop_run(run, signal.SIGTERM)
        for name in SERVICES:
            stack.start(name)
        yield stack
    finally:
        stack.stop_all()
        stop_everything(ws, run)
