"""structlog, configured once per process: console lines in dev, JSON lines in prod.

Context (request_id, merchant_id, invoice_id, chain, block) is bound with
`structlog.contextvars.bind_contextvars` or `log.bind(...)` and appears on every line.

Secrets never reach a log line: `redact_secrets` runs last before rendering (exception text
included) and masks URL passwords (DSNs), key-like query values (`api-key=`, `token=`, ...)
and key-like path segments (RPC providers put their API key there: `/v3/<key>`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


class _StderrLogger(structlog.PrintLogger):
    """Prints to whatever `sys.stderr` is *now* (test runners swap and close it)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


# user:password@ in any URL (a DSN, an RPC URL with basic auth).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.I)
# ?api-key=..., &token=..., ...: the value goes.
_SECRET_QUERY = re.compile(
    r"(?P<head>[?&](?:api[-_]?key|apikey|key|token|access[-_]?token|secret|password|auth)=)"
    r"[^&\s\"']+", re.I)
# A path segment of 24+ letters/digits (no `_`: our ids like inv_... keep readable) in an
# http(s)/ws(s) URL: the API key of an RPC provider (Infura /v3/<key>, Alchemy /v2/<key>).
_SECRET_SEGMENT = re.compile(
    r"(?P<head>(?:https?|wss?)://[^/\s]+(?:/[^/\s?#]*)*?/)(?=[A-Za-z0-9-]*\d)"
    r"(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{24,}(?=[/?#\s\"']|$)", re.I)
MASK = "***"


def redact_text(text: str) -> str:
    """`text` with URL passwords, key-like query values and key-like URL path segments
    masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = _SECRET_QUERY.sub(lambda m: f"{m['head']}{MASK}", text)
    return _SECRET_SEGMENT.sub(lambda m: f"{m['head']}{MASK}", text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    if isinstance(value, Exception):
        return redact_text(str(value))
    return value


def redact_secrets(logger: Any, method: str, event: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """structlog processor: every string of the event (and exception text) redacted."""
    return {key: _redacted(value) for key, value in event.items()}


def _stderr_logger_factory(*args: object) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(log_format: str = "console", level: str = "info") -> None:
    """Configure structlog (and the stdlib root logger that libraries use)."""
    renderer: structlog.typing.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=_stderr_logger_factory,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(_LEVELS[level], logging.WARNING), stream=sys.stderr)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
