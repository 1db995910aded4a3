"""The import contracts catch what they promise: a violation planted in a copy of the tree fails
`lint-imports` and is named in its report (the contracts live in pyproject.toml and
.importlinter-pending; `make lint` runs them)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(dest: Path) -> Path:
    """The Python sources of both packages and the contract files, without data or caches."""
    for package in ("gateway", "settlement"):
        shutil.copytree(ROOT / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "node_modules", "static",
                                                      "templates", "migrations", "contracts"))
    for config in ("pyproject.toml", ".importlinter-pending"):
        shutil.copy(ROOT / config, dest / config)
    return dest


def _lint(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # cwd first on sys.path: lint-imports reads the copy, not the installed checkout.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", *args], cwd=tree,
                          capture_output=True, text=True, timeout=120, check=False)


def _plant(tree: Path, module: str, source: str) -> None:
    path = tree.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(source)


@pytest.fixture(scope="module")
def clean_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tree(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One lint run over a copy with a violation of each contract planted."""
    tree = _copy_tree(tmp_path_factory.mktemp("planted"))
    _plant(tree, "settlement.planted", "from gateway import log\n\nLOG = log\n")
    queries = tree / "gateway" / "invoices" / "queries.py"
    queries.write_text(queries.read_text() + "\nfrom gateway.invoices import service  # noqa\n")
    # gateway.planted reaches the devnet only through gateway.planted_helper.
    _plant(tree, "gateway.planted_helper", "from gateway.devnet import tools\n\nTOOLS = tools\n")
    _plant(tree, "gateway.planted", "from gateway import planted_helper\n\nH = planted_helper\n")
    result = _lint(tree, "pyproject.toml", ".importlinter-pending")
    assert result.returncode != 0
    return result.stdout


def test_enforced_contracts_hold_on_the_copy(clean_tree: Path) -> None:
    result = _lint(clean_tree, "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_settlement_importing_gateway_fails(planted_report: str) -> None:
    assert "settlement imports nothing from gateway BROKEN" in planted_report
    assert "settlement.planted -> gateway.log" in planted_report


def test_queries_importing_service_fails(planted_report: str) -> None:
    assert "routes -> service -> queries BROKEN" in planted_report
    assert "gateway.invoices.queries -> gateway.invoices.service" in planted_report


def test_importing_devnet_fails_even_indirectly(planted_report: str) -> None:
    assert "gateway.planted is not allowed to import gateway.devnet" in planted_report
    assert "gateway.planted_helper -> gateway.devnet.tools" in planted_report


def test_a_cycle_between_gateway_children_fails(tmp_path: Path) -> None:
    """On a synthetic gateway (the real one is not acyclic yet) with the pending contract."""
    package = tmp_path / "gateway"
    (package / "orders").mkdir(parents=True)
    for init in (package, package / "orders"):
        (init / "__init__.py").write_text("")
    (package / "config.py").write_text("LIMIT = 1\n")
    (package / "orders" / "service.py").write_text("from gateway import config\n\nC = config\n")
    (tmp_path / "settlement").mkdir()
    (tmp_path / "settlement" / "__init__.py").write_text("")
    shutil.copy(ROOT / ".importlinter-pending", tmp_path / ".importlinter-pending")
    only_acyclic = (".importlinter-pending", "--contract", "gateway-acyclic")
    assert _lint(tmp_path, *only_acyclic).returncode == 0

    (package / "config.py").write_text("from gateway.orders import service\n\nS = service\n")
    result = _lint(tmp_path, *only_acyclic)
    assert result.returncode != 0
    assert "no cycle between the packages and top-level modules of gateway BROKEN" in result.stdout
    assert ".config -> .orders" in result.stdout or ".orders -> .config" in result.stdout
