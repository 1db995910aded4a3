"""The local BNB Chain devnet: anvil with chain id 56 and the BEP-20 test tokens.

Test keys only. Shopper wallets are anvil's default mnemonic ("test test ... junk"), which
anvil funds with BNB; the first `TOKEN_FUNDED_WALLETS` also hold USDT and USDC. The gateway's
dev deposit addresses come from a different mnemonic ("abandon ... about"), so no deposit
address ever starts with a balance.

Tokens sit at the BSC mainnet USDT and USDC addresses (placed with anvil_setCode, see
`bsc_tokens`), so the same contract addresses are right on the devnet and on mainnet.

Chain state persists in `<run_dir>/bsc-state.json`: anvil loads it at start and writes it when
stopped with SIGTERM (`devnet down`), so block numbers and hashes the gateway stored stay
valid across restarts; `devnet reset` deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from gateway.devnet import jsonrpc
from gateway.devnet.process import ManagedProcess, ProcessInfo
from gateway.devnet.timing import block_time_arg, slots_in_an_epoch
from gateway.devnet.tools import anvil_binary

CHAIN_ID: Final = 56
HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8545
PROCESS_NAME: Final = "bsc"
STATE_FILE: Final = "bsc-state.json"
SHOPPER_MNEMONIC: Final = "test test test test test test test test test test test junk"
WALLET_BNB: Final = 10_000  # whole BNB per test wallet (anvil --balance)
WALLET_COUNT: Final = 10

# anvil's accounts for SHOPPER_MNEMONIC, m/44'/60'/0'/0/i: (address, private key).
TEST_WALLETS: Final = (
    ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
     "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    ("0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    ("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
     "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    ("0x90F79bf6EB2c4f870365E785982E1f101E93b906",
     "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    ("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
     "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    ("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
     "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    ("0x976EA74026E726554dB657fA54763abd0C3a0aa9",
     "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    ("0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
     "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    ("0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
     "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    ("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
     "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
)

# BSC mainnet addresses of Binance-Peg USDT and USDC (both 18 decimals on BNB Chain).
USDT_ADDRESS: Final = "0x55d398326f99059fF775485246999027B3197955"
USDC_ADDRESS: Final = "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d"
TOKEN_DECIMALS: Final = 18
TOKEN_FUNDED_WALLETS: Final = 3
TOKEN_WALLET_UNITS: Final = 1_000_000 * 10**TOKEN_DECIMALS  # 1,000,000 tokens each


@dataclass(frozen=True)
class TokenSpec:
    symbol: str
    name: str
    address: str
    decimals: int = TOKEN_DECIMALS


TOKENS: Final = (
    TokenSpec("USDT", "Tether USD", USDT_ADDRESS),
    TokenSpec("USDC", "USD Coin", USDC_ADDRESS),
)


def wallet(index: int) -> tuple[str, str]:
    """Test wallet `index`: (address, private key); IndexError names the valid range."""
    if not 0 <= index < len(TEST_WALLETS):
        raise IndexError(f"BNB Chain test wallet {index} does not exist "
                         f"(0..{len(TEST_WALLETS) - 1})")
    return TEST_WALLETS[index]


@dataclass(frozen=True)
class AnvilOptions:
    """How to run anvil; `state_file` None means a throwaway chain."""

    port: int = DEFAULT_PORT
    block_time: Decimal = Decimal("1")
    finality_blocks: int = 2
    state_file: Path | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def argv(self) -> list[str]:
        args = [
            str(anvil_binary()), "--host", HOST, "--port", str(self.port),
            "--chain-id", str(CHAIN_ID), "--block-time", block_time_arg(self.block_time),
            "--slots-in-an-epoch", str(slots_in_an_epoch(self.finality_blocks)),
            "--mnemonic", SHOPPER_MNEMONIC, "--accounts", str(WALLET_COUNT),
            "--balance", str(WALLET_BNB),
        ]
        if self.state_file is not None:
            args += ["--state", str(self.state_file)]
        return args


def process(run_dir: Path) -> ManagedProcess:
    return ManagedProcess(PROCESS_NAME, run_dir)


def chain_ready(rpc_url: str) -> bool:
    """anvil answers and is the chain we expect (id 56)."""
    return jsonrpc.answers(rpc_url, "eth_chainId", hex(CHAIN_ID))


def start(run_dir: Path, options: AnvilOptions, *, die_with_parent: bool = False) -> ProcessInfo:
    """Start anvil under `run_dir` and wait until it answers."""
    return process(run_dir).start(
        options.argv(), url=options.rpc_url, ready=lambda: chain_ready(options.rpc_url),
        timeout=30.0, die_with_parent=die_with_parent,
    )


def head(rpc_url: str) -> dict[str, int]:
    """Block numbers of the latest, safe and finalized tags (for `devnet status`)."""
    numbers: dict[str, int] = {}
    for tag in ("latest", "safe", "finalized"):
        block = jsonrpc.call(rpc_url, "eth_getBlockByNumber", [tag, False])
        numbers[tag] = int(block["number"], 16)
    return numbers
