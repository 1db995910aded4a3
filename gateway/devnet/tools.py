"""Where the pinned devnet tools live: deploy/devnet/node_modules (deploy/devnet/install.sh).

anvil ships as a prebuilt binary inside the platform package `@foundry-rs/anvil-<os>-<arch>`;
we run that binary directly rather than the `.bin/anvil` node wrapper so the pid we record
is anvil's own and a signal reaches it without a forwarding process in between.
"""

from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path

from gateway.devnet.errors import DevnetToolMissing

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "deploy" / "devnet" / "node_modules"
_INSTALL_HINT = "run `bash deploy/devnet/install.sh` (or `make devnet-deps`)"
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _platform_package(tool: str) -> str:
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, "")
    arch = _ARCH.get(platform.machine().lower(), "")
    return f"@foundry-rs/{tool}-{system}-{arch}"


def anvil_binary() -> Path:
    """The anvil executable from the pinned npm package."""
    direct = NODE_MODULES / _platform_package("anvil") / "bin" / "anvil"
    if direct.is_file():
        return direct
    wrapper = NODE_MODULES / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    raise DevnetToolMissing(f"anvil is not installed under {NODE_MODULES}: {_INSTALL_HINT}")


def solcjs_script() -> Path:
    """The solcjs command-line script from the pinned `solc` npm package."""
    script = NODE_MODULES / "solc" / "solc.js"
    if not script.is_file():
        raise DevnetToolMissing(f"solc is not installed under {NODE_MODULES}: {_INSTALL_HINT}")
    return script


def node_binary() -> str:
    found = shutil.which("node")
    if not found:
        raise DevnetToolMissing("node is not on PATH: install Node.js (deploy/setup-system.sh)")
    return found
