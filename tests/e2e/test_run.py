"""`make run` end to end: `python -m gateway run` as a subprocess on free ports in a temp data
dir, paid on both devnets by the CLI wallet simulator, the README quick start run as written,
then stopped and checked to leave nothing running.

One run serves the whole module (starting it is most of the cost); the tests run in file order
and the last one stops it, starts it again (a second `make run`) and stops everything. The
module fixture's teardown stops whatever is left even when a test failed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import walkthrough
from tests.e2e.admin import AdminConsole
from tests.e2e.harness import Run, group_members, http, pid_alive, port_open, running_gateway

# Slow: starts the whole gateway (make run) in subprocesses, with its devnets.
pytestmark = pytest.mark.slow

SETTLE_TIMEOUT = 30.0
ADMIN_PASSWORD = "e2e-walkthrough-pw"


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    # Short path under /tmp: the database's unix socket path is limited to ~100 bytes.
    with (tempfile.TemporaryDirectory(prefix="ccp-e2e-", dir="/tmp",
                                      ignore_cleanup_errors=True) as tmp,
          running_gateway(Path(tmp)) as started):
        yield started


def demo_key(run: Run) -> str:
    return (run.ws.data_dir / "demo_api_key").read_text().strip()


def create_invoice(run: Run, order_id: str, assets: list[str]) -> dict[str, Any]:
    answer = http("POST", run.ws.url + "/v1/invoices", key=demo_key(run),
                  headers={"Idempotency-Key": f"e2e-{order_id}-{time.time_ns()}"},
                  body={"amount": 150_000, "order_id": order_id, "assets": assets})
    assert answer.status == 200, f"{answer.body}\n{run.log_tail()}"
    invoice: dict[str, Any] = answer.json()
    return invoice


def option_uri(invoice: dict[str, Any], asset_id: str) -> str:
    uri: str = next(o["uri"] for o in invoice["payment_options"] if o["asset_id"] == asset_id)
    return uri


def pay(run: Run, uri: str) -> subprocess.Popen[str]:
    """`python -m gateway devnet pay '<uri>'`, started in the background."""
    return subprocess.Popen([*run.ws.cli_argv(), "devnet", "pay", uri], cwd=run.ws.root,
                            env=run.ws.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_settled(run: Run, invoice_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        answer = http("GET", f"{run.ws.url}/v1/invoices/{invoice_id}", key=demo_key(run))
        invoice: dict[str, Any] = answer.json()
        if invoice["status"] == "settled" or time.monotonic() > deadline:
            return invoice
        time.sleep(0.2)


def test_banner_names_every_url_and_the_demo_key(run: Run) -> None:
    banner, ws = run.banner(), run.ws
    key_file = ws.data_dir / "demo_api_key"
    for needed in (ws.url, f"{ws.url}/v1/openapi.json", f"{ws.url}/pay/", f"{ws.url}/admin",
                   "admin create --username <name> --role admin", "first admin: admin / ",
                   f"http://127.0.0.1:{ws.bsc_port}", f"http://127.0.0.1:{ws.solana_port}",
                   demo_key(run), f"saved in {key_file}", "devnet pay"):
        assert needed in banner, f"{needed!r} missing from the banner:\n{banner}"
    assert key_file.stat().st_mode & 0o077 == 0  # the key file is private
    password_file = ws.data_dir / "first_admin_password"
    assert password_file.read_text().strip() in banner  # a fresh database: dev made an admin
    assert password_file.stat().st_mode & 0o077 == 0
    assert http("GET", ws.url + "/healthz").status == 200
    assert http("GET", ws.url + "/v1/openapi.json").json()["openapi"].startswith("3.1")


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    answer = http("POST", url, body={"jsonrpc": "2.0", "id": 1, "method": method,
                                     "params": params}).json()
    return answer["result"]


def test_the_refund_hot_wallets_are_funded_at_start(run: Run) -> None:
    banner, ws = run.banner(), run.ws
    bsc_wallet, solana_wallet = (  # the devnet keys (gateway.config DEV_REFUND_*)
        "0x541F2B80ea4A55a00f3C669929467Ea7ce2118D1",
        "8qgPiLt7bJtyita5aRYDVDxZkNohpzRAWKCAG2f4jUGc")
    assert f"BNB Chain hot wallet {bsc_wallet} (funded)" in banner, banner
    assert f"Solana hot wallet {solana_wallet} (funded)" in banner, banner
    bsc, solana = f"http://127.0.0.1:{ws.bsc_port}", f"http://127.0.0.1:{ws.solana_port}"
    assert int(_rpc(bsc, "eth_getBalance", [bsc_wallet, "latest"]), 16) >= 50 * 10**18
    usdt_balance = "0x70a08231" + bsc_wallet.lower()[2:].rjust(64, "0")
    assert int(_rpc(bsc, "eth_call", [{"to": "0x55d398326f99059fF775485246999027B3197955",
                                       "data": usdt_balance}, "latest"]), 16) > 0
    assert _rpc(solana, "getBalance", [solana_wallet])["value"] >= 50 * 10**9
    tokens = _rpc(solana, "getTokenAccountsByOwner", [
        solana_wallet, {"programId": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"},
        {"encoding": "jsonParsed"}])["value"]
    assert len(tokens) == 3  # USDT, USDC, KZTE
    wallets = ws.cli("refunds", "wallets")
    assert wallets.returncode == 0 and bsc_wallet in wallets.stdout, wallets


def test_bnb_and_solana_payments_settle(run: Run) -> None:
    assets = ["BNB", "USDT_BSC", "SOL", "USDT_SOL"]
    on_bsc = create_invoice(run, "e2e-bnb", assets)
    on_solana = create_invoice(run, "e2e-solana", assets)
    payers = [pay(run, option_uri(on_bsc, "BNB")), pay(run, option_uri(on_solana, "USDT_SOL"))]
    for payer in payers:
        out, err = payer.communicate(timeout=60)
        assert payer.returncode == 0, err
        assert out.strip(), "the simulator prints the transaction id"
    for invoice in (on_bsc, on_solana):
        final = wait_settled(run, invoice["id"])
        assert (final["status"], final["amount_paid"]) == ("settled", 150_000), \
            f"{final}\n{run.log_tail()}"
    # Both watchers reported, are at their heads and are live (public /v1/status).
    chains = http("GET", f"{run.ws.url}/v1/status").json()["chains"]
    for chain in ("bsc", "solana"):
        assert chains[chain]["state"] == "live", f"{chains}\n{run.log_tail()}"
        assert chains[chain]["scanned"] is not None and chains[chain]["head"] is not None
    metrics = http("GET", f"{run.ws.url}/metrics").body
    assert 'ccp_chain_state{chain="bsc",state="live"} 1.0' in metrics


def test_checkout_page_answers(run: Run) -> None:
    invoice = create_invoice(run, "e2e-checkout", ["BNB", "SOL"])
    page = http("GET", invoice["checkout_url"] + "?lang=en")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert invoice["id"] in page.body


def test_readme_quick_start_as_written(run: Run) -> None:
    walk = walkthrough.quick_start()
    assert len(walk.steps) >= 4, "the quick start lost its blocks"
    done = walkthrough.run(walk, run.ws.url, cwd=run.ws.root, env=run.ws.env(),
                           password=ADMIN_PASSWORD)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    checkout = re.search(rf"^{re.escape(run.ws.url)}/pay/(inv_\w+)$", done.stdout, re.MULTILINE)
    assert checkout, f"no checkout_url printed:\n{done.stdout}"
    assert http("GET", checkout.group(0)).status == 200
    assert '"status": "settled"' in done.stdout, done.stdout
    assert re.search(r"^0x[0-9a-f]{64}$", done.stdout, re.MULTILINE), "no tx hash printed"
    assert admin_sees_settled(run, checkout.group(1))


def admin_sees_settled(run: Run, invoice_id: str) -> bool:
    """Sign in with the account the walkthrough created (the README's `admin create`; dev's
    own first admin is `admin`, with the banner's password) and open the invoice's page."""
    console = AdminConsole(run.ws.url)
    console.sign_in("aigerim", ADMIN_PASSWORD)
    page = console.get(f"/admin/invoices/{invoice_id}")
    return page.status == 200 and "settled" in page.body and "ledger-entry" in page.body


def test_stops_cleanly_restarts_and_leaves_nothing_running(run: Run) -> None:
    ws = run.ws
    first_key = demo_key(run)
    pgid = run.proc.pid
    run.proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert run.proc.wait(40) == 0, run.log_tail()
    assert group_members(pgid) == [], "the run left processes in its group"
    assert not port_open(ws.gateway_port)
    run.restart()  # a second `make run`: same database, devnets and demo key
    assert demo_key(run) == first_key
    assert first_key in run.banner()
    pgid = run.proc.pid
    run.proc.send_signal(signal.SIGTERM)
    assert run.proc.wait(40) == 0, run.log_tail()
    assert group_members(pgid) == []
    pids = ws.recorded_pids()
    assert set(pids) == {"bsc", "solana", "postgres"}, "devnets and database outlive the run"
    assert ws.cli("devnet", "down").returncode == 0
    assert ws.cli("db", "stop").returncode == 0
    alive = {name: pid for name, pid in pids.items() if pid_alive(pid)}
    assert alive == {}, f"still running: {alive}"
    assert ws.recorded_pids() == {}, "pid files left behind"
    for port in (ws.gateway_port, ws.bsc_port, ws.solana_port):
        assert not port_open(port), f"port {port} still answers"
    assert not (ws.data_dir / "run" / ".s.PGSQL.5432").exists()
