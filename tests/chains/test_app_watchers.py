"""GATEWAY_WATCHERS=on: `setup(app)` runs the BNB Chain watcher and the sweeper inside the
app process (what `make run` does), under their leader locks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from gateway.config import ChainSettings
from gateway.devnet.bsc_wallet import pay_uri
from tests.plugins.app import running_app, settings_for_tests
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import Isolated, create_invoice, option


async def test_watchers_run_inside_the_app(isolated: Isolated, devnets: Devnets,
                                           tmp_path: Path) -> None:
    chains = ChainSettings(watchers=True, watch_chains=("bsc",), bsc_poll_interval=Decimal("0.05"),
                           sweep_interval=Decimal("0.2"), leader_poll=Decimal("0.2"),
                           backoff=Decimal("0.05"),
                           bsc_confirmations=2)
    settings = settings_for_tests(isolated.database_url, tmp_path, chains=chains,
                                  bsc_rpc_url=devnets.bsc_rpc_url)
    _, client = await isolated.client()
    async with running_app(settings):
        await eventually(lambda: isolated.pool.fetchval("SELECT count(*) FROM chain_cursors"),
                         what="a chain cursor", timeout=30)
        invoice = await create_invoice(client, 150_000, ["USDC_BSC"])
        await pay_uri(option(invoice, "USDC_BSC")["uri"], rpc_url=devnets.bsc_rpc_url,
                      wallet=1)
        await eventually(lambda: isolated.pool.fetchval(
            "SELECT count(*) FROM invoices WHERE id = $1 AND status = 'settled'", invoice["id"]),
            what="the invoice settled", timeout=20)
