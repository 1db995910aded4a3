"""The `slow` marker (declared in pyproject.toml); `make test-fast` runs `-m "not slow"`.

A test that asks for a real node or a browser is slow wherever it lives, so it is marked here
and a new devnet test cannot slip into the fast lane. Files that start their own processes (a
private devnet, the whole gateway, a PostgreSQL cluster) carry `pytestmark = pytest.mark.slow`.
"""

import pytest

NODE_OR_BROWSER_FIXTURES = frozenset({"devnets", "solana_devnet", "browser"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NODE_OR_BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
