"""The devnet's genesis: LiteSVM with the SPL mints, the funded test wallets and the treasury.

Accounts are written directly (`set_account`) rather than created by transactions, the way a
genesis config seeds a real cluster: the history starts empty and no signature refers to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.account import Account
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address
from solders.token.state import Mint, TokenAccount, TokenAccountState

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.tokens import MINT_LEN, TOKEN_ACCOUNT_LEN

TOKEN_PROGRAM_ID = Pubkey.from_string(c.TOKEN_PROGRAM)
SYSTEM_PROGRAM_ID = Pubkey.from_string(c.SYSTEM_PROGRAM)


@dataclass(frozen=True)
class MintSpec:
    symbol: str
    seed: str
    address: str
    decimals: int


def mint_specs(kzte_decimals: int) -> tuple[MintSpec, ...]:
    return (
        MintSpec("USDT", c.USDT_MINT_SEED, c.USDT_MINT, c.USDT_DECIMALS),
        MintSpec("USDC", c.USDC_MINT_SEED, c.USDC_MINT, c.USDC_DECIMALS),
        MintSpec("KZTE", c.KZTE_MINT_SEED, c.KZTE_MINT, kzte_decimals),
    )


def _rent_exempt(svm: LiteSVM, size: int) -> int:
    return svm.minimum_balance_for_rent_exemption(size)


def _system_account(lamports: int) -> Account:
    return Account(lamports=lamports, data=b"", owner=SYSTEM_PROGRAM_ID, executable=False)


def _token_account(svm: LiteSVM, mint: Pubkey, owner: Pubkey, amount: int) -> Account:
    state = TokenAccount(
        mint=mint, owner=owner, amount=amount, delegate=None,
        state=TokenAccountState.Initialized, is_native=None, delegated_amount=0,
    )
    return Account(
        lamports=_rent_exempt(svm, TOKEN_ACCOUNT_LEN), data=bytes(state),
        owner=TOKEN_PROGRAM_ID, executable=False,
    )


def _mint_account(svm: LiteSVM, decimals: int, supply: int) -> Account:
    mint = Mint(
        mint_authority=Pubkey.from_string(c.MINT_AUTHORITY), supply=supply,
        decimals=decimals, is_initialized=True, freeze_authority=None,
    )
    return Account(
        lamports=_rent_exempt(svm, MINT_LEN), data=bytes(mint),
        owner=TOKEN_PROGRAM_ID, executable=False,
    )


def build_svm(kzte_decimals: int) -> LiteSVM:
    """A fresh LiteSVM in the devnet's genesis state.

    The blockhash check and LiteSVM's own history are off: the ledger keeps the slot-based
    blockhash window (150 blocks, like mainnet) and the signature history itself.
    """
    svm = LiteSVM().with_blockhash_check(False).with_transaction_history(0)
    wallets = [Pubkey.from_string(w) for w in c.TEST_WALLETS]
    treasury = Pubkey.from_string(c.TREASURY_PUBKEY)
    for wallet in wallets:
        svm.set_account(wallet, _system_account(c.TEST_WALLET_LAMPORTS))
    svm.set_account(treasury, _system_account(c.TREASURY_LAMPORTS))
    svm.set_account(Pubkey.from_string(c.FAUCET_PUBKEY), _system_account(c.FAUCET_LAMPORTS))
    svm.set_account(Pubkey.from_string(c.MINT_AUTHORITY), _system_account(c.LAMPORTS_PER_SOL))
    for spec in mint_specs(kzte_decimals):
        mint = Pubkey.from_string(spec.address)
        per_wallet = c.TEST_WALLET_WHOLE_TOKENS * 10**spec.decimals
        svm.set_account(mint, _mint_account(svm, spec.decimals, per_wallet * len(wallets)))
        for owner in wallets:
            ata = get_associated_token_address(owner, mint)
            svm.set_account(ata, _token_account(svm, mint, owner, per_wallet))
        # The treasury's token accounts exist from the start so a watcher can follow them
        # before the first payment, as an operator would set them up.
        treasury_ata = get_associated_token_address(treasury, mint)
        svm.set_account(treasury_ata, _token_account(svm, mint, treasury, 0))
    return svm
