"""The Solana devnet's fork control (devnetSnapshot / devnetRevert), on a private devnet: a
revert takes later transactions out of the history and the bank and the slot clock back."""

from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from gateway.devnet.solana import constants as c
from tests.devnet.test_solana_rpc import (
    blockhash,
    funded_keypair,
    send,
    transfer_tx,
    wait_signature,
)
from tests.plugins.eventually import eventually
from tests.plugins.solana_devnet import rpc_call, rpc_result, start_solana_devnet


async def test_revert_below_finality_forgets_transactions_and_slots(tmp_path: Path) -> None:
    with start_solana_devnet(tmp_path / "solana") as devnet:
        url = devnet.rpc_url

        async def past_genesis() -> bool:  # near genesis every slot counts as finalized
            finalized = await rpc_result(url, "getSlot", [{"commitment": "finalized"}])
            return bool(finalized > 1)

        await eventually(past_genesis, what="finality past genesis", timeout=10)
        payer = await funded_keypair(url, 2 * c.LAMPORTS_PER_SOL)
        to = Pubkey.new_unique()
        slot = await rpc_result(url, "getSlot", [{"commitment": "processed"}])
        snapshot = await rpc_result(url, "devnetSnapshot")  # at `slot` or a little later
        answer = await send(url, transfer_tx(payer, to, 1_000_000, await blockhash(url)))
        signature = answer["result"]
        await wait_signature(url, signature, "finalized")
        before = await rpc_result(url, "getSlot", [{"commitment": "processed"}])

        assert await rpc_result(url, "devnetRevert", [snapshot]) is True

        statuses = await rpc_result(url, "getSignatureStatuses",
                                    [[signature], {"searchTransactionHistory": True}])
        assert statuses["value"] == [None]
        assert await rpc_result(url, "getSignaturesForAddress", [str(to)]) == []
        assert (await rpc_result(url, "getBalance", [str(to)]))["value"] == 0
        payer_balance = await rpc_result(url, "getBalance", [str(payer.pubkey())])
        assert payer_balance["value"] == 2 * c.LAMPORTS_PER_SOL
        after = await rpc_result(url, "getSlot", [{"commitment": "processed"}])
        assert slot <= after < before  # the clock went back to the snapshot's slot
        # The new fork goes on: the same payment can land again, as a new transaction.
        again = await send(url, transfer_tx(payer, to, 1_000_000, await blockhash(url)))
        await wait_signature(url, again["result"], "confirmed")
        assert (await rpc_result(url, "getBalance", [str(to)]))["value"] == 1_000_000
        unknown = await rpc_call(url, "devnetRevert", [snapshot])
        assert unknown["error"]["code"] == -32602
