"""The EIP-681 wallet simulator pays BNB and both BEP-20 tokens on the devnet."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from gateway.devnet import bsc
from gateway.devnet.bsc_tokens import abi
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.errors import InvalidPaymentUri, PaymentFailed
from tests.plugins.devnet import Devnets, fresh_bsc_address

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def _topic(address: str) -> str:
    return "0x" + address[2:].lower().rjust(64, "0")


async def _transfers(w3: AsyncWeb3[Any], token: str, to: str, block: int) -> list[Any]:
    return await w3.eth.get_logs({  # type: ignore[no-any-return]
        "address": w3.to_checksum_address(token), "fromBlock": block, "toBlock": "latest",
        "topics": [TRANSFER_TOPIC, None, _topic(to)],
    })


async def test_pays_bnb(devnets: Devnets, w3: AsyncWeb3[Any]) -> None:
    to = fresh_bsc_address()
    uri = f"ethereum:{to}@56?value=1234500000000000000"
    [tx_hash] = await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, wallet=1)
    assert await w3.eth.get_balance(to) == 1_234_500_000_000_000_000  # type: ignore[arg-type]
    tx = await w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    assert tx["from"] == bsc.TEST_WALLETS[1][0]
    assert tx["chainId"] == 56


@pytest.mark.parametrize("symbol", ["USDT", "USDC"])
async def test_pays_bep20_with_transfer_logs(
    devnets: Devnets, w3: AsyncWeb3[Any], symbol: str
) -> None:
    token, to = devnets.bsc_tokens[symbol], fresh_bsc_address()
    start = await w3.eth.block_number
    uri = f"ethereum:{token}@56/transfer?address={to}&uint256=25000000000000000000"
    [tx_hash] = await pay_uri(uri, rpc_url=devnets.bsc_rpc_url)
    contract = w3.eth.contract(address=w3.to_checksum_address(token), abi=abi())
    assert await contract.functions.balanceOf(to).call() == 25 * 10**18
    [log] = await _transfers(w3, token, to, start)
    assert "0x" + log["transactionHash"].hex().removeprefix("0x") == tx_hash
    assert log["topics"][1].hex().endswith(bsc.TEST_WALLETS[0][0][2:].lower())
    assert int.from_bytes(log["data"], "big") == 25 * 10**18


async def test_split_sums_to_the_amount(devnets: Devnets, w3: AsyncWeb3[Any]) -> None:
    token, to = bsc.USDT_ADDRESS, fresh_bsc_address()
    start = await w3.eth.block_number
    uri = f"ethereum:{token}@56/transfer?address={to}&uint256=10"
    hashes = await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, split=3, wallet=1)
    assert len(set(hashes)) == 3
    logs = await _transfers(w3, token, to, start)
    assert sorted(int.from_bytes(log["data"], "big") for log in logs) == [3, 3, 4]


async def test_amount_override_and_delay(devnets: Devnets, w3: AsyncWeb3[Any]) -> None:
    to = fresh_bsc_address()
    uri = f"ethereum:{bsc.USDC_ADDRESS}@56/transfer?address={to}&uint256=1"
    began = time.monotonic()
    await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, amount=Decimal("0.5"), after=0.3)
    assert time.monotonic() - began >= 0.3
    contract = w3.eth.contract(address=w3.to_checksum_address(bsc.USDC_ADDRESS), abi=abi())
    assert await contract.functions.balanceOf(to).call() == 5 * 10**17


async def test_amount_override_finer_than_the_asset_is_refused(devnets: Devnets) -> None:
    uri = f"ethereum:{fresh_bsc_address()}@56?value=1"
    with pytest.raises(InvalidPaymentUri, match="decimal places"):
        await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, amount=Decimal("0.0000000000000000001"))


async def test_a_wallet_without_tokens_fails_clearly(devnets: Devnets) -> None:
    uri = f"ethereum:{bsc.USDT_ADDRESS}@56/transfer?address={fresh_bsc_address()}&uint256=1"
    with pytest.raises(PaymentFailed, match="exceeds balance"):
        await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, wallet=bsc.TOKEN_FUNDED_WALLETS)


async def test_unknown_wallet_is_refused(devnets: Devnets) -> None:
    with pytest.raises(PaymentFailed, match="does not exist"):
        await pay_uri(f"ethereum:{fresh_bsc_address()}@56?value=1",
                      rpc_url=devnets.bsc_rpc_url, wallet=99)
