"""The Solana Pay wallet simulator: strict URI parsing and real payments on the devnet."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.token.associated import get_associated_token_address

from gateway.devnet.errors import InvalidPaymentUri, PaymentFailed
from gateway.devnet.solana import constants as c
from gateway.devnet.solana.wallet import parse_transfer_request, pay_uri
from gateway.devnet.split import split_units
from tests.devnet.test_solana_rpc import wait_signature
from tests.plugins.solana_devnet import SolanaDevnet, rpc_result

RECIPIENT = c.TREASURY_PUBKEY
REF = "11111111111111111111111111111112"


def test_constants_match_their_seeds() -> None:
    derived = {
        c.USDT_MINT: c.USDT_MINT_SEED, c.USDC_MINT: c.USDC_MINT_SEED,
        c.KZTE_MINT: c.KZTE_MINT_SEED, c.MINT_AUTHORITY: c.MINT_AUTHORITY_SEED,
        c.TREASURY_PUBKEY: c.TREASURY_SEED, c.FAUCET_PUBKEY: c.FAUCET_SEED,
        **dict(zip(c.TEST_WALLETS, c.TEST_WALLET_SEEDS, strict=True)),
    }
    for address, seed in derived.items():
        assert str(c.keypair(seed).pubkey()) == address


def test_parses_a_full_transfer_request() -> None:
    uri = (f"solana:{RECIPIENT}?amount=0.01&spl-token={c.USDC_MINT}&reference={REF}"
           f"&reference={c.FAUCET_PUBKEY}&label=Caf%C3%A9%20Almaty&message=Order%20%2342"
           "&memo=OrderId1234&future-field=x")
    request = parse_transfer_request(uri)
    assert str(request.recipient) == RECIPIENT
    assert request.amount == Decimal("0.01")
    assert str(request.spl_token) == c.USDC_MINT
    assert [str(r) for r in request.references] == [REF, c.FAUCET_PUBKEY]
    assert (request.label, request.message, request.memo) == (
        "Café Almaty", "Order #42", "OrderId1234")
    bare = parse_transfer_request(f"solana:{RECIPIENT}")
    assert bare.amount is None and bare.spl_token is None and bare.references == ()


@pytest.mark.parametrize(("uri", "complaint"), [
    (f"bitcoin:{RECIPIENT}?amount=1", "must start with 'solana:'"),
    ("solana:?amount=1", "recipient is missing"),
    ("solana:not-base58-0OIl?amount=1", "recipient is not a base58 public key"),
    ("solana:https://example.com/tx", "transaction requests"),
    (f"solana:{RECIPIENT}?amount=1e3", "no exponent"),
    (f"solana:{RECIPIENT}?amount=.5", "non-negative decimal"),
    (f"solana:{RECIPIENT}?amount=-1", "non-negative decimal"),
    (f"solana:{RECIPIENT}?amount=1.", "non-negative decimal"),
    (f"solana:{RECIPIENT}?amount=1,5", "non-negative decimal"),
    (f"solana:{RECIPIENT}?amount=1&amount=2", "amount may appear only once"),
    (f"solana:{RECIPIENT}?memo=a&memo=b", "memo may appear only once"),
    (f"solana:{RECIPIENT}?spl-token=USDC", "spl-token is not a base58 public key"),
    (f"solana:{RECIPIENT}?reference=abc", "reference is not a base58 public key"),
    (f"solana:{RECIPIENT}?label=%FF", "malformed query string"),
    (f"solana:{RECIPIENT}?amount", "malformed query string"),
])
def test_refuses_malformed_uris(uri: str, complaint: str) -> None:
    with pytest.raises(InvalidPaymentUri, match=complaint.replace("(", r"\(")):
        parse_transfer_request(uri)


def test_split_sums_exactly() -> None:
    assert split_units(10, 3) == [4, 3, 3]
    assert sum(split_units(1_000_001, 7)) == 1_000_001
    with pytest.raises(PaymentFailed):
        split_units(2, 3)


async def _parsed_tx(url: str, signature: str) -> object:
    await wait_signature(url, signature)
    async with AsyncClient(url, commitment=Confirmed) as client:
        resp = await client.get_transaction(Signature.from_string(signature),
                                            encoding="jsonParsed",
                                            max_supported_transaction_version=0)
    assert resp.value is not None
    return resp.value


async def test_pays_sol_with_reference_and_memo(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    reference = Pubkey.new_unique()
    uri = f"solana:{RECIPIENT}?amount=0.25&reference={reference}&memo=invoice%20in_1"
    [signature] = await pay_uri(uri, rpc_url=url, wallet=2)
    await wait_signature(url, signature)
    raw = await rpc_result(url, "getTransaction", [signature, {"commitment": "confirmed"}])
    keys = raw["transaction"]["message"]["accountKeys"]
    memo_ix, transfer_ix = raw["transaction"]["message"]["instructions"]
    assert keys[memo_ix["programIdIndex"]] == c.MEMO_PROGRAM
    assert keys[transfer_ix["programIdIndex"]] == c.SYSTEM_PROGRAM
    # The reference is the last account of the transfer instruction, read-only, not a signer.
    assert keys[transfer_ix["accounts"][-1]] == str(reference)
    header = raw["transaction"]["message"]["header"]
    assert keys.index(str(reference)) >= len(keys) - header["numReadonlyUnsignedAccounts"]
    treasury = keys.index(RECIPIENT)
    meta = raw["meta"]
    assert meta["postBalances"][treasury] - meta["preBalances"][treasury] == 250_000_000
    found = await rpc_result(url, "getSignaturesForAddress",
                             [str(reference), {"commitment": "confirmed"}])
    assert [(i["signature"], i["memo"]) for i in found] == [(signature, "[12] invoice in_1")]


@pytest.mark.parametrize(("mint", "decimals"), [
    (c.USDT_MINT, 6), (c.USDC_MINT, 6), (c.KZTE_MINT, None),
])
async def test_pays_each_token_to_a_new_recipient(
    solana_devnet: SolanaDevnet, mint: str, decimals: int | None
) -> None:
    url = solana_devnet.rpc_url
    decimals = solana_devnet.kzte_decimals if decimals is None else decimals
    recipient, reference = Pubkey.new_unique(), Pubkey.new_unique()
    uri = f"solana:{recipient}?amount=12.34&spl-token={mint}&reference={reference}"
    [signature] = await pay_uri(uri, rpc_url=url, wallet=1)
    tx = await _parsed_tx(url, signature)
    meta = tx.transaction.meta
    message = tx.transaction.transaction.message
    ata = get_associated_token_address(recipient, Pubkey.from_string(mint))
    index = [k.pubkey for k in message.account_keys].index(ata)
    [post] = [b for b in meta.post_token_balances if b.account_index == index]
    assert not [b for b in meta.pre_token_balances if b.account_index == index]
    assert post.ui_token_amount.amount == str(1234 * 10 ** (decimals - 2))
    assert post.ui_token_amount.ui_amount_string == "12.34"
    assert str(post.owner) == str(recipient) and str(post.mint) == mint
    kinds = [ix.parsed["type"] for ix in message.instructions]
    assert kinds == ["createIdempotent", "transferChecked"]
    assert reference in [k.pubkey for k in message.account_keys]
    async with AsyncClient(url, commitment=Confirmed) as client:
        balance = await client.get_token_account_balance(ata)
    assert balance.value.ui_amount_string == "12.34"


async def test_split_override_and_dropped_reference(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    reference = Pubkey.new_unique()
    uri = f"solana:{RECIPIENT}?amount=1&spl-token={c.USDT_MINT}&reference={reference}"
    signatures = await pay_uri(uri, rpc_url=url, amount=Decimal("0.000010"), split=3,
                               wallet=0)
    assert len(set(signatures)) == 3
    moved = []
    for signature in signatures:
        tx = await _parsed_tx(url, signature)
        [ix] = tx.transaction.transaction.message.instructions
        moved.append(int(ix.parsed["info"]["tokenAmount"]["amount"]))
    assert moved == [4, 3, 3]
    [dropped] = await pay_uri(uri, rpc_url=url, drop_reference=True, wallet=0)
    await wait_signature(url, dropped)
    found = await rpc_result(url, "getSignaturesForAddress",
                             [str(reference), {"commitment": "confirmed"}])
    assert {i["signature"] for i in found} == set(signatures)


async def test_payer_side_refusals(solana_devnet: SolanaDevnet) -> None:
    url = solana_devnet.rpc_url
    with pytest.raises(InvalidPaymentUri, match="more than 2 decimal places"):
        await pay_uri(f"solana:{RECIPIENT}?amount=1.001&spl-token={c.KZTE_MINT}", rpc_url=url)
    with pytest.raises(InvalidPaymentUri, match="no amount"):
        await pay_uri(f"solana:{RECIPIENT}?spl-token={c.KZTE_MINT}", rpc_url=url)
    token_account = get_associated_token_address(
        Pubkey.from_string(RECIPIENT), Pubkey.from_string(c.USDC_MINT))
    with pytest.raises(InvalidPaymentUri, match="is a token account"):
        await pay_uri(f"solana:{token_account}?amount=1&spl-token={c.USDC_MINT}", rpc_url=url)
    with pytest.raises(InvalidPaymentUri, match="not a token mint"):
        await pay_uri(f"solana:{RECIPIENT}?amount=1&spl-token={REF}", rpc_url=url)
    with pytest.raises(PaymentFailed, match="sendTransaction refused"):
        await pay_uri(f"solana:{RECIPIENT}?amount=100000", rpc_url=url, wallet=3)
