"""Following one account's history with getSignaturesForAddress from a persisted cursor.

Each followed account (the treasury wallet, each of its associated token accounts) has two
cursors in `chain_cursors`, one per commitment: `solana:<address prefix>:confirmed` (what
detection has processed) and `solana:<address prefix>:finalized` (what settlement has
finalized). A cursor's block is (slot, signature) of the newest signature processed.

getSignaturesForAddress answers newest first, strictly newer than `until` and strictly older
than `before`; `collect` pages backwards from the head down to the cursor and hands the new
signatures back oldest first, so the cursor only ever moves forward over processed work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gateway.chains.models import BlockRef
from gateway.chains.solana.rpc import MAX_SIGNATURES_PAGE, SignatureInfo, SolanaRpc

# chain_cursors.chain holds at most 40 characters; 22 base58 characters (~128 bits) of the
# address keep the name unique among the handful of accounts one treasury has.
_ADDRESS_PREFIX: Final = 22


def cursor_name(address: str, commitment: str) -> str:
    return f"solana:{address[:_ADDRESS_PREFIX]}:{commitment}"


def position(info: SignatureInfo) -> BlockRef:
    """The cursor value of a processed signature: its slot and the signature itself."""
    return BlockRef(info.slot, info.signature)


async def collect(rpc: SolanaRpc, address: str, commitment: str, after: BlockRef | None,
                  *, first_start: int, page_limit: int = MAX_SIGNATURES_PAGE,
                  ) -> list[SignatureInfo]:
    """The account's signatures newer than the cursor `after`, oldest first.

    Without a cursor (the very first start) only the newest `first_start` are read: history
    before the gateway existed holds no invoice. A cursor signature the node no longer knows
    (a dropped fork) would make `until` match nothing and page back to genesis; entries older
    than the cursor's slot end the walk instead.
    """
    if after is None:
        page = await rpc.get_signatures(address, commitment=commitment, limit=first_start)
        return list(reversed(page))
    found: list[SignatureInfo] = []
    before: str | None = None
    while True:
        page = await rpc.get_signatures(address, commitment=commitment, before=before,
                                        until=after.hash, limit=page_limit)
        newer = [i for i in page if i.slot >= after.number and i.signature != after.hash]
        found.extend(newer)
        if len(page) < page_limit or len(newer) < len(page):
            break
        before = page[-1].signature
    return list(reversed(found))


def covered(finalized: Sequence[SignatureInfo], confirmed: BlockRef) -> list[SignatureInfo]:
    """The oldest-first finalized signatures that detection has already processed.

    Detection works through the same history at `confirmed`, so everything up to and
    including the confirmed cursor's signature was seen; without that signature in the list
    (it is not final yet) the older slots are. The rest waits for the next round.
    """
    signatures = [i.signature for i in finalized]
    if confirmed.hash in signatures:
        return list(finalized[:signatures.index(confirmed.hash) + 1])
    done = []
    for info in finalized:
        if info.slot >= confirmed.number:
            break
        done.append(info)
    return done
