"""Building the Solana watcher from settings: the treasury's followed accounts, checked
against the cluster.

The associated token account of a mint depends on the mint's token program (SPL Token or
Token-2022), so each configured mint is read once at start (getAccountInfo jsonParsed): its
owner program gives the ATA, and its decimals must equal the decimals the quotes use, or an
amount in base units would be worth 10^k times what the invoice priced. A mint that is
missing or disagrees stops the watcher with a ConfigError naming the variable.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.chains.facts import FactSink
from gateway.chains.health import Health
from gateway.chains.rpc import RetryPolicy
from gateway.chains.solana.match import Treasury, build_treasury
from gateway.chains.solana.rpc import SolanaRpc
from gateway.chains.solana.watcher import References, SolanaWatcher, SolanaWatchOptions
from gateway.config import Settings
from gateway.errors import ConfigError, RpcError, RpcTimeout
from gateway.invoices.catalog import TOKEN_SETTINGS, TREASURY_SETTING, Catalog, build_catalog
from gateway.log import get_logger

log = get_logger(__name__)


def _mint_facts(asset_id: str, mint: str, account: dict[str, Any] | None) -> tuple[str, int]:
    """(token program, decimals) of a getAccountInfo jsonParsed value of a mint."""
    variable = TOKEN_SETTINGS[asset_id][1]
    if account is None:
        raise ConfigError(f"{variable}: mint {mint} does not exist on the Solana cluster")
    data = account.get("data")
    parsed = data.get("parsed") if isinstance(data, dict) else None
    if not isinstance(parsed, dict) or parsed.get("type") != "mint":
        raise ConfigError(f"{variable}: {mint} is not a token mint on the Solana cluster")
    info = parsed.get("info")
    if not isinstance(info, dict):
        raise ConfigError(f"{variable}: {mint} is not a token mint on the Solana cluster")
    decimals = info.get("decimals")
    if not isinstance(decimals, int):
        raise ConfigError(f"{variable}: mint {mint} reports no decimals")
    return str(account.get("owner")), decimals


async def resolve_treasury(rpc: SolanaRpc, catalog: Catalog) -> Treasury:
    """The followed accounts of the catalog's Solana assets, with each mint checked."""
    if catalog.treasury is None:
        raise ConfigError(f"{TREASURY_SETTING[1]} must be set to watch Solana")
    assets: list[tuple[str, str | None, int]] = []
    programs: dict[str, str] = {}
    for asset_id, offered in catalog.assets.items():
        if offered.spec.chain != "solana":
            continue
        if offered.token is not None:
            account = await rpc.get_parsed_account(offered.token)
            program, decimals = _mint_facts(asset_id, offered.token, account)
            if decimals != offered.decimals:
                raise ConfigError(
                    f"{TOKEN_SETTINGS[asset_id][1]}: mint {offered.token} has {decimals} "
                    f"decimals, the quotes use {offered.decimals}")
            programs[offered.token] = program
        assets.append((asset_id, offered.token, offered.decimals))
    return build_treasury(catalog.treasury, assets, programs)


def rpc_for(settings: Settings) -> SolanaRpc:
    chains = settings.chains
    return SolanaRpc(settings.solana_rpc_url, timeout=float(chains.rpc_timeout),  # float-ok
                     retry=RetryPolicy(attempts=chains.rpc_retries,
                                       base_delay=float(chains.backoff),  # float-ok
                                       max_delay=float(chains.backoff_cap)))  # float-ok


def options_for(settings: Settings) -> SolanaWatchOptions:
    chains = settings.chains
    return SolanaWatchOptions(
        poll_interval=float(chains.solana_poll_interval),  # float-ok
        tx_batch=chains.solana_tx_batch,
        first_start=chains.solana_first_start, backoff=float(chains.backoff),  # float-ok
        backoff_cap=float(chains.backoff_cap),  # float-ok
        finality_check_interval=float(chains.solana_finality_check_interval),  # float-ok
    )


class SolanaRunning:
    """The runner's handle (gateway.pipeline.ChainWatcher): checks the mints on the
    cluster (retrying while the node is unreachable), then follows the chain."""

    def __init__(self, settings: Settings, sink: FactSink, references: References) -> None:
        self.settings = settings
        self.sink = sink
        self.references = references
        self.rpc = rpc_for(settings)
        self.options = options_for(settings)
        self.health = Health()  # handed to the watcher; read by the status heartbeat

    async def treasury(self) -> Treasury:
        catalog = build_catalog(self.settings)
        failures = 0
        while True:
            try:
                return await resolve_treasury(self.rpc, catalog)
            except (RpcError, RpcTimeout) as exc:
                failures += 1
                self.health.failed(str(exc))  # the chain turns lagging if the node stays away
                delay = min(self.options.backoff_cap, self.options.backoff * 2 ** failures)
                log.warning("solana_mints_unreadable", chain="solana", error=str(exc),
                            retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)

    async def watcher(self) -> SolanaWatcher:
        watcher = SolanaWatcher(self.sink, self.rpc, await self.treasury(), self.references,
                                self.options)
        watcher.health = self.health
        return watcher

    async def run(self) -> None:
        try:
            watcher = await self.watcher()
        except ConfigError as exc:
            # In the app this runs as a background task: say why it stops, loudly.
            log.error("solana_watcher_not_started", chain="solana", error=str(exc))
            raise
        await watcher.run()

    async def close(self) -> None:
        await self.rpc.close()


def build_solana(settings: Settings, sink: FactSink, watched: References) -> SolanaRunning:
    """WATCHER_FACTORIES entry of the Solana chain."""
    return SolanaRunning(settings, sink, watched)
