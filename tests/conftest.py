"""Test configuration: fixtures are plugins under tests/plugins (see docs/architecture.md)."""

pytest_plugins = [
    "tests.plugins.db",
    "tests.plugins.devnet",
    "tests.plugins.app",
    "tests.plugins.browser",
    "tests.plugins.solana_devnet",
    "tests.plugins.watchers",
    "tests.plugins.clock",
    "tests.plugins.slow",
]
