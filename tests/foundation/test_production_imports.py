"""Production code does not load the devnets: only gateway/devnet and the dev-mode entry point
(gateway/__main__.py) import gateway.devnet, and the image leaves the package out."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import gateway

# Fresh interpreters importing every module: `make test` only, not the fast lane.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Imports every production module in a fresh interpreter, then lists what loaded the devnets.
PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print("\\n".join(sorted(m for m in sys.modules if m.startswith("gateway.devnet"))))
"""


def production_modules() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(gateway.__path__, "gateway.")]
    return [name for name in names
            if not name.startswith("gateway.devnet") and name != "gateway.__main__"]


def test_no_production_module_loads_the_devnets() -> None:
    modules = production_modules()
    assert "gateway.cli" in modules and "gateway.app" in modules
    loaded = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True,
                            text=True, check=True, timeout=120).stdout.split()
    assert loaded == []


def test_the_image_ships_no_devnet_and_runs_the_production_entry() -> None:
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "gateway/devnet" in ignored
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "gateway.cli", "serve"]' in dockerfile
    for manifest in (ROOT / "deploy" / "compose.yaml", ROOT / "deploy" / "k8s" / "gateway.yaml"):
        assert '"-m", "gateway",' not in manifest.read_text()


def test_without_the_devnet_package_python_m_gateway_is_the_production_cli() -> None:
    # As in the image: operators' `python -m gateway apikey create ...` keeps working.
    hide_devnet = ("import runpy, sys; sys.modules['gateway.devnet'] = None; "
                   "sys.argv = ['gateway', '--help']; runpy.run_module('gateway', "
                   "run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", hide_devnet], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "apikey" in proc.stdout and "devnet" not in proc.stdout
