"""Fixed facts of the local Solana devnet: program ids, deterministic keys, genesis amounts.

Every key of the devnet is derived from a fixed seed label (`keypair(label)`), so the mints,
the treasury and the test wallets have the same addresses on every start and every machine.
The pubkeys are also written out below as plain strings so that configuration defaults and
documentation can use them without importing solders; `tests/devnet/test_solana_wallet.py`
checks that they match the seeds.
"""

from __future__ import annotations

import hashlib
from typing import Final

from solders.keypair import Keypair

from gateway.config import DEVNET_SOLANA_TREASURY

SEED_PREFIX: Final = b"cryptocity-pay/solana-devnet/"

# Program ids (mainnet addresses; LiteSVM ships these programs built in).
SYSTEM_PROGRAM: Final = "11111111111111111111111111111111"
TOKEN_PROGRAM: Final = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM: Final = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
ASSOCIATED_TOKEN_PROGRAM: Final = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MEMO_PROGRAM: Final = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
MEMO_V1_PROGRAM: Final = "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"
COMPUTE_BUDGET_PROGRAM: Final = "ComputeBudget111111111111111111111111111111"
NATIVE_MINT: Final = "So11111111111111111111111111111111111111112"

# Seed labels of the deterministic keys.
USDT_MINT_SEED: Final = "mint:USDT"
USDC_MINT_SEED: Final = "mint:USDC"
KZTE_MINT_SEED: Final = "mint:KZTE"
MINT_AUTHORITY_SEED: Final = "mint-authority"
TREASURY_SEED: Final = "treasury"
FAUCET_SEED: Final = "faucet"
TEST_WALLET_SEEDS: Final = ("wallet:0", "wallet:1", "wallet:2", "wallet:3")

# The same keys as addresses (checked against the seeds by the tests).
USDT_MINT: Final = "6tA3w2VPAxXavDMaVYe9kEn4KiURrj5ZnSyauARiWBDC"
USDC_MINT: Final = "6eZfPaRt573VsDuLTwPG4KB9MDbRHFyLK96m3e51jvCM"
KZTE_MINT: Final = "EBuCjRLfYa7cDFpBjMbmfzCedJnuKjpJr6WyPYhf8HDG"
MINT_AUTHORITY: Final = "3i45Phr6VJcvxqCCjfcw1FB6jkwfCbgUrRBUDyxqqAyz"
# Production refuses it as SOLANA_TREASURY, so gateway.config holds the one copy.
TREASURY_PUBKEY: Final = DEVNET_SOLANA_TREASURY
# The name the dev entry point fills SOLANA_TREASURY with (gateway.devnet.settings).
TREASURY: Final = TREASURY_PUBKEY
FAUCET_PUBKEY: Final = "HA94BkgjyUkR4y7ye9t3cf5sQPe71SW4AYXLHgQa7Goj"
TEST_WALLETS: Final = (
    "4QhnPHBvevwnhJLBhKZ6jJ1RNGPFPH5jJAdxn9X1woMY",
    "5SwTEfXvNkS9KHkJ1Qa7c5CBbZ5sPcEBoYD4osVZKgCb",
    "GAwE8nRqtrnybtX3Rcd7JopEdsTebf51MAYLyX6GTfQi",
    "7vympmC94kAu567b7Bt6TsrnRDd9N3RxUSCMbbVVSV2v",
)

USDT_DECIMALS: Final = 6
USDC_DECIMALS: Final = 6
DEFAULT_KZTE_DECIMALS: Final = 2
SOL_DECIMALS: Final = 9
LAMPORTS_PER_SOL: Final = 1_000_000_000

# Genesis balances. The treasury holds some SOL so that a first SOL payment below the rent
# exemption minimum still lands (a real treasury is never empty either).
TEST_WALLET_LAMPORTS: Final = 1_000 * LAMPORTS_PER_SOL
TEST_WALLET_WHOLE_TOKENS: Final = 10_000_000
TREASURY_LAMPORTS: Final = 1 * LAMPORTS_PER_SOL
FAUCET_LAMPORTS: Final = 1_000_000_000 * LAMPORTS_PER_SOL

# Cluster behaviour.
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8899
DEFAULT_SLOT_MS: Final = 400
DEFAULT_FINALITY_SLOTS: Final = 32
GENESIS_SLOT: Final = 1
LAMPORTS_PER_SIGNATURE: Final = 5_000
# A blockhash stays usable for this many blocks, as on mainnet (MAX_PROCESSING_AGE).
BLOCKHASH_VALID_SLOTS: Final = 150
# Signature statuses are answered without searchTransactionHistory for this many slots
# (the validator's status cache, MAX_CACHE_ENTRIES).
STATUS_CACHE_SLOTS: Final = 300
MAX_SIGNATURES_LIMIT: Final = 1_000
MAX_MULTIPLE_ACCOUNTS: Final = 100
MAX_SIGNATURE_STATUSES: Final = 256
SOLANA_CORE_VERSION: Final = "2.2.16"
FEATURE_SET: Final = 3294202862
STATE_FILE: Final = "solana-devnet.json"


def keypair(label: str) -> Keypair:
    """The devnet keypair for a seed label (sha256 of the prefixed label as the ed25519 seed)."""
    return Keypair.from_seed(hashlib.sha256(SEED_PREFIX + label.encode()).digest())


def wallet_keypair(index: int) -> Keypair:
    """The funded test wallet number `index` (0-based)."""
    if not 0 <= index < len(TEST_WALLET_SEEDS):
        raise IndexError(f"test wallet {index} does not exist (0..{len(TEST_WALLET_SEEDS) - 1})")
    return keypair(TEST_WALLET_SEEDS[index])
