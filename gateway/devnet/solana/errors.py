"""Errors the Solana devnet answers over JSON-RPC, in the codes a real validator uses.

    DevnetError (gateway.devnet.errors)
    └── RpcMethodError             one JSON-RPC error object: code, message, optional data
        ├── ParseError             -32700 the body is not JSON
        ├── InvalidRpcRequest      -32600 not a JSON-RPC 2.0 request object
        ├── MethodNotFound         -32601
        ├── InvalidParams          -32602 "Invalid params: ..." / "Invalid param: ..."
        ├── PreflightFailed        -32002 simulation failed; data is the simulation result
        ├── SignatureVerification  -32003
        ├── VersionNotSupported    -32015 v0 transaction without maxSupportedTransactionVersion
        └── MinContextSlot         -32016 minContextSlot not reached
    └── TransactionRejected        the bank refused a transaction before executing it (err is
                                   the validator's JSON error value); methods turn it into
                                   -32002 or a dropped transaction
    └── UndecodableInstruction     instruction data no jsonParsed parser understands (the
                                   instruction is then shown partially decoded)
"""

from __future__ import annotations

from typing import Any

from gateway.devnet.errors import DevnetError


class RpcMethodError(DevnetError):
    """A JSON-RPC error object; `payload()` is what goes on the wire."""

    code: int = -32603

    def __init__(self, message: str, *, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body


class ParseError(RpcMethodError):
    code = -32700


class InvalidRpcRequest(RpcMethodError):
    code = -32600


class MethodNotFound(RpcMethodError):
    code = -32601


class InvalidParams(RpcMethodError):
    code = -32602


class PreflightFailed(RpcMethodError):
    code = -32002


class SignatureVerification(RpcMethodError):
    code = -32003


class VersionNotSupported(RpcMethodError):
    code = -32015


class MinContextSlot(RpcMethodError):
    code = -32016


class TransactionRejected(DevnetError):
    """The bank refused a transaction before executing it; `err` is the JSON error value."""

    def __init__(self, err: Any) -> None:
        super().__init__(str(err))
        self.err = err


class UndecodableInstruction(DevnetError):
    """Instruction data does not match any layout the jsonParsed parsers know."""
