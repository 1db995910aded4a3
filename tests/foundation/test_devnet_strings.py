"""What the import contracts cannot see: a module named in a string ("gateway.devnet.x" or
"gateway.devnet.x:function", loaded through importlib) is an import all the same. Production
code names gateway.devnet nowhere outside gateway/devnet and the dev entry point."""

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
ALLOWED = (GATEWAY / "devnet", GATEWAY / "__main__.py")


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes: prose may name the devnet, code may not."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def devnet_strings(root: Path) -> list[str]:
    """`path:line: string` for every string constant in code that names gateway.devnet."""
    hits = []
    for path in sorted(root.rglob("*.py")):
        if any(path == allowed or allowed in path.parents for allowed in ALLOWED):
            continue
        tree = ast.parse(path.read_text(), str(path))
        prose = _docstrings(tree)
        named = sorted((node.lineno, node.value) for node in ast.walk(tree)
                       if isinstance(node, ast.Constant) and isinstance(node.value, str)
                       and node.value.startswith("gateway.devnet") and id(node) not in prose)
        hits += [f"{path.relative_to(root.parent)}:{line}: {value}" for line, value in named]
    return hits


def test_the_check_finds_a_planted_string(tmp_path: Path) -> None:
    package = tmp_path / "gateway"
    package.mkdir()
    (package / "run.py").write_text('"""Starts gateway.devnet in dev mode."""\n'
                                    'STEPS = ["gateway.devnet.startup:devnet_startup"]\n')
    assert devnet_strings(package) == ["gateway/run.py:2: gateway.devnet.startup:devnet_startup"]


def test_no_production_module_names_the_devnet_in_a_string() -> None:
    assert devnet_strings(GATEWAY) == []
