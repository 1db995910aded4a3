"""Background devnet processes: start, readiness, pid files, logs and a clean stop.

Each process has `<run_dir>/<name>.pid`, `<name>.log` and `<name>.json` (what was started
with which arguments and where it answers). A pid file is trusted only while the process it
names is alive, not a zombie, and still runs the recorded program, so a stale file left by a
crash never gets another process signalled.

    stopped --start--> starting --ready--> running --stop--> stopped
                           \\--exit/timeout--> stopped (DevnetStartError, with the log tail)
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.devnet.errors import DevnetError, DevnetStartError
from gateway.log import get_logger

log = get_logger(__name__)

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.05
# Processes this interpreter started: waited on directly so they never linger as zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


class ProcessState(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"


_TRANSITIONS = {
    ProcessState.STOPPED: {ProcessState.STARTING},
    ProcessState.STARTING: {ProcessState.RUNNING, ProcessState.STOPPED},
    ProcessState.RUNNING: {ProcessState.STOPPED},
}


def transition(current: ProcessState, target: ProcessState) -> ProcessState:
    """The guarded move from `current` to `target`; an illegal move raises DevnetError."""
    if target not in _TRANSITIONS[current]:
        raise DevnetError(f"devnet process cannot go from {current.value} to {target.value}")
    return target


@dataclass(frozen=True)
class ProcessInfo:
    """What `<name>.json` records about a started process."""

    pid: int
    argv: tuple[str, ...]
    url: str
    started_at: float  # float-ok

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "argv": list(self.argv), "url": self.url,
                           "started_at": self.started_at}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ProcessInfo:
        raw: dict[str, Any] = json.loads(text)
        return cls(int(raw["pid"]), tuple(raw["argv"]), str(raw["url"]),
                   float(raw["started_at"]))  # float-ok


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (macOS): kill(0) is all we can know
    # The state letter follows the parenthesised command name; Z is a zombie (already exited).
    return stat.rpartition(")")[2].split()[0] != "Z"


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A pre-exec hook that has the kernel SIGTERM the child when its parent dies.

    Used by tests so a session killed hard leaves no devnet holding ports. The libc symbol is
    looked up here, in the parent: between fork and exec the child only makes the call.
    """
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return functools.partial(prctl, _PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class ManagedProcess:
    """One named background process under `run_dir`."""

    name: str
    run_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    @property
    def info_file(self) -> Path:
        return self.run_dir / f"{self.name}.json"

    def info(self) -> ProcessInfo | None:
        """The record of the running process, or None (stale records are removed)."""
        try:
            info = ProcessInfo.from_json(self.info_file.read_text())
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError, KeyError):
            return None
        cmdline = _cmdline(pid)
        same_program = cmdline is None or cmdline[: len(info.argv)] == list(info.argv)
        if pid != info.pid or not _alive(pid) or not same_program:
            self._forget()
            return None
        return info

    def state(self) -> ProcessState:
        return ProcessState.RUNNING if self.info() else ProcessState.STOPPED

    def start(
        self,
        argv: Sequence[str],
        *,
        url: str,
        ready: Callable[[], bool],
        timeout: float = 30.0,  # float-ok
        env: Mapping[str, str] | None = None,
        die_with_parent: bool = False,
    ) -> ProcessInfo:
        """Start `argv` in the background and wait until `ready()`; DevnetStartError if not."""
        state = transition(self.state(), ProcessState.STARTING)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        proc = self._spawn(argv, env, die_with_parent)
        info = ProcessInfo(proc.pid, tuple(argv), url, time.time())
        self.pid_file.write_text(f"{proc.pid}\n")
        self.info_file.write_text(info.to_json())
        try:
            self._wait_ready(proc, ready, timeout)
        except DevnetStartError:
            self.stop()
            raise
        transition(state, ProcessState.RUNNING)
        log.info("devnet_process_started", process=self.name, pid=proc.pid, url=url)
        return info

    def _spawn(self, argv: Sequence[str], env: Mapping[str, str] | None,
               die_with_parent: bool) -> subprocess.Popen[bytes]:
        # One log per run, the previous one kept as .log.1: anvil logs every request and block.
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with self.log_file.open("wb") as log_out:
            try:
                proc = subprocess.Popen(
                    list(argv), stdin=subprocess.DEVNULL, stdout=log_out,
                    stderr=subprocess.STDOUT, env=dict(env) if env is not None else None,
                    start_new_session=True,
                    preexec_fn=_die_with_parent_hook() if die_with_parent else None,
                )
            except OSError as exc:
                raise DevnetStartError(f"cannot start {self.name}: {exc}") from exc
        _children[proc.pid] = proc
        return proc

    def _wait_ready(self, proc: subprocess.Popen[bytes], ready: Callable[[], bool],
                    timeout: float) -> None:  # float-ok
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DevnetStartError(
                    f"{self.name} exited with status {proc.returncode} during start; "
                    f"log {self.log_file}:\n{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(_POLL_S)
        raise DevnetStartError(
            f"{self.name} did not answer within {timeout:.0f}s; log {self.log_file}:\n"
            f"{self.log_tail()}"
        )

    def stop(self, timeout: float = 15.0) -> bool:  # float-ok
        """SIGTERM (so anvil writes its state), SIGKILL after `timeout`; True if it ran."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            self._forget()
            return False
        was_running = self.info() is not None
        if was_running:
            self._terminate(pid, timeout)
            log.info("devnet_process_stopped", process=self.name, pid=pid)
        self._forget()
        return was_running

    def _terminate(self, pid: int, timeout: float) -> None:  # float-ok
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout):
            log.warning("devnet_process_killed", process=self.name, pid=pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 5.0)

    @staticmethod
    def _wait_exit(pid: int, timeout: float) -> bool:  # float-ok
        child = _children.get(pid)
        if child is not None:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            del _children[pid]
            return True
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    def _forget(self) -> None:
        for path in (self.pid_file, self.info_file):
            path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
