"""JSON-RPC error answers of the Solana devnet, with the validator's codes and messages; and
the state reset of a fresh start."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from tests.devnet.test_solana_rpc import (
    blockhash,
    funded_keypair,
    send,
    transfer_tx,
    wait_signature,
)
from tests.plugins.solana_devnet import (
    SolanaDevnet,
    rpc_call,
    rpc_result,
    start_solana_devnet,
)


async def _post(url: str, body: bytes) -> object:
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(
        url, data=body, headers=headers
    ) as resp:
        return await resp.json()


async def test_protocol_errors(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    assert await _post(url, b"{not json") == {
        "jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
    missing = await rpc_call(url, "getBogus")
    assert missing["error"] == {"code": -32601, "message": "Method not found"}
    empty = await _post(url, b"[]")
    assert isinstance(empty, dict) and empty["error"]["code"] == -32600
    batch = await _post(url, json.dumps([
        {"jsonrpc": "2.0", "id": "a", "method": "getHealth"},
        {"jsonrpc": "1.0", "id": "b", "method": "getHealth"},
        {"jsonrpc": "2.0", "id": "c", "method": "getBalance", "params": ["nope"]},
    ]).encode())
    assert isinstance(batch, list)
    assert batch[0] == {"jsonrpc": "2.0", "result": "ok", "id": "a"}
    assert batch[1]["error"]["code"] == -32600 and batch[1]["id"] == "b"
    assert batch[2]["error"] == {"code": -32602, "message": "Invalid param: Invalid"}


async def test_invalid_params(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    key = str(Pubkey.new_unique())
    processed = await rpc_call(url, "getSignaturesForAddress", [key, {"commitment": "processed"}])
    assert processed["error"]["code"] == -32602
    assert "commitment below `confirmed`" in processed["error"]["message"]
    too_many = await rpc_call(url, "getSignaturesForAddress", [key, {"limit": 1001}])
    assert too_many["error"] == {"code": -32602, "message": "Invalid limit; max 1000"}
    bad_encoding = await rpc_call(url, "getAccountInfo", [key, {"encoding": "xml"}])
    assert bad_encoding["error"]["code"] == -32602
    not_token = await rpc_call(url, "getTokenAccountBalance", [c.TREASURY_PUBKEY])
    assert not_token["error"] == {"code": -32602, "message": "Invalid param: not a Token account"}
    future = await rpc_call(url, "getBalance", [key, {"minContextSlot": 10**12}])
    assert future["error"]["code"] == -32016


async def test_preflight_failure_carries_simulation_logs(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    answer = await send(url, transfer_tx(payer, Pubkey.new_unique(), 5 * c.LAMPORTS_PER_SOL,
                                         await blockhash(url)))
    error = answer["error"]
    assert error["code"] == -32002
    assert error["message"] == (
        "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1"
    )
    assert error["data"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert any("insufficient lamports" in line for line in error["data"]["logs"])
    assert error["data"]["unitsConsumed"] > 0


async def test_skip_preflight_records_failed_transaction(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    tx = transfer_tx(payer, Pubkey.new_unique(), 5 * c.LAMPORTS_PER_SOL, await blockhash(url))
    signature = (await send(url, tx, skipPreflight=True))["result"]
    await wait_signature(url, signature)
    found = await rpc_result(url, "getTransaction", [signature, {"commitment": "confirmed"}])
    meta = found["meta"]
    assert meta["status"] == {"Err": {"InstructionError": [0, {"Custom": 1}]}}
    assert meta["preBalances"][0] - meta["postBalances"][0] == meta["fee"] == 5_000


async def test_blockhash_signature_and_duplicate_errors(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = await funded_keypair(url)
    stale = await send(url, transfer_tx(payer, Pubkey.new_unique(), 1, Hash.new_unique()))
    assert stale["error"]["code"] == -32002
    assert stale["error"]["message"] == "Transaction simulation failed: Blockhash not found"
    assert stale["error"]["data"]["err"] == "BlockhashNotFound"
    tx = transfer_tx(payer, Pubkey.new_unique(), 1_000_000, await blockhash(url))
    forged = VersionedTransaction.populate(tx.message, [Signature.new_unique()])
    bad_sig = await send(url, forged)
    assert bad_sig["error"] == {
        "code": -32003, "message": "Transaction signature verification failure"}
    assert "result" in await send(url, tx)
    again = await send(url, tx)
    assert again["error"]["data"]["err"] == "AlreadyProcessed"
    garbage = await rpc_call(url, "sendTransaction", ["%%%", {"encoding": "base64"}])
    assert garbage["error"]["code"] == -32602


async def test_v0_transaction_needs_max_supported_version(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer: Keypair = await funded_keypair(url)
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(),
                                 lamports=1_000_000))
    message = MessageV0.try_compile(payer.pubkey(), [ix], [], await blockhash(url))
    tx = VersionedTransaction(message, [payer])
    signature = (await send(url, tx))["result"]
    config = {"commitment": "confirmed"}
    await wait_signature(url, signature)
    refused = await rpc_call(url, "getTransaction", [signature, config])
    assert refused["error"]["code"] == -32015
    assert '"maxSupportedTransactionVersion": 0' in refused["error"]["message"]
    found = await rpc_result(url, "getTransaction",
                             [signature, {**config, "maxSupportedTransactionVersion": 0}])
    assert found["version"] == 0
    assert found["transaction"]["message"]["addressTableLookups"] == []


@pytest.mark.slow  # starts its own Solana devnet twice
async def test_fresh_start_is_a_clean_state(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with start_solana_devnet(state_dir) as first:
        stray = state_dir / "left-over"
        stray.write_text("from the previous run")
        state = json.loads((state_dir / c.STATE_FILE).read_text())
        assert state["mints"]["KZTE"]["decimals"] == first.kzte_decimals
        payer = Keypair.from_bytes(bytes(c.wallet_keypair(1)))
        tx = transfer_tx(payer, Pubkey.new_unique(), 7_000_000, await blockhash(first.rpc_url))
        signature = (await send(first.rpc_url, tx))["result"]
        spent = await rpc_result(first.rpc_url, "getBalance",
                                 [str(payer.pubkey()), {"commitment": "processed"}])
        assert spent["value"] < c.TEST_WALLET_LAMPORTS
    with start_solana_devnet(state_dir) as second:
        assert not stray.exists()
        assert json.loads((state_dir / c.STATE_FILE).read_text())["pid"] != state["pid"]
        balance = await rpc_result(second.rpc_url, "getBalance",
                                   [str(payer.pubkey()), {"commitment": "processed"}])
        assert balance["value"] == c.TEST_WALLET_LAMPORTS
        statuses = await rpc_result(second.rpc_url, "getSignatureStatuses",
                                    [[signature], {"searchTransactionHistory": True}])
        assert statuses["value"] == [None]
