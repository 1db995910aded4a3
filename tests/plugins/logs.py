"""Capturing structlog lines of every level, whatever logging an earlier test configured.

`structlog.testing.capture_logs` swaps the processors but keeps the configured wrapper class,
and an app started by an earlier test (gateway.log.configure_logging, LOG_LEVEL warning in the
test settings) filters info lines out before they reach the capture: a test asserting an
info line then passes alone and fails in the whole suite.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog


@contextmanager
def capture_all_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """`structlog.testing.capture_logs` with the level filter lifted while it captures."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(wrapper_class=wrapper)
