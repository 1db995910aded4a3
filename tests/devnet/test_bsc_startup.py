"""`devnet_startup` (the `make run` step) starts local devnets only where configured."""

from __future__ import annotations

from pathlib import Path

from gateway.config import Settings
from gateway.devnet.startup import devnet_startup
from tests.plugins.devnet import Devnets


async def test_external_rpc_urls_start_nothing(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "GATEWAY_DATA_DIR": str(tmp_path),
        "BSC_RPC_URL": "https://bsc-dataseed.example/",
        "SOLANA_RPC_URL": "https://api.mainnet-beta.solana.example",
    })
    lines = await devnet_startup(settings)
    assert lines == [
        "bnb chain: https://bsc-dataseed.example  (external node)",
        "solana:    https://api.mainnet-beta.solana.example  (external node)",
    ]
    assert not (settings.data_dir / "devnet").exists()


async def test_local_devnets_already_running_are_reused(devnets: Devnets) -> None:
    env = {k: v for k, v in devnets.env().items() if k.startswith(("GATEWAY_", "BSC_", "SOL"))}
    settings = Settings.from_env(env)
    lines = await devnet_startup(settings)
    assert lines[0] == f"bnb chain: {devnets.bsc_rpc_url}  (local devnet)"
    assert lines[1] == f"solana:    {devnets.solana_rpc_url}  (local devnet)"
