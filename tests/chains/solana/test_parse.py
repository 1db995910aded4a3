"""The Solana parser and transfer validation read real mainnet JSON-RPC answers correctly.

Fixtures (tests/fixtures/rpc/, see SOURCES.md): a USDC transferChecked that creates the
recipient's ATA in the same transaction (no pre token balance), a SOL system transfer with a
memo, a base64 v0 transaction with address lookup tables, a vote transaction, and the matching
getSignaturesForAddress page.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.chains.errors import MalformedResponse
from gateway.chains.solana.match import (
    associated_token_account,
    build_treasury,
    detect,
    instruction_index,
    received,
)
from gateway.chains.solana.rpc import parse_signature_infos
from gateway.chains.solana.tx import parse_transaction

NOBODY: dict[str, str] = {}
RPC = Path(__file__).resolve().parents[2] / "fixtures" / "rpc"
USDC_MAINNET = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDC_TX = "solana_getTransaction_jsonParsed_mainnet_usdc_transferChecked_with_ata_create_and_memo_p2p-key-app-kit.json"  # noqa: E501
SOL_TX = "solana_getTransaction_jsonParsed_mainnet_sol_system_transfer_with_memo_p2p-key-app-kit.json"  # noqa: E501
V0_TX = "solana_getTransaction_base64_v0_two_transferChecked_with_loadedAddresses_blocto-solana-go-sdk.json"  # noqa: E501
VOTE_TX = "solana_getTransaction_jsonParsed_vote_tx_slot147558327_solders.json"
SIGNATURES = "solana_getSignaturesForAddress_mainnet_usdc_transfer_p2p-key-app-kit.json"
# The USDC transfer's recipient wallet and the ATA created for it.
USDC_OWNER = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"
USDC_ATA = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh"
SOL_RECIPIENT = "2b7iQq3PbWwWTotRSDFNXT9DauU418aCHK4jcAzETUem"


def result(name: str) -> Any:
    return json.loads((RPC / name).read_text())["result"]


def test_usdc_transfer_checked_with_ata_creation() -> None:
    tx = parse_transaction(result(USDC_TX))
    assert tx.signature.startswith("2S2rTZjaqzxYRw9m")
    assert tx.slot == 184930610
    assert tx.block_time == datetime(2023, 3, 27, 6, 50, 45, tzinfo=UTC)
    assert tx.succeeded and tx.fee == 10000
    assert tx.fee_payer == "FG4Y3yX4AAchp1HvNZ7LfzFTewF2f6nDoMDCohTFrdpT"
    assert len(tx.account_keys) == 11 and tx.account_keys[2] == USDC_ATA
    assert [(i.index, i.kind) for i in tx.instructions] == [
        (0, "create"), (1, "transferChecked"), (2, None)]
    assert [i.kind for i in tx.inner_instructions] == [
        "getAccountDataSize", "createAccount", "initializeImmutableOwner", "initializeAccount3"]
    assert all(i.index == 0 for i in tx.inner_instructions)
    post = tx.post_tokens[2]
    assert (post.mint, post.owner, post.amount, post.decimals) == (USDC_MAINNET, USDC_OWNER,
                                                                  1000, 6)
    assert 2 not in tx.pre_tokens  # created in this transaction
    assert tx.token_change(2) == 1000  # missing pre balance counts as 0
    assert tx.token_change(3) == -1000  # the sender's ATA: 5847 -> 4847
    assert tx.token_change(4) is None  # the wallet holds no tokens itself


def test_ata_derivation_matches_mainnet() -> None:
    assert associated_token_account(USDC_OWNER, USDC_MAINNET) == USDC_ATA


def test_usdc_payment_is_validated_like_solana_pay() -> None:
    tx = parse_transaction(result(USDC_TX))
    treasury = build_treasury(USDC_OWNER, [("SOL", None, 9), ("USDC_SOL", USDC_MAINNET, 6)])
    reference = "9rB2Poc468mPpY9WMUmaqEPsvJah8SpPB8bKqAjjXp5H"  # any account key works
    references: dict[str, str] = {reference: "inv_usdc0001"}
    [transfer] = detect(tx, treasury, references.get)
    assert transfer.asset == "USDC_SOL" and transfer.token == USDC_MAINNET
    assert transfer.amount == 1000 and transfer.log_index == 1  # the transferChecked
    assert transfer.to_address == USDC_OWNER
    assert transfer.from_address == "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t"  # authority
    assert transfer.invoice_id == "inv_usdc0001"
    assert (transfer.block_number, transfer.tx_hash) == (tx.slot, tx.signature)


def test_token_account_of_another_mint_or_owner_is_not_a_payment() -> None:
    raw = result(USDC_TX)
    other_mint = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
    # A treasury following USDT: the USDC ATA is not its account at all.
    usdt_treasury = build_treasury(USDC_OWNER, [("USDT_SOL", other_mint, 6)])
    assert received(parse_transaction(raw), usdt_treasury) == []
    # The right ATA address but a balance of another mint (a forged answer): refused.
    forged = copy.deepcopy(raw)
    forged["meta"]["postTokenBalances"][0]["mint"] = other_mint
    usdc = build_treasury(USDC_OWNER, [("USDC_SOL", USDC_MAINNET, 6)])
    assert received(parse_transaction(forged), usdc) == []


def test_failed_transaction_is_not_a_payment() -> None:
    raw = result(USDC_TX)
    raw["meta"]["err"] = {"InstructionError": [1, {"Custom": 1}]}
    treasury = build_treasury(USDC_OWNER, [("USDC_SOL", USDC_MAINNET, 6)])
    assert detect(parse_transaction(raw), treasury, NOBODY.get) == []


def test_sol_transfer_without_reference_is_unmatched() -> None:
    tx = parse_transaction(result(SOL_TX))
    assert tx.lamport_change(2) == 1_000_000
    assert tx.lamport_change(1) == -1_000_000  # the sender; the fee payer is account 0
    treasury = build_treasury(SOL_RECIPIENT, [("SOL", None, 9)])
    [transfer] = detect(tx, treasury, NOBODY.get)
    assert (transfer.asset, transfer.token, transfer.amount) == ("SOL", None, 1_000_000)
    assert transfer.log_index == 0 and transfer.invoice_id is None
    assert transfer.from_address == "DT1mBDFsNBc1UXa25RdxNvnjL5Lro7su7gX1zpLyCmWe"


def test_base64_v0_transaction_with_lookup_tables() -> None:
    tx = parse_transaction(result(V0_TX))
    assert tx.slot == 193487858 and tx.succeeded
    # 3 static keys, then loaded writable (3) and readonly (2): token balances index these.
    assert len(tx.account_keys) == 8
    assert tx.account_keys[3:] == (
        "3Yvq7e9UXLoFK4PKyxrpEA3y3TKmFK2Wb1f5tVFUgwPu",
        "5McxjaxNKYLHtv9DqbMfoi6GNs7ZEMHGkJDrouPib4sW",
        "GAXzq8BWdAWaS1kWFiL5tzV2h3AbRBtYGP5psNTWrM9g",
        "F1rcBbZB6tQZUTR2z8jKQxaAwUUkxnghSh941Q62hMi8",
        "5jHeQFBSNxFqqkMF9YCYwtJbkzGarSGwGsmi2ZuPG6yw",
    )
    assert [tx.token_change(i) for i in (1, 3, 4, 5)] == [1, -1, -1, 1]
    assert {tx.post_tokens[i].mint for i in (1, 4)} == {tx.account_keys[7]}
    assert [i.program_id for i in tx.instructions] == [
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"] * 2
    # Both transfers pay account 5 (a loaded writable key) and 1: instruction 0 names 5.
    assert instruction_index(tx, tx.account_keys[5]) in (0, 1)


def test_vote_transaction_pays_nobody() -> None:
    tx = parse_transaction(result(VOTE_TX))
    treasury = build_treasury(tx.account_keys[1], [("SOL", None, 9)])
    assert tx.instructions[0].kind == "vote"
    assert detect(tx, treasury, NOBODY.get) == []


def test_signature_page() -> None:
    [info] = parse_signature_infos(result(SIGNATURES))
    assert info.signature == parse_transaction(result(USDC_TX)).signature
    assert (info.slot, info.err, info.confirmation_status) == (184930610, None, "finalized")
    assert info.block_time == 1679899845


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("meta"),
    lambda r: r["meta"].__setitem__("postBalances", [1, 2]),
    lambda r: r["meta"]["postTokenBalances"][0]["uiTokenAmount"].__setitem__("amount", "1e3"),
    lambda r: r["transaction"]["message"].__setitem__("accountKeys", "nope"),
    lambda r: r.__setitem__("slot", "184930610"),
    lambda r: r["transaction"].__setitem__("signatures", []),
])
def test_garbage_raises_malformed(mutate: Any) -> None:
    raw = result(USDC_TX)
    mutate(raw)
    with pytest.raises(MalformedResponse):
        parse_transaction(raw)


@pytest.mark.parametrize("raw", [None, {"signature": "x"}, [{"slot": 1}],
                                 [{"signature": "x", "slot": "1"}]])
def test_garbage_signature_pages_raise(raw: Any) -> None:
    with pytest.raises(MalformedResponse):
        parse_signature_infos(raw)
