"""Solana JSON-RPC client of the watcher: plain JSON-RPC 2.0 over aiohttp.

Timeouts, retries and the error mapping are the watchers' shared ones
(gateway.chains.rpc.JsonRpcEndpoint); this module says how requests travel and reads the
typed answers.

Plain aiohttp rather than solana-py's AsyncClient because the watcher parses the node's JSON
itself (gateway.chains.solana.tx), needs JSON-RPC batches for getTransaction, and must map
every transport fault to our errors in one place. The same code talks to the local devnet,
devnet/testnet and mainnet endpoints; only the URL differs.

Error mapping (library errors never leave this client):
- connection failures, HTTP status >= 400 (429 included), bodies that are not JSON or not a
  JSON-RPC response -> `RpcError` (transient: retried with capped exponential backoff);
- no answer within the timeout -> `RpcTimeout` (retried);
- a JSON-RPC `error` object -> `NodeError` (an `RpcError` with the node's code; not retried
  here: the node meant it, e.g. -32602 invalid params, and the watcher's next tick retries);
- a `result` that is not the shape its method returns -> `MalformedResponse`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from gateway.chains.errors import MalformedResponse, NodeError
from gateway.chains.rpc import JsonRpcEndpoint, RetryPolicy, excerpt
from gateway.errors import RpcError

CONFIRMED: Final = "confirmed"
FINALIZED: Final = "finalized"
MAX_SIGNATURES_PAGE: Final = 1_000  # the validator's cap for getSignaturesForAddress
MAX_STATUSES: Final = 256           # the validator's cap for getSignatureStatuses


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """One entry of getSignaturesForAddress (newest first on the wire)."""

    signature: str
    slot: int
    err: Any  # None when the transaction succeeded
    block_time: int | None
    confirmation_status: str | None


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedResponse(f"{what} is not an integer: {excerpt(value)!r}")
    return value


def parse_signature_infos(raw: Any) -> list[SignatureInfo]:
    """A getSignaturesForAddress result as SignatureInfo values (order kept)."""
    if not isinstance(raw, list):
        raise MalformedResponse(f"getSignaturesForAddress: expected a list, got {excerpt(raw)}")
    infos = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("signature"), str):
            raise MalformedResponse(f"getSignaturesForAddress: bad entry {excerpt(item)}")
        block_time = item.get("blockTime")
        infos.append(SignatureInfo(
            signature=item["signature"],
            slot=_int(item.get("slot"), "slot"),
            err=item.get("err"),
            block_time=None if block_time is None else _int(block_time, "blockTime"),
            confirmation_status=item.get("confirmationStatus"),
        ))
    return infos


class SolanaRpc(JsonRpcEndpoint):
    """One Solana node's JSON-RPC endpoint. Create inside the event loop; `close()` after."""

    chain = "solana"
    # A result of the wrong shape comes back the same on a retry; the watcher's tick retries.
    permanent = (NodeError, MalformedResponse)
    require_version = True

    def __init__(self, url: str, *, timeout: float = 10.0,  # float-ok
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(url, timeout=timeout, retry=retry)
        self._session: aiohttp.ClientSession | None = None
        self._next_id = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Content-Type": "application/json"},
            )
        return self._session

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}

    async def _post(self, label: str, body: Any) -> Any:
        """POST one JSON body; the decoded JSON answer, every failure mapped to ours."""
        async def send() -> Any:
            async with self._http().post(self.url, data=json.dumps(body)) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    raise RpcError(f"{label} at {self.url}: HTTP {resp.status} "
                                   f"{excerpt(text)}", code=resp.status)
                return json.loads(text)

        return await self._guarded(label, send)

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """`method(params)`: the raw `result` as the node sent it."""
        async def once() -> Any:
            return self._result(method, await self._post(method, self._request(method, params)))

        return await self._retrying(method, once)

    async def batch(self, method: str, param_lists: Sequence[Sequence[Any]]) -> list[Any]:
        """Several calls of one method in one HTTP request; results in call order."""
        if not param_lists:
            return []
        label = f"batch[{len(param_lists)}x{method}]"

        async def once() -> list[Any]:
            requests = [self._request(method, p) for p in param_lists]
            answer = await self._post(label, requests)
            if not isinstance(answer, list):
                self._result(label, answer)  # one error object for the whole batch
                raise RpcError(f"{label}: the node answered one object to a batch")
            by_id = {a.get("id"): a for a in answer if isinstance(a, dict)}
            if len(by_id) != len(requests):
                raise MalformedResponse(f"{label}: {len(answer)} answers to {len(requests)}")
            # Batch answers may come in any order; the ids say which is which.
            return [self._result(method, by_id.get(r["id"])) for r in requests]

        return await self._retrying(label, once)

    async def get_slot(self, commitment: str) -> int:
        return _int(await self.call("getSlot", [{"commitment": commitment}]), "getSlot")

    async def get_signatures(self, address: str, *, commitment: str, before: str | None = None,
                             until: str | None = None,
                             limit: int = MAX_SIGNATURES_PAGE) -> list[SignatureInfo]:
        """One page of an address's history, newest first, strictly between before/until."""
        config: dict[str, Any] = {"commitment": commitment, "limit": limit}
        if before is not None:
            config["before"] = before
        if until is not None:
            config["until"] = until
        return parse_signature_infos(await self.call("getSignaturesForAddress",
                                                     [address, config]))

    async def get_transactions(self, signatures: Sequence[str], *, commitment: str,
                               batch_size: int) -> list[Any]:
        """getTransaction (jsonParsed, v0 allowed) for each signature, batched; None = unknown."""
        config = {"encoding": "jsonParsed", "commitment": commitment,
                  "maxSupportedTransactionVersion": 0}
        results: list[Any] = []
        for start in range(0, len(signatures), max(1, batch_size)):
            chunk = signatures[start:start + max(1, batch_size)]
            if len(chunk) == 1:
                results.append(await self.call("getTransaction", [chunk[0], config]))
            else:
                results.extend(await self.batch("getTransaction",
                                                [[s, config] for s in chunk]))
        return results

    async def get_signature_statuses(self, signatures: Sequence[str]) -> list[str | None]:
        """The confirmation status of each signature ("processed", "confirmed", "finalized"),
        None for a signature the cluster does not know (dropped, or never landed)."""
        statuses: list[str | None] = []
        for start in range(0, len(signatures), MAX_STATUSES):
            chunk = list(signatures[start:start + MAX_STATUSES])
            raw = await self.call("getSignatureStatuses",
                                  [chunk, {"searchTransactionHistory": True}])
            value = raw.get("value") if isinstance(raw, dict) else None
            if not isinstance(value, list) or len(value) != len(chunk):
                raise MalformedResponse(f"getSignatureStatuses: bad answer {excerpt(raw)}")
            statuses.extend(_status(entry) for entry in value)
        return statuses

    async def get_parsed_account(self, address: str) -> dict[str, Any] | None:
        """getAccountInfo (jsonParsed) value: owner program, parsed data; None if absent."""
        raw = await self.call("getAccountInfo", [address, {"encoding": "jsonParsed",
                                                           "commitment": CONFIRMED}])
        if not isinstance(raw, dict) or "value" not in raw:
            raise MalformedResponse(f"getAccountInfo: bad answer {excerpt(raw)}")
        value = raw["value"]
        if value is not None and not isinstance(value, dict):
            raise MalformedResponse(f"getAccountInfo: bad value {excerpt(value)}")
        return value


def _status(entry: Any) -> str | None:
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise MalformedResponse(f"getSignatureStatuses: bad entry {excerpt(entry)}")
    if entry.get("err") is not None:
        return "failed"
    status = entry.get("confirmationStatus")
    return status if isinstance(status, str) else None
