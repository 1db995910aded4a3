"""The BNB Chain devnet as the session starts it: chain 56, tokens, funded test wallets."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from web3 import AsyncWeb3

from gateway.devnet import bsc
from gateway.devnet.bsc_tokens import abi

ABANDON = "abandon " * 11 + "about"


async def test_chain_id_is_bnb_chain(w3: AsyncWeb3[Any]) -> None:
    assert await w3.eth.chain_id == 56


async def test_dev_accounts_are_the_shopper_wallets(w3: AsyncWeb3[Any]) -> None:
    accounts = await w3.eth.accounts
    assert [str(a) for a in accounts] == [address for address, _ in bsc.TEST_WALLETS]
    for index, (address, key) in enumerate(bsc.TEST_WALLETS):
        assert Account.from_key(key).address == address, index
        assert await w3.eth.get_balance(w3.to_checksum_address(address)) > 0


def test_wallet_constants_come_from_the_shopper_mnemonic() -> None:
    Account.enable_unaudited_hdwallet_features()
    for index, (address, _) in enumerate(bsc.TEST_WALLETS[:3]):
        path = f"m/44'/60'/0'/0/{index}"
        assert Account.from_mnemonic(bsc.SHOPPER_MNEMONIC, account_path=path).address == address


def test_gateway_deposit_mnemonic_is_not_a_shopper_wallet() -> None:
    # The gateway derives deposit addresses from "abandon ... about": none may start funded.
    Account.enable_unaudited_hdwallet_features()
    shoppers = {address for address, _ in bsc.TEST_WALLETS}
    for index in range(20):
        path = f"m/44'/60'/0'/0/{index}"
        assert Account.from_mnemonic(ABANDON, account_path=path).address not in shoppers


@pytest.mark.parametrize("spec", bsc.TOKENS, ids=lambda s: s.symbol)
async def test_tokens_answer_like_bep20(w3: AsyncWeb3[Any], spec: bsc.TokenSpec) -> None:
    token = w3.eth.contract(address=w3.to_checksum_address(spec.address), abi=abi())
    assert await token.functions.name().call() == spec.name
    assert await token.functions.symbol().call() == spec.symbol
    assert await token.functions.decimals().call() == 18
    funded = bsc.TOKEN_FUNDED_WALLETS * bsc.TOKEN_WALLET_UNITS
    assert await token.functions.totalSupply().call() == funded
    assert await token.functions.getOwner().call() == bsc.TEST_WALLETS[0][0]
    # Exact initial balances are checked on a private fresh chain (test_bsc_lifecycle).
    for address, _ in bsc.TEST_WALLETS[: bsc.TOKEN_FUNDED_WALLETS]:
        assert await token.functions.balanceOf(address).call() > 0
