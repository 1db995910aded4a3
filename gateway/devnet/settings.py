"""The devnets' addresses injected into the settings by the dev entry point.

Production code reads token contracts, mints and the treasury only from the settings; in dev
mode `python -m gateway` fills the unset ones with the local devnets' fixed addresses, so
`make run` needs no configuration.
"""

from __future__ import annotations

import dataclasses

from gateway.config import Settings
from gateway.devnet import bsc
from gateway.devnet.solana import constants as solana


def with_devnet(settings: Settings) -> Settings:
    """A copy with every unset devnet address filled in (dev mode only; prod unchanged)."""
    if not settings.dev:
        return settings
    return dataclasses.replace(
        settings,
        bsc_usdt_contract=settings.bsc_usdt_contract or bsc.USDT_ADDRESS,
        bsc_usdc_contract=settings.bsc_usdc_contract or bsc.USDC_ADDRESS,
        solana_usdt_mint=settings.solana_usdt_mint or solana.USDT_MINT,
        solana_usdc_mint=settings.solana_usdc_mint or solana.USDC_MINT,
        solana_kzte_mint=settings.solana_kzte_mint or solana.KZTE_MINT,
        solana_treasury=settings.solana_treasury or solana.TREASURY,
    )
