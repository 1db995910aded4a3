"""Chain watcher errors, under `ChainError` (see gateway.errors for the whole tree).

    GatewayError
    └── ChainError                    talking to a chain node, following a chain
        ├── RpcError                  (gateway.errors) JSON-RPC error, HTTP error, garbage
        │   ├── NodeError             the node answered a JSON-RPC error object (it meant it)
        │   ├── MalformedResponse     the answer parsed but is not the shape the method returns
        │   ├── RangeRefused          eth_getLogs refused the block range (too large / too many)
        │   ├── NodeBehind            the node is behind what we already treated as final
        │   └── IncompleteBlock       a block's receipts, logs or traces are missing or disagree
        ├── RpcTimeout                (gateway.errors) no answer in time
        ├── InvariantBroken           following the chain cannot go on safely: the chain halts
        │   └── ReorgTooDeep          the fork point is below the kept block history or finality
        ├── StaleCursor               the cursor moved under us (another watcher wrote): re-read
        ├── IllegalTransferMove       a transfer status move not in transfers.models.TRANSFER_MOVES
        ├── MalformedFacts            a batch of facts names block facts without their cursor
        └── LeadershipLost            the advisory-lock connection of the active watcher died

RPC failures are retried by the watcher loop (they only delay detection); an InvariantBroken
(ReorgTooDeep) halts the chain (gateway.status: logged, stored, shown in /v1/status) until an
operator's `chains resync`, because crediting or reversing money by guesswork is worse than
halting.
"""

from __future__ import annotations

from gateway.errors import ChainError, RpcError


class NodeError(RpcError):
    """A JSON-RPC `error` object: the node answered deliberately (not retried blindly)."""


class MalformedResponse(RpcError):
    """A JSON-RPC result that does not have the shape its method returns."""


class RangeRefused(RpcError):
    """The node refused an eth_getLogs range (too many blocks or results)."""


class NodeBehind(RpcError):
    """The node's finalized slot is below one we already treated as final, while it still
    knows everything we did (a lagging node or load-balancer replica): retried, and the
    chain turns `lagging` if it lasts."""


class IncompleteBlock(RpcError):
    """A receipt, log or trace answer for a block is missing or contradicts another answer
    (a lagging node or load-balancer replica): the block is not committed, the step retries."""


class InvariantBroken(ChainError):
    """Following the chain cannot go on without guessing: the chain halts until a resync."""


class ReorgTooDeep(InvariantBroken):
    """The chain forked below the blocks we keep, or below a block we treated as final."""


class StaleCursor(ChainError):
    """The stored cursor is not where this watcher left it: another writer moved it."""


class IllegalTransferMove(ChainError):
    """A detected transfer was asked to make a status move that is not allowed."""


class MalformedFacts(ChainError):
    """A watcher emitted block facts (followed, rolled back, final through) with no cursor."""


class LeadershipLost(ChainError):
    """The connection holding the watcher's advisory lock is gone: stop writing at once."""
