"""A small blocking JSON-RPC 2.0 client for devnet control (readiness probes, anvil_* calls).

The orchestrator runs from the CLI and from `make run` before any event loop serves traffic,
so it stays synchronous; the gateway's watchers use their own async clients.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from typing import Any

from gateway.errors import RpcError, RpcTimeout

_ids = itertools.count(1)


def call(url: str, method: str, params: list[Any] | None = None, *,
         timeout: float = 5.0) -> Any:  # float-ok
    """`method(params)` at `url`; the `result`, or RpcError / RpcTimeout."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params or []}
    ).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except TimeoutError as exc:
        raise RpcTimeout(f"{method} at {url} timed out after {timeout}s") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise RpcError(f"{method} at {url} failed: {exc}") from exc
    return _result(method, raw)


def _result(method: str, raw: bytes) -> Any:
    try:
        answer = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RpcError(f"{method}: the node answered non-JSON: {raw[:120]!r}") from exc
    if not isinstance(answer, dict):
        raise RpcError(f"{method}: the node answered {type(answer).__name__}, not an object")
    error = answer.get("error")
    if error is not None:
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        raise RpcError(f"{method}: {message}", code=code if isinstance(code, int) else None)
    if "result" not in answer:
        raise RpcError(f"{method}: the answer has neither result nor error")
    return answer["result"]


def answers(url: str, method: str, expected: Any = None, *,
            timeout: float = 1.0) -> bool:  # float-ok
    """Whether the node answers `method` (with `expected`, when given) right now."""
    try:
        result = call(url, method, timeout=timeout)
    except (RpcError, RpcTimeout):
        return False
    return expected is None or result == expected
