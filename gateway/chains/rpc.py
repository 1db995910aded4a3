"""JSON-RPC transport of the watchers: one place for timeouts, retries and error mapping.

`JsonRpcEndpoint` holds what every chain's client shares: the per-request timeout, the
mapping of library errors to ours, retries with capped exponential backoff, and reading a
JSON-RPC response object. `RpcClient` (BNB Chain, here) and `SolanaRpc`
(gateway.chains.solana.rpc) build on it and only say how their bytes travel.

`RpcClient` sends through web3.py's `AsyncWeb3(AsyncHTTPProvider)`: the standard
`eth_chainId` through `w3.eth`, the block and log reads as raw JSON-RPC
(`provider.make_request` / `make_batch_request`) so one set of parsers (gateway.chains.bsc.evm)
reads exactly what the node sent, and the catch-up path can batch many requests in one HTTP
round trip.

Error mapping (library errors never escape these clients):
- HTTP status >= 400, connection failures, bodies that are not JSON, answers that are not a
  JSON-RPC response -> `RpcError` (transient: retried here with capped exponential backoff);
- no answer within the timeout -> `RpcTimeout` (retried);
- a JSON-RPC `error` object -> `NodeError`, an `RpcError` with its `code` (not retried here:
  the node meant it, and the caller decides, e.g. halving an eth_getLogs range).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import aiohttp
import orjson
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import Web3Exception
from web3.types import RPCEndpoint, RPCResponse

from gateway.chains.errors import MalformedResponse, NodeError
from gateway.errors import RpcError, RpcTimeout
from gateway.log import get_logger

log = get_logger(__name__)
T = TypeVar("T")
_EXCERPT = 160  # characters of a bad answer kept in error messages


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    attempts: int = 3
    base_delay: float = 0.1  # float-ok
    max_delay: float = 5.0  # float-ok

    def delay(self, attempt: int) -> float:  # float-ok
        """Seconds to wait after failed attempt `attempt` (1-based), with +-20 % jitter."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return raw * random.uniform(0.8, 1.2)  # jitter spreads retries of many clients


def excerpt(value: object) -> str:
    """`value` as text, cut to a length an error message or log line can carry."""
    text = str(value)
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


class JsonRpcEndpoint:
    """One node's JSON-RPC endpoint: timeout, error mapping and retries of its requests.

    Subclasses send the requests; `timeout` may be changed on a live client (tests shorten it).
    """

    chain: ClassVar[str]
    # Errors a retry cannot fix: the node answered deliberately (or in a shape it always will).
    permanent: ClassVar[tuple[type[RpcError], ...]] = (NodeError,)
    # Whether an answer must say "jsonrpc": "2.0" to count as a JSON-RPC response.
    require_version: ClassVar[bool] = False

    def __init__(self, url: str, *, timeout: float = 10.0,  # float-ok
                 retry: RetryPolicy | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()

    def _result(self, method: str, answer: Any) -> Any:
        """The `result` of one JSON-RPC response object, or the mapped error."""
        if not isinstance(answer, dict) or (
                self.require_version and answer.get("jsonrpc") != "2.0"):
            raise RpcError(f"{method}: the node answered {excerpt(answer)!r}, not a response")
        error = answer.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            raise NodeError(f"{method}: {excerpt(message)}",
                            code=code if isinstance(code, int) else None)
        if "result" not in answer:
            raise RpcError(f"{method}: the answer has neither result nor error")
        return answer["result"]

    async def _guarded(self, method: str, make: Callable[[], Awaitable[T]]) -> T:
        """Run one request with the timeout, mapping every library error to ours."""
        try:
            async with asyncio.timeout(self.timeout + 1):
                return await make()
        except TimeoutError as exc:
            raise RpcTimeout(f"{method} at {self.url}: no answer within {self.timeout}s") \
                from exc
        except aiohttp.ClientResponseError as exc:
            raise RpcError(f"{method} at {self.url}: HTTP {exc.status}", code=exc.status) \
                from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RpcError(f"{method} at {self.url}: {excerpt(exc)}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RpcError(f"{method} at {self.url}: the answer is not JSON "
                           f"({excerpt(exc)})") from exc
        except Web3Exception as exc:
            raise RpcError(f"{method} at {self.url}: {excerpt(exc)}") from exc

    async def _retrying(self, method: str, once: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return await once()
            except self.permanent:
                raise
            except (RpcError, RpcTimeout) as exc:
                if attempt == self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                log.warning("rpc_retry", chain=self.chain, method=method, attempt=attempt,
                            error=str(exc), retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt re-raises")


class _OrjsonProvider(AsyncHTTPProvider):
    """web3's HTTP provider reading answers with orjson: catching up, the watcher decodes
    megabytes of blocks, receipts, logs and traces per step, and the standard json module
    was its largest single cost. Safe for money: orjson turns a JSON number beyond 64 bits
    into a float, but every EVM amount travels as a hex string and the parsers
    (gateway.chains.bsc.evm) accept nothing else. Bad JSON raises orjson.JSONDecodeError, a
    json.JSONDecodeError, mapped like any other garbage."""

    @staticmethod
    def decode_rpc_response(raw_response: bytes) -> RPCResponse:
        decoded: RPCResponse = orjson.loads(raw_response)
        return decoded


class RpcClient(JsonRpcEndpoint):
    """A BNB Chain node through web3.py. Create inside the event loop; `close()` when done."""

    chain = "bsc"

    def __init__(self, url: str, *, timeout: float = 10.0,  # float-ok
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(url, timeout=timeout, retry=retry)
        provider = _OrjsonProvider(
            url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)},
            # Retries are ours (below): web3's own would retry inside our timeout budget.
            exception_retry_configuration=None,
        )
        self.w3: AsyncWeb3[AsyncHTTPProvider] = AsyncWeb3(provider)
        self.provider = provider

    async def close(self) -> None:
        await self.provider.disconnect()

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """`method(params)`: the raw `result` (JSON as the node sent it)."""
        async def once() -> Any:
            answer = await self._guarded(
                method, lambda: self.provider.make_request(RPCEndpoint(method), list(params)))
            return self._result(method, answer)

        return await self._retrying(method, once)

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one HTTP request; results in call order (any error raises)."""
        if not calls:
            return []
        label = f"batch[{len(calls)}x{calls[0][0]}]"

        async def once() -> list[Any]:
            requests = [(RPCEndpoint(m), list(p)) for m, p in calls]
            answer = await self._guarded(
                label, lambda: self.provider.make_batch_request(requests))
            if not isinstance(answer, list):
                self._result(label, answer)  # a single error object for the whole batch
                raise RpcError(f"{label}: the node answered one object to a batch")
            if len(answer) != len(calls):
                raise MalformedResponse(f"{label}: {len(answer)} answers to {len(calls)} calls")
            return [self._result(m, a) for (m, _), a in zip(calls, answer, strict=True)]

        return await self._retrying(label, once)

    async def chain_id(self) -> int:
        async def once() -> int:
            value: int = await self._guarded("eth_chainId", lambda: self.w3.eth.chain_id)
            return value

        return await self._retrying("eth_chainId", once)
