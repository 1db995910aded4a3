"""Fidelity of the devnet's responses: (a) solders' typed response classes and solana-py's
AsyncClient parse them; (b) their shapes (keys and value types at every level) match real
mainnet responses in tests/fixtures/rpc/.

Differences that are legitimate are listed per capture, with the reason, instead of loosening
the comparison: fields added to the RPC after a capture was taken, fields a jsonParsed meta
omits, values that are null on one side by definition.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Processed
from solana.rpc.models import TokenAccountOpts
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.rpc import responses as r
from solders.system_program import TransferParams, transfer
from solders.token.associated import get_associated_token_address
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.wallet import pay_uri
from tests.devnet.test_solana_rpc import blockhash, send, wait_signature
from tests.plugins.solana_devnet import SolanaDevnet, rpc_call

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rpc"
USDC_CAPTURE = "solana_getTransaction_jsonParsed_mainnet_usdc_transferChecked_with_ata_create_and_memo_p2p-key-app-kit.json"  # noqa: E501
SOL_CAPTURE = "solana_getTransaction_jsonParsed_mainnet_sol_system_transfer_with_memo_p2p-key-app-kit.json"  # noqa: E501
BASE64_CAPTURE = "solana_getTransaction_base64_v0_two_transferChecked_with_loadedAddresses_blocto-solana-go-sdk.json"  # noqa: E501
VOTE_CAPTURE = "solana_getTransaction_jsonParsed_vote_tx_slot147558327_solders.json"
SIGNATURES_CAPTURE = "solana_getSignaturesForAddress_mainnet_usdc_transfer_p2p-key-app-kit.json"

# Null by definition on one side: top-level instructions have no stack height; legacy
# messages have no lookups; a transaction without memo has memo null; err is null on success.
NULLABLE = frozenset({
    "result.transaction.message.addressTableLookups",
    "result.transaction.message.instructions[].stackHeight",
    "result[].memo", "result[].err", "result.meta.err",
})
# Added to the RPC after the key-app-kit captures were taken (validator 1.13/1.14 era).
NEWER_THAN_CAPTURE = frozenset({
    "result.meta.computeUnitsConsumed",
    "result.transaction.message.instructions[].stackHeight",
    "result.meta.innerInstructions[].instructions[].stackHeight",
})


@dataclass(frozen=True)
class Allowances:
    ours_only: frozenset[str] = frozenset()   # keys we send that the capture lacks
    theirs_only: frozenset[str] = frozenset()  # keys of the capture we leave out
    opaque: frozenset[str] = frozenset()  # compared as "an object", not field by field
    nullable: frozenset[str] = field(default=NULLABLE)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def shape_diff(ours: Any, real: Any, allow: Allowances, path: str = "result") -> list[str]:
    """Every place where `ours` and `real` differ in keys or value types."""
    if ours is None or real is None:
        if (ours is None) != (real is None) and path not in allow.nullable:
            return [f"{path}: {_kind(ours)} vs {_kind(real)}"]
        return []
    if _kind(ours) != _kind(real):
        return [f"{path}: {_kind(ours)} vs {_kind(real)}"]
    if isinstance(ours, dict):
        return [] if path in allow.opaque else _dict_diff(ours, real, allow, path)
    if isinstance(ours, list):
        return _list_diff(ours, real, allow, path)
    return []


def _dict_diff(ours: dict[str, Any], real: dict[str, Any], allow: Allowances,
               path: str) -> list[str]:
    problems = []
    for key in sorted(set(ours) | set(real)):
        sub = f"{path}.{key}"
        if key not in real:
            if sub not in allow.ours_only:
                problems.append(f"{sub}: only in ours")
        elif key not in ours:
            if sub not in allow.theirs_only:
                problems.append(f"{sub}: missing in ours")
        else:
            problems.extend(shape_diff(ours[key], real[key], allow, sub))
    return problems


def _list_diff(ours: list[Any], real: list[Any], allow: Allowances, path: str) -> list[str]:
    """Each of our elements must have the shape of some element of the capture.

    Lists mix shapes (parsed instructions of different types), so an element is matched
    against every element of the capture; an empty side has nothing to compare.
    """
    problems = []
    for index, item in enumerate(ours):
        attempts = [shape_diff(item, candidate, allow, f"{path}[]") for candidate in real]
        if attempts and all(attempts):
            closest = min(attempts, key=len)
            problems.append(f"{path}[{index}] matches no element of the capture: {closest}")
    return problems


def capture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_comparator_catches_differences() -> None:
    real = capture(SOL_CAPTURE)
    assert shape_diff(real["result"], real["result"], Allowances()) == []
    changed = json.loads(json.dumps(real["result"]))
    changed["meta"]["fee"] = "10000"
    del changed["meta"]["rewards"]
    changed["transaction"]["message"]["accountKeys"][0]["extra"] = 1
    problems = shape_diff(changed, real["result"], Allowances())
    assert "result.meta.fee: str vs int" in problems
    assert "result.meta.rewards: missing in ours" in problems
    assert any("accountKeys[0] matches no element" in p for p in problems)


async def _transaction(url: str, signature: str, config: dict[str, Any]) -> dict[str, Any]:
    await wait_signature(url, signature)
    answer = await rpc_call(url, "getTransaction",
                            [signature, {"commitment": "confirmed", **config}])
    return answer


async def test_usdc_payment_matches_mainnet_capture(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    reference = Pubkey.new_unique()
    uri = (f"solana:{Pubkey.new_unique()}?amount=0.001&spl-token={c.USDC_MINT}"
           f"&reference={reference}&memo=transfer")
    [signature] = await pay_uri(uri, rpc_url=url, wallet=3)
    ours = await _transaction(url, signature, {"encoding": "jsonParsed"})
    allow = Allowances(ours_only=NEWER_THAN_CAPTURE)
    assert shape_diff(ours["result"], capture(USDC_CAPTURE)["result"], allow) == []
    assert r.GetTransactionResp.from_json(json.dumps(ours)).value is not None
    infos = await rpc_call(url, "getSignaturesForAddress",
                           [str(reference), {"commitment": "confirmed"}])
    assert shape_diff(infos["result"], capture(SIGNATURES_CAPTURE)["result"], Allowances()) == []
    assert infos["result"][0]["memo"] == "[8] transfer"
    assert r.GetSignaturesForAddressResp.from_json(json.dumps(infos)).value


async def test_sol_payment_matches_mainnet_and_vote_captures(
    solana_devnet: SolanaDevnet,
) -> None:
    url = solana_devnet.rpc_url
    uri = f"solana:{Pubkey.new_unique()}?amount=0.001&memo=transfer"
    [signature] = await pay_uri(uri, rpc_url=url, wallet=3)
    ours = await _transaction(url, signature, {"encoding": "jsonParsed"})
    allow = Allowances(ours_only=NEWER_THAN_CAPTURE)
    assert shape_diff(ours["result"], capture(SOL_CAPTURE)["result"], allow) == []
    vote_allow = Allowances(
        # Captured from a 1.10 validator: accountKeys had no "source" yet and jsonParsed
        # metas still carried loadedAddresses (current validators leave it out there).
        ours_only=NEWER_THAN_CAPTURE | {"result.transaction.message.accountKeys[].source"},
        theirs_only=frozenset({"result.meta.loadedAddresses"}),
        # A vote instruction's info has other fields than a transfer's.
        opaque=frozenset({"result.transaction.message.instructions[].parsed"}),
    )
    # The vote capture has no memo instruction to match ours against: compare a plain transfer.
    [plain] = await pay_uri(uri.replace("&memo=transfer", ""), rpc_url=url, wallet=3)
    ours = await _transaction(url, plain, {"encoding": "jsonParsed"})
    assert shape_diff(ours["result"], capture(VOTE_CAPTURE)["result"], vote_allow) == []


def _transfer_checked(owner: Pubkey, mint: Pubkey, to_owner: Pubkey, units: int) -> Instruction:
    data = struct.pack("<BQB", 12, units, c.USDT_DECIMALS)
    return Instruction(Pubkey.from_string(c.TOKEN_PROGRAM), data, [
        AccountMeta(get_associated_token_address(owner, mint), False, True),
        AccountMeta(mint, False, False),
        AccountMeta(get_associated_token_address(to_owner, mint), False, True),
        AccountMeta(owner, True, False),
    ])


async def test_base64_v0_transaction_matches_capture(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    payer = c.wallet_keypair(3)
    mint, treasury = Pubkey.from_string(c.USDT_MINT), Pubkey.from_string(c.TREASURY_PUBKEY)
    # Two transferChecked in a v0 message, the form of the capture.
    ixs = [_transfer_checked(payer.pubkey(), mint, treasury, units) for units in (1, 2)]
    message = MessageV0.try_compile(payer.pubkey(), ixs, [], await blockhash(url))
    signature = (await send(url, VersionedTransaction(message, [payer])))["result"]
    ours = await _transaction(url, signature,
                              {"encoding": "base64", "maxSupportedTransactionVersion": 0})
    assert shape_diff(ours["result"], capture(BASE64_CAPTURE)["result"], Allowances()) == []
    parsed = r.GetTransactionResp.from_json(json.dumps(ours))
    assert parsed.value is not None and parsed.value.transaction.version == 0
    for real in (USDC_CAPTURE, SOL_CAPTURE, BASE64_CAPTURE, VOTE_CAPTURE):
        assert r.GetTransactionResp.from_json(json.dumps(capture(real))).value is not None


async def test_solana_py_parses_every_method(solana_devnet: SolanaDevnet) -> None:
    """AsyncClient parses each answer with solders' typed response classes."""
    url = solana_devnet.rpc_url
    owner, mint = Pubkey.from_string(c.TEST_WALLETS[2]), Pubkey.from_string(c.USDC_MINT)
    ata = get_associated_token_address(owner, mint)
    async with AsyncClient(url, commitment=Confirmed) as client:
        assert await client.is_connected()
        assert (await client.get_version()).value.solana_core == c.SOLANA_CORE_VERSION
        assert (await client.get_slot(Processed)).value >= c.GENESIS_SLOT
        assert (await client.get_block_height(Processed)).value >= c.GENESIS_SLOT
        latest = (await client.get_latest_blockhash(Processed)).value
        # solana-py has no isBlockhashValid/getHealth wrappers: parse with solders directly.
        valid = await rpc_call(url, "isBlockhashValid",
                               [str(latest.blockhash), {"commitment": "processed"}])
        assert r.IsBlockhashValidResp.from_json(json.dumps(valid)).value is True
        health = await rpc_call(url, "getHealth")
        assert r.GetHealthResp.from_json(json.dumps(health)).value == "ok"
        assert (await client.get_balance(owner)).value > 0
        assert (await client.get_account_info(ata)).value.owner == Pubkey.from_string(
            c.TOKEN_PROGRAM)
        parsed = (await client.get_account_info_json_parsed(mint)).value
        assert parsed.data.parsed["info"]["decimals"] == c.USDC_DECIMALS
        many = await client.get_multiple_accounts_json_parsed([ata, mint, Pubkey.new_unique()])
        assert many.value[2] is None
        assert (await client.get_multiple_accounts([ata])).value[0] is not None
        opts = TokenAccountOpts(mint=mint)
        assert len((await client.get_token_accounts_by_owner(owner, opts)).value) == 1
        by_program = TokenAccountOpts(program_id=Pubkey.from_string(c.TOKEN_PROGRAM))
        listed = await client.get_token_accounts_by_owner_json_parsed(owner, by_program)
        assert len(listed.value) == 3
        assert (await client.get_token_account_balance(ata)).value.decimals == 6
        assert (await client.get_token_supply(mint)).value.decimals == 6
        assert (await client.get_minimum_balance_for_rent_exemption(0)).value == 890_880
        payer = Keypair()
        airdrop = (await client.request_airdrop(payer.pubkey(), c.LAMPORTS_PER_SOL)).value
        tx = _sol_transfer(payer, latest.blockhash)
        assert (await client.get_fee_for_message(tx.message, Processed)).value == 5_000
        assert (await client.simulate_transaction(tx)).value.err is None
        sent = (await client.send_raw_transaction(bytes(tx))).value
        await wait_signature(url, str(sent))
        statuses = await client.get_signature_statuses([airdrop, sent])
        assert all(s is not None for s in statuses.value)
        history = await client.get_signatures_for_address(payer.pubkey())
        assert isinstance(history, r.GetSignaturesForAddressResp)
        for encoding in ("json", "jsonParsed", "base64", "base58"):
            found = await client.get_transaction(sent, encoding=encoding,
                                                 max_supported_transaction_version=0)
            assert found.value is not None and found.value.slot > 0


def _sol_transfer(payer: Keypair, recent: Hash) -> VersionedTransaction:
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(),
                                 lamports=1_000_000))
    return VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), recent),
                                [payer])
