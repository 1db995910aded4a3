"""`python -m gateway ...`: the dev-mode entry point (`make run`, the README quick start).

The production command line (gateway.cli) plus the local devnets: the `run` command (embedded
database, devnets, demo merchant, one process) and `devnet up|down|status|reset|pay`. Unset
token contracts, mints and the Solana treasury are filled with the devnet's in dev mode. This
is the one module outside gateway/devnet that imports it; deployments use
`python -m gateway.cli`. In the image (no gateway/devnet) it is the production CLI, so an
operator's `python -m gateway apikey create ...` still works there.
"""

from gateway.cli import main

try:
    from gateway.devnet import cli as devnet_cli
    from gateway.devnet import run as dev_run
    from gateway.devnet.settings import with_devnet
except ModuleNotFoundError as exc:
    if exc.name != "gateway.devnet":
        raise
    raise SystemExit(main()) from None

raise SystemExit(main(extra_commands=(dev_run.register, devnet_cli.register), adapt=with_devnet))
