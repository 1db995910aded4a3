"""The Solana devnet's JSON-RPC methods against a real server process (fast slots)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from tests.plugins.eventually import eventually
from tests.plugins.solana_devnet import SolanaDevnet, rpc_call, rpc_result


async def blockhash(url: str) -> Hash:
    result = await rpc_result(url, "getLatestBlockhash", [{"commitment": "processed"}])
    return Hash.from_string(result["value"]["blockhash"])


def transfer_tx(payer: Keypair, to: Pubkey, lamports: int, recent: Hash) -> VersionedTransaction:
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))
    return VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), recent), [payer])


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


async def send(url: str, tx: VersionedTransaction, **config: Any) -> dict[str, Any]:
    return await rpc_call(url, "sendTransaction", [b64(tx), {"encoding": "base64", **config}])


async def funded_keypair(url: str, lamports: int = c.LAMPORTS_PER_SOL) -> Keypair:
    keypair = Keypair()
    await rpc_result(url, "requestAirdrop", [str(keypair.pubkey()), lamports])
    return keypair


async def wait_signature(url: str, signature: str, level: str = "confirmed") -> None:
    """Until the signature's status reaches `level` (polling a few times per slot)."""
    order = ("processed", "confirmed", "finalized")

    async def reached() -> bool:
        statuses = await rpc_result(url, "getSignatureStatuses", [[signature]])
        status = statuses["value"][0]
        return status is not None and (
            order.index(status["confirmationStatus"]) >= order.index(level))

    await eventually(reached, what=f"{signature} {level}", timeout=30, interval=0.01)


async def test_health_version_and_slots_by_commitment(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    assert await rpc_result(url, "getHealth") == "ok"
    version = await rpc_result(url, "getVersion")
    assert set(version) == {"solana-core", "feature-set"}
    batch = [{"jsonrpc": "2.0", "id": i, "method": "getSlot", "params": [{"commitment": level}]}
             for i, level in enumerate(("processed", "confirmed", "finalized"))]
    # Right after genesis the finalized slot is pinned to the genesis slot.
    async def past_finality() -> bool:
        slot = await rpc_result(url, "getSlot", [{"commitment": "processed"}])
        return bool(slot > c.GENESIS_SLOT + solana_devnet.finality_slots)

    await eventually(past_finality, what="a slot past the finality depth",
                     interval=solana_devnet.slot_ms / 1000)
    async with aiohttp.ClientSession() as session, session.post(url, json=batch) as resp:
        answers = await resp.json()
    processed, confirmed, finalized = (a["result"] for a in answers)
    assert [a["id"] for a in answers] == [0, 1, 2]
    assert processed - confirmed == 1
    assert processed - finalized == solana_devnet.finality_slots
    await asyncio.sleep(solana_devnet.slot_ms * 3 / 1000)
    later = await rpc_result(url, "getSlot", [{"commitment": "processed"}])
    assert later > processed
    assert await rpc_result(url, "getBlockHeight", [{"commitment": "processed"}]) >= later


async def test_blockhash_validity_and_fee(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    latest = await rpc_result(url, "getLatestBlockhash", [{"commitment": "confirmed"}])
    value = latest["value"]
    assert value["lastValidBlockHeight"] == latest["context"]["slot"] + c.BLOCKHASH_VALID_SLOTS
    valid = await rpc_result(url, "isBlockhashValid", [value["blockhash"]])
    assert valid["value"] is False  # newer than the finalized bank
    valid = await rpc_result(url, "isBlockhashValid",
                             [value["blockhash"], {"commitment": "processed"}])
    assert valid["value"] is True
    unknown = await rpc_result(url, "isBlockhashValid",
                               [str(Hash.new_unique()), {"commitment": "processed"}])
    assert unknown["value"] is False
    payer = Keypair()
    tx = transfer_tx(payer, Pubkey.new_unique(), 1, Hash.from_string(value["blockhash"]))
    message = base64.b64encode(bytes(tx.message)).decode()
    fee = await rpc_result(url, "getFeeForMessage", [message, {"commitment": "processed"}])
    assert fee["value"] == c.LAMPORTS_PER_SIGNATURE
    rent = await rpc_result(url, "getMinimumBalanceForRentExemption", [165])
    assert rent == 2_039_280


async def test_airdrop_transfer_and_balance(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url, 2 * c.LAMPORTS_PER_SOL)
    to = Pubkey.new_unique()
    answer = await send(url, transfer_tx(payer, to, 1_000_000, await blockhash(url)))
    signature = answer["result"]
    balance = await rpc_result(url, "getBalance", [str(to), {"commitment": "processed"}])
    assert balance["value"] == 1_000_000
    payer_balance = await rpc_result(url, "getBalance", [str(payer.pubkey())])
    assert payer_balance["value"] == 2 * c.LAMPORTS_PER_SOL - 1_000_000 - 5_000
    statuses = await rpc_result(url, "getSignatureStatuses", [[signature]])
    assert statuses["value"][0]["err"] is None


async def _snapshot(url: str, signature: str) -> list[Any]:
    calls = [
        ("getSignatureStatuses", [[signature]]),
        ("getSlot", [{"commitment": "processed"}]),
        ("getTransaction", [signature, {"commitment": "confirmed"}]),
        ("getTransaction", [signature, {"commitment": "finalized"}]),
    ]
    batch = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
             for i, (m, p) in enumerate(calls)]
    # One batch is answered in one go, so the four answers see the same slot.
    async with aiohttp.ClientSession() as session, session.post(url, json=batch) as resp:
        return [a["result"] for a in await resp.json()]


async def test_commitment_progression(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    tx = transfer_tx(payer, Pubkey.new_unique(), 5_000_000, await blockhash(url))
    signature = (await send(url, tx))["result"]
    seen = []
    for _ in range(400):
        statuses, slot, confirmed_tx, finalized_tx = await _snapshot(url, signature)
        status = statuses["value"][0]
        age = slot - status["slot"]
        expected = ("finalized" if age >= solana_devnet.finality_slots
                    else "confirmed" if age >= 1 else "processed")
        assert status["confirmationStatus"] == expected
        assert (confirmed_tx is not None) == (age >= 1)
        assert (finalized_tx is not None) == (expected == "finalized")
        if expected == "finalized":
            assert status["confirmations"] is None
            break
        assert status["confirmations"] == age
        seen.append(expected)
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("transaction never finalized")
    assert finalized_tx["slot"] == status["slot"]
    assert seen, "the transaction was already final at the first look"


async def test_signatures_for_address_paging(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    reference = Pubkey.new_unique()
    sent = []
    for lamports in range(1_000_000, 1_000_005):
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=reference,
                                     lamports=lamports))
        message = Message.new_with_blockhash([ix], payer.pubkey(), await blockhash(url))
        sent.append((await send(url, VersionedTransaction(message, [payer])))["result"])
    await asyncio.sleep(solana_devnet.slot_ms * 3 / 1000)
    newest_first = list(reversed(sent))
    infos = await rpc_result(url, "getSignaturesForAddress",
                             [str(reference), {"commitment": "confirmed"}])
    assert [i["signature"] for i in infos] == newest_first
    assert [i["slot"] for i in infos] == sorted((i["slot"] for i in infos), reverse=True)
    page = await rpc_result(url, "getSignaturesForAddress",
                            [str(reference), {"commitment": "confirmed", "limit": 2}])
    assert [i["signature"] for i in page] == newest_first[:2]
    page = await rpc_result(url, "getSignaturesForAddress", [
        str(reference), {"commitment": "confirmed", "limit": 2, "before": newest_first[1]},
    ])
    assert [i["signature"] for i in page] == newest_first[2:4]
    page = await rpc_result(url, "getSignaturesForAddress", [
        str(reference), {"commitment": "confirmed", "until": newest_first[3]},
    ])
    assert [i["signature"] for i in page] == newest_first[:3]
    page = await rpc_result(url, "getSignaturesForAddress", [
        str(reference),
        {"commitment": "confirmed", "before": newest_first[0], "until": newest_first[3]},
    ])
    assert [i["signature"] for i in page] == newest_first[1:3]
    finalized = await rpc_result(url, "getSignaturesForAddress", [str(reference)])
    # Only what is finalized shows at the default commitment: always the oldest ones.
    assert [i["signature"] for i in finalized] == newest_first[len(newest_first)
                                                              - len(finalized):]
    await asyncio.sleep(solana_devnet.slot_ms * (solana_devnet.finality_slots + 2) / 1000)
    finalized = await rpc_result(url, "getSignaturesForAddress", [str(reference)])
    assert [i["signature"] for i in finalized] == newest_first
    assert {i["confirmationStatus"] for i in finalized} == {"finalized"}


async def test_token_accounts_and_encodings(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    owner = Pubkey.from_string(c.TEST_WALLETS[3])
    kzte = Pubkey.from_string(c.KZTE_MINT)
    ata = get_associated_token_address(owner, kzte)
    mint = await rpc_result(url, "getAccountInfo", [c.KZTE_MINT, {"encoding": "jsonParsed"}])
    info = mint["value"]["data"]["parsed"]["info"]
    assert info["decimals"] == solana_devnet.kzte_decimals
    assert info["mintAuthority"] == c.MINT_AUTHORITY
    assert mint["value"]["data"]["program"] == "spl-token"
    raw = await rpc_result(url, "getAccountInfo", [str(ata), {"encoding": "base64"}])
    assert raw["value"]["data"][1] == "base64"
    assert len(base64.b64decode(raw["value"]["data"][0])) == raw["value"]["space"] == 165
    by_mint = await rpc_result(url, "getTokenAccountsByOwner",
                               [str(owner), {"mint": c.KZTE_MINT}, {"encoding": "jsonParsed"}])
    assert [a["pubkey"] for a in by_mint["value"]] == [str(ata)]
    by_program = await rpc_result(url, "getTokenAccountsByOwner", [
        str(owner), {"programId": c.TOKEN_PROGRAM}, {"encoding": "jsonParsed"},
    ])
    mints = {a["account"]["data"]["parsed"]["info"]["mint"] for a in by_program["value"]}
    assert mints == {c.USDT_MINT, c.USDC_MINT, c.KZTE_MINT}
    balance = await rpc_result(url, "getTokenAccountBalance", [str(ata)])
    assert balance["value"]["decimals"] == solana_devnet.kzte_decimals
    multiple = await rpc_result(url, "getMultipleAccounts",
                                [[str(ata), str(Pubkey.new_unique())], {"encoding": "base64"}])
    assert multiple["value"][0]["owner"] == c.TOKEN_PROGRAM
    assert multiple["value"][1] is None


async def test_simulate_transaction(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    to = Pubkey.new_unique()
    stale = transfer_tx(payer, to, 2_000_000, Hash.new_unique())
    config = {"encoding": "base64", "replaceRecentBlockhash": True,
              "accounts": {"addresses": [str(to)], "encoding": "base64"}}
    sim = await rpc_result(url, "simulateTransaction", [b64(stale), config])
    value = sim["value"]
    assert value["err"] is None
    assert value["accounts"][0]["lamports"] == 2_000_000
    assert value["replacementBlockhash"]["blockhash"]
    assert value["unitsConsumed"] > 0 and value["logs"]
    sim = await rpc_result(url, "simulateTransaction", [b64(stale), {"encoding": "base64"}])
    assert sim["value"]["err"] == "BlockhashNotFound"
    balance = await rpc_result(url, "getBalance", [str(to), {"commitment": "processed"}])
    assert balance["value"] == 0  # a simulation changes nothing
