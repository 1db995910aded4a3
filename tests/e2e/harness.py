"""`python -m gateway run` as a subprocess, the way `make run` starts it, in a temp workspace.

The workspace stands in for a checkout: `<workspace>/.data` is GATEWAY_DATA_DIR and
`<workspace>/.venv` links to the interpreter's venv, so commands copied from the README
(`cat .data/demo_api_key`, `. .venv/bin/activate`) run there unchanged. Ports are free ones,
chain timing is fast. `stop_everything` is the teardown: it ends the run process group, stops
the devnets and the database through the CLI, and then signals anything a pid file still names,
so a failing test leaves nothing running.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT = 90.0  # a first start runs initdb; the machine is shared with other test runs
CLI_TIMEOUT = 60.0
FAST_CHAINS = {
    "BSC_BLOCK_TIME": "0.2",
    "BSC_FINALITY_BLOCKS": "2",
    "SOLANA_SLOT_TIME": "0.05",
    "SOLANA_FINALITY_SLOTS": "8",
    "BSC_POLL_INTERVAL": "0.1",
    "SOLANA_POLL_INTERVAL": "0.1",
    "WATCHER_LEADER_POLL": "0.2",
}
# Set in a developer's shell they would point the run somewhere else than its own devnets/db.
_FOREIGN = ("DATABASE_URL", "BSC_RPC_URL", "SOLANA_RPC_URL", "GATEWAY_PUBLIC_URL",
            "GATEWAY_HOST", "GATEWAY_ENV", "GATEWAY_WATCHERS", "GATEWAY_WATCH_CHAINS")


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (all sockets held until every port is chosen)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state != "Z"


def group_members(pgid: int, *, settle_s: int = 5) -> list[int]:
    """Live processes in process group `pgid` (from /proc), after giving members that are
    already exiting up to `settle_s` seconds to go (the leader's exit does not wait for them)."""
    deadline = time.monotonic() + settle_s
    while True:
        members = _group_members_now(pgid)
        if not members or time.monotonic() >= deadline:
            return members
        time.sleep(0.1)


def _group_members_now(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@dataclass
class Http:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, *, body: Any = None, key: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 10.0) -> Http:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Http(answer.status, answer.read().decode(), dict(answer.headers))
    except urllib.error.HTTPError as exc:
        return Http(exc.code, exc.read().decode(), dict(exc.headers))


@dataclass
class Workspace:
    """Where one `make run`-equivalent lives, and how to talk to it."""

    root: Path
    gateway_port: int
    bsc_port: int
    solana_port: int

    @property
    def data_dir(self) -> Path:
        return self.root / ".data"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def output(self) -> Path:
        return self.root / "run.out"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
        return {**env, **FAST_CHAINS, "GATEWAY_DATA_DIR": str(self.data_dir),
                "GATEWAY_PORT": str(self.gateway_port),
                "BSC_DEVNET_PORT": str(self.bsc_port),
                "SOLANA_DEVNET_PORT": str(self.solana_port),
                "PYTHONUNBUFFERED": "1"}

    @staticmethod
    def cli_argv() -> list[str]:
        return [sys.executable, "-m", "gateway"]

    def cli(self, *args: str, stdin: str | None = None,
            timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """`python -m gateway <args>` in the workspace, as a user would type it."""
        return subprocess.run([*self.cli_argv(), *args], cwd=self.root,
                              env=self.env(), input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def output_text(self) -> str:
        try:
            return self.output.read_text(errors="replace")
        except OSError:
            return "(no output)"

    def pid_files(self) -> dict[str, Path]:
        devnet = self.data_dir / "devnet"
        return {"bsc": devnet / "bsc.pid", "solana": devnet / "solana.pid",
                "postgres": self.data_dir / "pg" / "postmaster.pid"}

    def recorded_pids(self) -> dict[str, int]:
        """name -> pid of every pid file present (postmaster.pid: the first line)."""
        pids = {}
        for name, path in self.pid_files().items():
            with contextlib.suppress(OSError, ValueError, IndexError):
                pids[name] = int(path.read_text().split()[0])
        return pids


def new_workspace(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    # Like a checkout: traversable, for the database server running as `postgres` under root.
    root.chmod(0o755)
    venv = root / ".venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.prefix))
    gateway, bsc, solana = free_ports(3)
    return Workspace(root, gateway, bsc, solana)


def start_run(ws: Workspace) -> subprocess.Popen[bytes]:
    """`python -m gateway run` in its own session (so its whole group can be signalled)."""
    with ws.output.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "gateway", "run"], cwd=ws.root,
                                env=ws.env(), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(ws: Workspace, proc: subprocess.Popen[bytes], banners: int = 1) -> None:
    """Until /readyz answers 200 and the `banners`-th banner is complete in the output."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gateway run exited with {proc.returncode}:\n"
                                 f"{ws.output_text()[-4000:]}")
        with contextlib.suppress(OSError):
            if (http("GET", ws.url + "/readyz", timeout=2).status == 200
                    and ws.output_text().count("CryptoCity Pay is running") >= banners):
                return
        time.sleep(0.2)
    raise AssertionError(f"gateway run not ready in {START_TIMEOUT:.0f}s:\n"
                         f"{ws.output_text()[-4000:]}")


def stop_run(proc: subprocess.Popen[bytes], sig: signal.Signals,
             timeout: float = 20.0) -> int | None:
    """Signal the run's process group; its exit status, or None if it had to be killed."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return None


def stop_everything(ws: Workspace, proc: subprocess.Popen[bytes] | None) -> None:
    """Teardown that works whatever state a failed test left behind."""
    if proc is not None:
        stop_run(proc, signal.SIGTERM)
    if not ws.recorded_pids():
        return  # a passing run stopped everything itself
    for args in (("devnet", "down"), ("db", "stop")):
        with contextlib.suppress(subprocess.TimeoutExpired):
            ws.cli(*args)
    for pid in ws.recorded_pids().values():
        # Last resort: the CLI could not stop it (it is ours: the pid file is in our workspace).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


@dataclass
class Run:
    """The workspace and its current `gateway run` process (replaced by `restart`)."""

    ws: Workspace
    proc: subprocess.Popen[bytes]
    starts: int = 1

    def banner(self) -> str:
        """The latest banner block, rule to rule."""
        text = self.ws.output_text()
        start = text.rindex("CryptoCity Pay is running")
        end = text.index("-" * 78, start)
        return text[start:end]

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the run's output, for assertion messages."""
        return "--- gateway run output (tail) ---\n" + self.ws.output_text()[-chars:]

    def restart(self) -> None:
        """Start `gateway run` again in the same workspace (a second `make run`)."""
        self.proc = start_run(self.ws)
        self.starts += 1
        wait_ready(self.ws, self.proc, self.starts)


@contextlib.contextmanager
def running_gateway(root: Path) -> Iterator[Run]:
    ws = new_workspace(root)
    run = Run(ws, start_run(ws))
    try:
        wait_ready(ws, run.proc)
        yield run
    finally:
        stop_everything(ws, run.proc)
